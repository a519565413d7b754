package webhook

import (
	"encoding/json"
	"time"
)

// Adapter is one CRM source. Implementations are safe for concurrent use.
type Adapter interface {
	// Verify checks that r came from the CRM. secret is the source's member
	// of the webhook secret JSON (README, "Public interface"), e.g.
	// {"clientSecret":"..."} for HubSpot. It is a pure function of its
	// arguments and returns an error wrapping ErrUnauthenticated,
	// ErrTimestamp or ErrMalformed.
	Verify(r *Request, secret json.RawMessage, now time.Time) error
	// Parse turns a verified body into record changes. No changes and no
	// error means "valid but nothing to do" (2xx, nothing queued). Errors
	// wrap ErrMalformed or ErrUnmappable.
	Parse(r *Request) ([]Change, error)
}

// Response is what the ingest function answers the CRM.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Responder is implemented by adapters whose CRM expects its own protocol
// in the answer (Salesforce's SOAP Ack). status is the outcome the ingest
// boundary chose; queued is how many messages were queued; reason is a
// short, secret-free explanation for failures.
type Responder interface {
	Respond(status, queued int, reason string) Response
}
