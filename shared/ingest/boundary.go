package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// DefaultMaxFutureSkew is how far ahead of now an event's CRM time may lie
// (MAX_FUTURE_SKEW). An event dated later would become its goal's version
// and every genuine change after it would be dropped as stale.
const DefaultMaxFutureSkew = 5 * time.Minute

// Errors of the trust boundary; the outcome table maps them to statuses.
var (
	// ErrFutureTime: an event's CRM time is further ahead than
	// MAX_FUTURE_SKEW (400).
	ErrFutureTime = errors.New("event time too far in the future")
	// ErrNamespace: an event's source lies outside what the webhook's
	// source may write (400).
	ErrNamespace = errors.New("event source outside the source's namespace")
)

// policies caches each source's parsed policy by the secret it came from,
// so that a request parses no JSON for it unless the secret changed.
type policies struct{ m sync.Map } // source name → *policyEntry

type policyEntry struct {
	raw string
	p   webhook.Policy
	err error
}

func (c *policies) get(source string, secret json.RawMessage) (webhook.Policy, error) {
	if v, ok := c.m.Load(source); ok {
		if e := v.(*policyEntry); e.raw == string(secret) {
			return e.p, e.err
		}
	}
	p, err := webhook.ParsePolicy(secret)
	c.m.Store(source, &policyEntry{raw: string(secret), p: p, err: err})
	return p, err
}

// checkEvents holds every event of a delivery to the trust boundary: its
// time no further ahead than the skew allows, and its source within what
// src may write. A source with a namespace writes only inside it; a source
// without one (generic) writes anywhere but in another source's territory,
// unless its policy's allowedSources lists that event source.
func (s *Service) checkEvents(src *webhook.Source, pol webhook.Policy, evs []goalevents.Event, now time.Time) error {
	limit := now.Add(s.maxFutureSkew())
	for i := range evs {
		ev := &evs[i]
		if ev.Time.After(limit) {
			return fmt.Errorf("%w: event %d is dated %s, more than %s ahead of now", ErrFutureTime, i,
				ev.Time.UTC().Format(time.RFC3339), s.maxFutureSkew())
		}
		if src.Namespace != "" {
			if !src.Within(ev.Source) {
				return fmt.Errorf("%w: event %d: %s writes only %s<account>", ErrNamespace, i, src.Name, src.Namespace)
			}
			continue
		}
		if pol.AllowsSource(ev.Source) {
			continue
		}
		for _, other := range s.Sources {
			if other != src && other.Claims(ev.Source) {
				return fmt.Errorf("%w: event %d: its source is in the %s namespace; list it in the %s secret's allowedSources to allow it",
					ErrNamespace, i, other.Name, src.Name)
			}
		}
	}
	return nil
}

func (s *Service) maxFutureSkew() time.Duration {
	if s.MaxFutureSkew > 0 {
		return s.MaxFutureSkew
	}
	return DefaultMaxFutureSkew
}
