package apply

import (
	"time"

	goalevents "github.com/goalrelay/goalrelay/events"
)

// DefaultMaxFutureSkew is how far ahead of now an event's CRM time may lie
// (MAX_FUTURE_SKEW, as at ingest). A later event would become the goal's
// version and every genuine change after it would be dropped as stale.
const DefaultMaxFutureSkew = 5 * time.Minute

func (s *Service) maxFutureSkew() time.Duration {
	if s.MaxFutureSkew > 0 {
		return s.MaxFutureSkew
	}
	return DefaultMaxFutureSkew
}

// checkTime refuses an event dated further ahead than the skew allows;
// ingest refuses those, so one here came from another producer.
func (s *Service) checkTime(ev *goalevents.Event) error {
	limit := s.now().Add(s.maxFutureSkew())
	if ev.Time.After(limit) {
		return permanentf("FUTURE_EVENT_TIME", "event time %s is more than %s ahead of now (%s); it would freeze the goal against every later change",
			ev.Time.UTC().Format(time.RFC3339), s.maxFutureSkew(), s.now().UTC().Format(time.RFC3339))
	}
	return nil
}
