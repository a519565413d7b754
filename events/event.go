package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SpecVersion is the CloudEvents specification version of every Event.
const SpecVersion = "1.0"

// ContentTypeJSON is the only data content type goalrelay produces.
const ContentTypeJSON = "application/json"

// Type is the kind of change an Event carries.
type Type string

// The event types. A *.deleted event needs only Data.ExternalID.
const (
	GoalUpserted         Type = "goal.upserted"
	GoalDeleted          Type = "goal.deleted"
	GoalTemplateUpserted Type = "goaltemplate.upserted"
	GoalTemplateDeleted  Type = "goaltemplate.deleted"
	MetricUpserted       Type = "metric.upserted"
	MetricDeleted        Type = "metric.deleted"
)

// Types lists every known Type.
var Types = []Type{GoalUpserted, GoalDeleted, GoalTemplateUpserted, GoalTemplateDeleted, MetricUpserted, MetricDeleted}

// Valid reports whether t is one of the known types.
func (t Type) Valid() bool {
	for _, k := range Types {
		if t == k {
			return true
		}
	}
	return false
}

// Entity is the Gainsight object an event type touches: "goal",
// "goaltemplate" or "metric".
func (t Type) Entity() string {
	e, _, _ := strings.Cut(string(t), ".")
	return e
}

// IsDelete reports whether t is one of the *.deleted types.
func (t Type) IsDelete() bool { return strings.HasSuffix(string(t), ".deleted") }

// Event is the canonical goal-change event (CloudEvents 1.0, JSON format).
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            Type      `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype,omitempty"`
	Data            Data      `json:"data"`
}

// Data is the payload of an Event.
type Data struct {
	// ExternalID is the CRM record id; with the event's source system it
	// identifies the Gainsight object across events.
	ExternalID string `json:"externalId"`
	// Fields holds Gainsight fields by their API names (a subset is fine
	// for an update). For goaltemplate.* and metric.* events it holds the
	// template's or metric's fields as the API names them.
	Fields map[string]any `json:"fields,omitempty"`
	// Associate and Dissociate name CTA and Success Plan Gsids to add to or
	// remove from a goal.
	Associate  *Associations `json:"associate,omitempty"`
	Dissociate *Associations `json:"dissociate,omitempty"`
	// Metrics are metric values to set on a goal.
	Metrics []MetricValue `json:"metrics,omitempty"`
}

// Associations are the CTA and Success Plan Gsids of a goal.
type Associations struct {
	CTA []string `json:"CTA"`
	SP  []string `json:"SP"`
}

// Empty reports whether a holds no Gsid.
func (a *Associations) Empty() bool { return a == nil || len(a.CTA)+len(a.SP) == 0 }

// MetricValue is one metric's values on a goal.
type MetricValue struct {
	MetricID    string        `json:"metricId"`
	BaseValue   *float64      `json:"baseValue,omitempty"`
	TargetValue *float64      `json:"targetValue,omitempty"`
	ActualValue []ActualValue `json:"actualValue,omitempty"`
}

// ActualValue is one measured point of a metric; Timestamp is YYYY-MM-DD.
type ActualValue struct {
	Value     float64 `json:"value"`
	Timestamp string  `json:"timestamp"`
}

// SourceSystem is the first segment of Source ("hubspot" for
// "hubspot/portal/62515"): the CRM the event came from.
func (e *Event) SourceSystem() string {
	s, _, _ := strings.Cut(e.Source, "/")
	return s
}

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("invalid event")

// Validate checks the invariants a consumer relies on. It is a cheap
// structural check; the JSON Schema in schema.json is the full contract.
func (e *Event) Validate() error {
	var problems []string
	if e.SpecVersion != SpecVersion {
		problems = append(problems, fmt.Sprintf("specversion must be %q", SpecVersion))
	}
	if e.ID == "" {
		problems = append(problems, "id is required")
	}
	if e.Source == "" {
		problems = append(problems, "source is required")
	}
	if !e.Type.Valid() {
		problems = append(problems, fmt.Sprintf("type %q is not one of %v", e.Type, Types))
	}
	if e.Subject == "" {
		problems = append(problems, "subject is required")
	}
	if e.Time.IsZero() {
		problems = append(problems, "time is required")
	}
	if e.DataContentType != "" && e.DataContentType != ContentTypeJSON {
		problems = append(problems, fmt.Sprintf("datacontenttype must be %q", ContentTypeJSON))
	}
	if e.Data.ExternalID == "" {
		problems = append(problems, "data.externalId is required")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// Decode parses one event or a JSON array of events, as the generic
// source and the SQS consumer receive them, and validates each.
func Decode(b []byte) ([]Event, error) {
	trimmed := strings.TrimLeft(string(b), " \t\r\n")
	var list []Event
	if strings.HasPrefix(trimmed, "[") {
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	} else {
		var e Event
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		list = []Event{e}
	}
	for i := range list {
		if err := list[i].Validate(); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	return list, nil
}

// RecordKey identifies the CRM record an event is about across events:
// the full source (which includes the CRM account, e.g. the HubSpot portal)
// and the external id, as "<source>:<externalId>". It is the SQS FIFO group
// (per-record order), the key of the record's state, and the value goalrelay
// writes into Gainsight's external-id custom field.
//
// The key is unambiguous: the source is written with ':' and '%' escaped
// as "%3A" and "%25" (see KeySource), so the first ':' ends it and two
// different (source, external id) pairs never share a key. Sources without
// those characters (every CRM source's) are written as they are.
func (e *Event) RecordKey() string { return KeySource(e.Source) + ":" + e.Data.ExternalID }

// Identity is the event's identity as CloudEvents defines it, source and
// id together, in one unambiguous string "<source>:<id>" (source escaped as
// in RecordKey). Claims on events are keyed by it, so that one source
// cannot claim, and so suppress, another source's event id.
func (e *Event) Identity() string { return KeySource(e.Source) + ":" + e.ID }

// KeySource writes a source for use in a key: '%' as "%25" and ':' as
// "%3A", everything else as it is.
func KeySource(source string) string {
	if !strings.ContainsAny(source, ":%") {
		return source
	}
	var b strings.Builder
	b.Grow(len(source) + 8)
	for i := 0; i < len(source); i++ {
		switch c := source[i]; c {
		case '%':
			b.WriteString("%25")
		case ':':
			b.WriteString("%3A")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
