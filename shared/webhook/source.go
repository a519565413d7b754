package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Source describes one CRM source: everything that is particular to it.
// Package sources lists one Source per CRM; the ingest function, goalctl
// send and backfill, the test events and the local stack all iterate that
// list, so adding a CRM is one adapter package and one line there.
//
// A Source is a plain value; its functions are safe for concurrent use.
type Source struct {
	// Name is the {source} segment of POST /webhooks/{source} and the
	// source's key in the webhook secret JSON ("hubspot").
	Name string
	// Namespace starts the CloudEvents source of every event the source
	// produces, before the CRM account ("hubspot/portal/" gives
	// "hubspot/portal/62515"). An event's record key begins with its
	// source, so sources with different namespaces never share a record.
	// Empty for a source whose senders name the event source themselves
	// (the generic source).
	Namespace string
	// MaxBatch is the most record changes one delivery may carry: the
	// largest batch the CRM documents. A delivery with more is refused as
	// malformed before anything is queued.
	MaxBatch int

	// Open verifies r against the source's member of the webhook secret
	// JSON at time now and, only when r is authentic, returns its record
	// changes: verification and parsing are one step, so nothing outside
	// the adapter can act on an unverified body. It is a pure function of
	// its arguments.
	//
	// No changes and no error means "valid, nothing to do". Errors wrap
	// ErrUnauthenticated or ErrTimestamp (authentication), ErrMalformed or
	// ErrUnmappable (the body); an unusable secret is a configuration
	// error that wraps none of them.
	Open func(r *Request, secret json.RawMessage, now time.Time) ([]Change, error)
	// Respond answers the CRM in its own protocol (Salesforce's SOAP Ack);
	// nil means the ingest function's JSON answer. status is the outcome
	// the ingest boundary chose, queued the number of events queued and
	// reason a short, secret-free explanation of a failure.
	Respond func(status, queued int, reason string) Response

	// Sign returns the HTTP headers with which the CRM would deliver d,
	// signed with secret (the source's member of the webhook secret JSON).
	// Tests, the test events and goalctl send use it; for every source,
	// Open accepts what Sign signs.
	Sign func(secret json.RawMessage, d Delivery) (map[string]string, error)
	// Schemes are the signature schemes Sign can use, the default first
	// (HubSpot: "v3", "v2"). Empty when the source has one.
	Schemes []string
	// Sample builds a fresh sample delivery body, as the CRM would send
	// it for one record at o.Now.
	Sample func(o SampleOptions) ([]byte, error)

	// Account normalises a CRM account id to the form the source's events
	// carry after Namespace (Salesforce's 18-character organization id,
	// Dynamics' lower-case GUID). Nil leaves it as given.
	Account func(id string) (string, error)
	// ReadBack, when set, is how the source's records are read back from
	// the CRM's API (readback.go); nil: never read back.
	ReadBack *ReadBack
	// Export says where a record export of the CRM keeps what a webhook
	// carries in its envelope; goalctl backfill reads it.
	Export Export
}

// Delivery is one request as the CRM sends it, for Source.Sign.
type Delivery struct {
	// URL is the URL the CRM calls, as configured in the CRM (HubSpot
	// signs it).
	URL string
	// Body is the exact request body.
	Body []byte
	// Time is when the CRM sends the request (signed timestamps).
	Time time.Time
	// ID is the message id of schemes that sign one (Standard Webhooks);
	// empty derives one from Time.
	ID string
	// Scheme is one of Source.Schemes; empty means the default.
	Scheme string
}

// SampleOptions shape a sample delivery.
type SampleOptions struct {
	Now time.Time
	// RecordID and Account override the sample's record and CRM account.
	RecordID string
	Account  string
	// Scheme is the signature scheme the sample is meant for (HubSpot's v2
	// is a workflow webhook, whose body differs).
	Scheme string
	// Secret is the source's member of the webhook secret JSON; a sample
	// that must carry an account from it (Salesforce's organization id)
	// reads it there.
	Secret json.RawMessage
}

// Export names the fields of a record export that hold a record's id and
// its last-modified time, in order of preference.
type Export struct {
	// IDFields returns the fields that may hold the id of a record of
	// object.
	IDFields func(object string) []string
	// TimeFields may hold the record's last-modified time.
	TimeFields []string
	// Complete, when set, adds to an exported record what the source's
	// full-record webhooks always carry (HubSpot's hs_object_id).
	Complete func(fields map[string]any, recordID string)
}

// ErrScheme is returned by Sign for a scheme the source does not have.
var ErrScheme = errors.New("unknown signature scheme")

// EventSource is the CloudEvents source of the source's events for a CRM
// account: Namespace followed by the account as Account normalises it. It
// is what the adapter writes for a delivery from that account, so events
// made elsewhere (goalctl backfill) share the adapter's record keys.
func (s *Source) EventSource(account string) (string, error) {
	if s.Namespace == "" {
		return "", fmt.Errorf("%s: the source has no namespace of its own", s.Name)
	}
	if account == "" || !accountRE.MatchString(account) {
		return "", fmt.Errorf("%s: account %q is not a CRM account id (letters, digits, '-', '_' and '.')", s.Name, account)
	}
	if s.Account != nil {
		a, err := s.Account(account)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.Name, err)
		}
		account = a
	}
	return s.Namespace + account, nil
}

var accountRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// Check reports what is missing from s: every Source needs a name that can
// be a path segment, Open, Sign and Sample, and a positive MaxBatch.
func (s *Source) Check() error {
	var errs []error
	if !nameRE.MatchString(s.Name) {
		errs = append(errs, fmt.Errorf("name %q is not a lower-case path segment", s.Name))
	}
	if s.Open == nil || s.Sign == nil || s.Sample == nil {
		errs = append(errs, fmt.Errorf("%s: Open, Sign and Sample are required", s.Name))
	}
	if s.MaxBatch < 1 {
		errs = append(errs, fmt.Errorf("%s: MaxBatch must be at least 1", s.Name))
	}
	if s.Namespace != "" && s.Namespace[len(s.Namespace)-1] != '/' {
		errs = append(errs, fmt.Errorf("%s: namespace %q must end with '/'", s.Name, s.Namespace))
	}
	return errors.Join(errs...)
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// Response is what the ingest function answers the CRM.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Claims reports whether eventSource lies in s's territory: it starts with
// s's namespace, or its first segment is s's name ("hubspot/anything").
// A source without a namespace claims nothing.
func (s *Source) Claims(eventSource string) bool {
	if s.Namespace == "" {
		return false
	}
	first, _, _ := strings.Cut(eventSource, "/")
	return strings.HasPrefix(eventSource, s.Namespace) || first == s.Name
}

// Within reports whether eventSource is one of s's own event sources:
// its namespace followed by an account.
func (s *Source) Within(eventSource string) bool {
	return s.Namespace != "" && len(eventSource) > len(s.Namespace) && strings.HasPrefix(eventSource, s.Namespace)
}

// VerifyThenParse joins a source's verification and its parser into one
// Open: parse sees the request only once verify has accepted it.
func VerifyThenParse(verify func(r *Request, secret json.RawMessage, now time.Time) error,
	parse func(r *Request) ([]Change, error)) func(r *Request, secret json.RawMessage, now time.Time) ([]Change, error) {
	return func(r *Request, secret json.RawMessage, now time.Time) ([]Change, error) {
		if err := verify(r, secret, now); err != nil {
			return nil, err
		}
		return parse(r)
	}
}

// OneScheme is the check of a Sign for a source with a single signature
// scheme: any scheme named in d is ErrScheme.
func OneScheme(source string, d Delivery) error {
	if d.Scheme != "" {
		return fmt.Errorf("%w %q for %s", ErrScheme, d.Scheme, source)
	}
	return nil
}
