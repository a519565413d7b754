package apply

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/quota"
)

// MetricDaySpentByOthers counts the times a consumer marked the tenant's
// day spent by others (quota.Limiter.RateLimited): at most once per mark,
// so a 1 on a day is the signal. (Its name belongs with the others in
// shared/emf.)
const MetricDaySpentByOthers = "DaySpentByOthers"

// dayQuota is the part of *quota.Limiter that tells a tenant day spent by
// other integrations from a busy minute. A Quota without it (a test's
// fake) gets the plain Take and Penalize.
type dayQuota interface {
	TakeProbe(ctx context.Context) (probe bool, err error)
	RateLimited(ctx context.Context, retryAfter time.Duration) (quota.Verdict, error)
	DayBack(ctx context.Context) error
}

// answered reports whether Gainsight answered a call past its rate
// limiter: success, or a 4xx other than 429 (a 429 is a *RateLimitError,
// not an *APIError). A probe so answered means the day is back.
func answered(err error) bool {
	var api *gainsight.APIError
	return err == nil || (errors.As(err, &api) && api.Status >= 400 && api.Status < 500)
}

// probeReceives: a message deferred for a day spent by others waits for
// the next hourly probe while it has been received at most this many
// times, and for the next day window after that. Each receive counts
// towards the queue's maxReceiveCount (10), so a message is received at
// most a few times on a spent day, however long it lasts.
const probeReceives = 2

// daySpentWait is how long m waits for a day spent by others: until the
// next probe at first, later until the day resets.
func (s *Service) daySpentWait(m *message, le *quota.LimitError) time.Duration {
	until := le.Resets
	if n, _ := strconv.Atoi(m.rec.Attributes["ApproximateReceiveCount"]); n <= probeReceives && le.Probe.Before(until) {
		until = le.Probe
	}
	return until.Sub(s.now())
}
