package webhook

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// ReadBack describes how a source's records are read back from the CRM's
// own API: to complete a thin change that cannot create its goal (the apply
// function) and to list the records changed since a time (the
// reconciliation sweep). A Source without one is never read back.
//
// The credentials are the source's member of the CRM credentials secret
// (CRM_CREDENTIALS_ID, keyed by Source.Name like the webhook secret, e.g.
// {"hubspot":{"accessToken":"..."}}); a source absent from it keeps the
// behaviour it has without read-back.
type ReadBack struct {
	// Object is the CRM object type the reader reads ("deal"), as the
	// source's changes name it.
	Object string
	// APIURLEnv names the environment variable that overrides the API's
	// base URL (tests, local runs, proxies); DefaultAPIURL otherwise.
	APIURLEnv     string
	DefaultAPIURL string
	// Open builds a reader from the source's member of the credentials
	// secret. Its errors never quote the credentials.
	Open func(credentials json.RawMessage, o ReaderOptions) (Reader, error)
}

// ReaderOptions are what a reader takes besides its credentials.
type ReaderOptions struct {
	// BaseURL is the API's base URL; the ReadBack's DefaultAPIURL when empty.
	BaseURL string
	// HTTPClient makes the calls; a client with a 20 s time-out when nil.
	HTTPClient *http.Client
	// Now is the clock of the reader's limiter; time.Now when nil.
	Now func() time.Time
}

// Reader reads a CRM's records back. It is safe for concurrent use.
//
// Records come back as full-record Changes, as a full-record webhook would
// carry them (every field the mapping reads, and the company's name where
// the CRM keeps it on another record), so that the mapping turns them into
// events like any delivery. A record's Change has the record's last
// modification as OccurredAt and an ID that is stable per record version
// (the same version read twice gives the same ID).
//
// Errors are the crm package's: *crm.RateLimitError, *crm.APIError, or a
// transport error.
type Reader interface {
	// Read reads the records of object with the given ids in the CRM
	// account of source (an event source, e.g. "hubspot/portal/62515").
	Read(ctx context.Context, source, object string, ids []string) (ReadResult, error)
	// Modified lists the records of object modified in [since, until),
	// oldest modification first, as full-record Changes.
	Modified(ctx context.Context, source, object string, since, until time.Time) iter.Seq2[Change, error]
}

// ReadResult is what Read found: the records that exist, by id, and the
// ids the CRM no longer has (deleted or archived, or never existed).
type ReadResult struct {
	Records map[string]Change
	Gone    []string
}
