package apply

import (
	"context"
	"errors"
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

func (s *Service) callOnce(ctx context.Context, fn func(context.Context) error) error {
	if err := s.Quota.Take(ctx); err != nil {
		return err
	}
	s.Metrics.Inc(emf.GainsightCalls)
	err := fn(ctx)
	var rl *gainsight.RateLimitError
	switch {
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
	}
	return err
}
