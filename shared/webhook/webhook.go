package webhook

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/events"
)

// Request is an inbound webhook delivery, decoupled from API Gateway.
// Header names are lower case (API Gateway HTTP API payload 2.0 lower-cases
// them); Body is the raw bytes, already base64-decoded when the gateway
// encoded them.
type Request struct {
	Method   string
	Path     string // e.g. /webhooks/hubspot, as the client called it
	RawQuery string // without '?'
	Header   map[string]string
	Body     []byte
	// PublicURL is the URL the CRM was configured to call (from
	// PUBLIC_BASE_URL plus Path and RawQuery) when known; signature schemes
	// that sign the URL use it instead of the internal one.
	PublicURL string
}

// Get returns the header named name, case-insensitively.
func (r *Request) Get(name string) string {
	if v, ok := r.Header[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range r.Header {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Query returns the parsed query string (empty when it does not parse).
func (r *Request) Query() url.Values {
	q, _ := url.ParseQuery(r.RawQuery)
	return q
}

// Op is what happened to a CRM record.
type Op string

const (
	OpUpsert Op = "upsert" // created or updated
	OpDelete Op = "delete"
)

// Change is one record change extracted from a verified delivery, before
// mapping. Fields carries the record's values as the CRM names them (all of
// them for full-record payloads, only the changed ones for thin payloads).
type Change struct {
	// ID is stable across the CRM's retries of the same change and unique
	// per change; it becomes the canonical event id (e.g.
	// "hubspot:62515:deal:901:1764237600000").
	ID string
	// Source is the CloudEvents source, CRM system first
	// (e.g. "hubspot/portal/62515").
	Source string
	// Object is the CRM object type as the CRM names it ("deal",
	// "Opportunity", "opportunity", "deal", or whatever a generic sender says).
	Object string
	// RecordID is the CRM record id (the event subject).
	RecordID string
	Op       Op
	// OccurredAt is when the change happened in the CRM.
	OccurredAt time.Time
	// Fields are the record's values by CRM field name.
	Fields map[string]any
	// Canonical is set by sources whose senders write the canonical event
	// themselves (the generic source). Mapping passes it through unchanged;
	// the other members then repeat its id, source, subject and time.
	Canonical *events.Event
}

// Sentinel errors. Adapters wrap them with %w and detail; the ingest
// boundary maps them to statuses with errors.Is.
var (
	// ErrUnauthenticated: signature, credentials or organisation id missing or wrong (401).
	ErrUnauthenticated = errors.New("authentication failed")
	// ErrTimestamp: the signed timestamp is too old or too far in the future (401).
	ErrTimestamp = errors.New("timestamp outside tolerance")
	// ErrMalformed: the body or a header cannot be parsed (400).
	ErrMalformed = errors.New("malformed request")
	// ErrUnmappable: the body parses but cannot become an event (400).
	ErrUnmappable = errors.New("unmappable change")
	// ErrTooLarge: the body exceeds the configured limit (413).
	ErrTooLarge = errors.New("body too large")
)
