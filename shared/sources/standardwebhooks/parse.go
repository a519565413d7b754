package standardwebhooks

import (
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// MaxEvents is the largest array of events one request may carry.
const MaxEvents = 100

// Limits and patterns of events/schema.json that events.Validate leaves to
// the schema; Parse enforces them so an accepted event never breaks the
// contract further down.
const maxIDLength = 512

var (
	sourcePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(/.*)?$`)
	datePattern   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// parse decodes the body: one canonical event or a JSON array of them.
// Errors wrap webhook.ErrMalformed (not JSON, not events, more than
// MaxEvents, a duplicate id, or an event the schema would reject); they
// name the offending event by index, never echo the body. An empty array
// returns no changes and no error.
func (Adapter) parse(r *webhook.Request) ([]webhook.Change, error) {
	list, err := events.Decode(r.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", webhook.ErrMalformed, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	if len(list) > MaxEvents {
		return nil, fmt.Errorf("%w: %d events in one request, at most %d allowed", webhook.ErrMalformed, len(list), MaxEvents)
	}
	seen := make(map[string]int, len(list))
	changes := make([]webhook.Change, len(list))
	for i := range list {
		e := &list[i]
		if j, dup := seen[e.ID]; dup {
			return nil, fmt.Errorf("%w: events %d and %d have the same id", webhook.ErrMalformed, j, i)
		}
		seen[e.ID] = i
		if err := checkContract(e); err != nil {
			return nil, fmt.Errorf("%w: event %d: %s", webhook.ErrMalformed, i, err)
		}
		op := webhook.OpUpsert
		if e.Type.IsDelete() {
			op = webhook.OpDelete
		}
		changes[i] = webhook.Change{
			ID:         e.ID,
			Source:     e.Source,
			Object:     e.Type.Entity(),
			RecordID:   e.Subject,
			Op:         op,
			OccurredAt: e.Time,
			Fields:     e.Data.Fields,
			Canonical:  e,
		}
	}
	return changes, nil
}

// contractError is a short, body-free reason.
type contractError string

func (e contractError) Error() string { return string(e) }

// checkContract enforces the parts of events/schema.json that
// events.Event.Validate does not check.
func checkContract(e *events.Event) error {
	if utf8.RuneCountInString(e.ID) > maxIDLength {
		return contractError(fmt.Sprintf("id longer than %d characters", maxIDLength))
	}
	if !sourcePattern.MatchString(e.Source) {
		return contractError("source must start with a lower-case system name, e.g. \"salesforce-flow/org/00D...\"")
	}
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return contractError("time is out of range")
	}
	if !e.Type.IsDelete() && len(e.Data.Fields) == 0 {
		return contractError(fmt.Sprintf("data.fields is required (and non-empty) for %s", e.Type))
	}
	for _, a := range []*events.Associations{e.Data.Associate, e.Data.Dissociate} {
		if a == nil {
			continue
		}
		for _, ids := range [][]string{a.CTA, a.SP} {
			for _, id := range ids {
				if id == "" {
					return contractError("associate/dissociate ids must be non-empty")
				}
			}
		}
	}
	for k, m := range e.Data.Metrics {
		if m.MetricID == "" {
			return contractError(fmt.Sprintf("data.metrics[%d].metricId is required", k))
		}
		for _, v := range m.ActualValue {
			if !datePattern.MatchString(v.Timestamp) {
				return contractError(fmt.Sprintf("data.metrics[%d].actualValue timestamps must be YYYY-MM-DD", k))
			}
		}
	}
	return nil
}
