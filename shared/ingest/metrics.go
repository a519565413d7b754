package ingest

import (
	"net/http"

	"github.com/goalrelay/goalrelay/shared/emf"
)

// Dimensions of the metrics Handle writes: one EMF line per request, in
// namespace goalrelay, with Function, Source and Outcome. The template's
// refusal alarms name these values.
const (
	// DimSource is the {source} path segment when it names one of the
	// Service's Sources, UnknownSource otherwise: the segment is chosen by
	// whoever calls the URL, and every new dimension value is a new metric.
	DimSource     = "Source"
	UnknownSource = "unknown"
	// DimOutcome is OutcomeAccepted for 2xx, otherwise the status the
	// outcome table chose, as a string ("401"); OutcomeOther for a status
	// outside outcomeNames (a new row in the table without a name here).
	DimOutcome      = "Outcome"
	OutcomeAccepted = "accepted"
	OutcomeOther    = "other"
)

// outcomeNames is every refusal the Outcome dimension may name. 403 is the
// IP allowlist's answer.
var outcomeNames = map[int]string{
	http.StatusBadRequest:            "400",
	http.StatusUnauthorized:          "401",
	http.StatusForbidden:             "403",
	http.StatusNotFound:              "404",
	http.StatusMethodNotAllowed:      "405",
	http.StatusRequestEntityTooLarge: "413",
	http.StatusServiceUnavailable:    "503",
}

// outcome is the Outcome dimension of a request answered with code.
func outcome(code int) string {
	if code >= 200 && code < 300 {
		return OutcomeAccepted
	}
	if name, ok := outcomeNames[code]; ok {
		return name
	}
	return OutcomeOther
}

// record writes the request's metrics: Webhooks 1 and, when events were
// queued, EventsQueued. It does nothing when s.Metrics is nil.
func (s *Service) record(res result, code int) {
	if s.Metrics == nil {
		return
	}
	src := UnknownSource
	if s.lookup(res.source) != nil {
		src = res.source
	}
	m := s.Metrics.With(
		emf.Dimension{Name: DimSource, Value: src},
		emf.Dimension{Name: DimOutcome, Value: outcome(code)},
	)
	m.Inc(emf.Webhooks)
	if res.queued > 0 {
		m.Add(emf.EventsQueued, float64(res.queued))
	}
	_ = m.Flush() // stdout; a lost metric line must not fail the webhook
}
