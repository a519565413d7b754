package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// call makes one Gainsight call: it first takes a unit of the tenant-wide
// quota (waiting for the next window if the deadline allows), counts the
// call, tells the limiter about a 429 so every consumer backs off, and
// after a 401 re-reads the access key once and tries once more.
func (s *Service) call(ctx context.Context, fn func(context.Context) error) error {
	err := s.callOnce(ctx, fn)
	if gainsight.IsUnauthorized(err) && s.Keys != nil {
		if rerr := s.Keys.Refresh(ctx); rerr != nil {
			return errors.Join(err, rerr)
		}
		err = s.callOnce(ctx, fn)
	}
	return err
}

// callOnce is one call. With a limiter that tells a day spent by others
// from a busy minute (dayQuota), a 429 goes to RateLimited: when the day
// is (or becomes) marked spent, the error also wraps the
// *quota.LimitError, so that the message is deferred like one that Take
// refused for the day. A probe's call that Gainsight answers clears the
// mark.
func (s *Service) callOnce(ctx context.Context, fn func(context.Context) error) error {
	dq, _ := s.Quota.(dayQuota)
	probe := false
	var err error
	if dq != nil {
		probe, err = dq.TakeProbe(ctx)
	} else {
		err = s.Quota.Take(ctx)
	}
	if err != nil {
		return err
	}
	s.Metrics.Inc(emf.GainsightCalls)
	err = fn(ctx)
	var rl *gainsight.RateLimitError
	switch {
	case errors.As(err, &rl) && dq != nil:
		s.Metrics.Inc(emf.Gainsight429)
		v, qerr := dq.RateLimited(ctx, rl.RetryAfter)
		if qerr != nil {
			s.logger().WarnContext(ctx, "cannot note a 429 in the quota", "error", qerr.Error())
		}
		if v.Marked {
			s.Metrics.Inc(MetricDaySpentByOthers)
			s.logger().WarnContext(ctx, "tenant's daily quota spent by others: Gainsight refuses fresh minute windows without Retry-After; messages wait",
				"next_probe", v.DaySpent.Probe.Format(time.RFC3339), "day_resets", v.DaySpent.Resets.Format(time.RFC3339))
		}
		if v.DaySpent != nil {
			return fmt.Errorf("%w; %w", err, v.DaySpent)
		}
	case errors.As(err, &rl):
		s.Metrics.Inc(emf.Gainsight429)
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		_ = s.Quota.Penalize(ctx, wait)
	case gainsight.IsRetryable(err) && gainsight.RetryAfter(err) > 0:
		// A 503 with Retry-After: every consumer holds back too.
		_ = s.Quota.Penalize(ctx, gainsight.RetryAfter(err))
	case probe && answered(err):
		if qerr := dq.DayBack(ctx); qerr != nil {
			s.logger().WarnContext(ctx, "cannot clear the spent-day mark", "error", qerr.Error())
		} else {
			s.logger().InfoContext(ctx, "daily quota back: the probe's call was answered; the spent-day mark is cleared")
		}
	}
	return err
}

// observer is a limiter that sizes its window-edge guard from the calls
// (*quota.Limiter).
type observer interface {
	Observe(sent, received, serverDate time.Time)
}

// ObserveResponse hands one Gainsight reply's timings and Date header to
// the limiter, when it estimates (gainsight.Options.OnResponse). Each
// consumer's limiter keeps its own estimate: the guard decides only when
// this consumer takes units, and its calls land where its own clock and
// path put them.
func (s *Service) ObserveResponse(sent, received, serverDate time.Time) {
	if o, ok := s.Quota.(observer); ok {
		o.Observe(sent, received, serverDate)
	}
}
