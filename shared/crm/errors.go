package crm

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is a CRM API reply that is neither a success nor a rate limit.
// Message is the CRM's own message, bounded and cut to one line; it never
// holds a credential (the clients send them in headers only).
type APIError struct {
	CRM     string // "hubspot", "pipedrive"
	Status  int
	Code    string // the CRM's error category or code, when it gives one
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s API: HTTP %d", e.CRM, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unauthorized reports a refused credential (401, 403): an operator fixes
// the CRM credentials secret.
func (e *APIError) Unauthorized() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// RateLimitError is a call refused for the CRM's limits: a 429 from the CRM
// (Throttled), or the client's own limiter declining to spend the day's
// budget (Daily). RetryAfter is how long to wait, 0 when unknown.
type RateLimitError struct {
	CRM        string
	RetryAfter time.Duration
	// Throttled: the CRM answered 429 (counted as CRMReadBack429).
	Throttled bool
	// Daily: the day's budget is spent; RetryAfter reaches its reset.
	Daily bool
}

func (e *RateLimitError) Error() string {
	what := "rate limited"
	if e.Daily {
		what = "daily budget spent"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s API: %s, retry after %s", e.CRM, what, e.RetryAfter.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s API: %s", e.CRM, what)
}

// ErrCredentials is wrapped by a reader's Open errors: the source's member
// of the credentials secret is not in its documented format. The error
// never quotes the value.
var ErrCredentials = errors.New("CRM credentials have the wrong format")

// ErrAccount is wrapped by a reader's errors for an event source of
// another CRM account than the credentials are for (a HubSpot portal the
// secret's portalId does not name): the reader cannot read it.
var ErrAccount = errors.New("no CRM credentials for this account")

// Outcome is what a caller of a read-back does about its error.
type Outcome int

const (
	// Done: no error.
	Done Outcome = iota
	// Retry: transient (5xx, time-out, network, an unrecognised reply, a
	// refused credential an operator will fix); try again later.
	Retry
	// Wait: the CRM's limits; try again after RetryAfter, never give up
	// for it.
	Wait
	// Refused: the CRM refused this request for good (a 4xx other than
	// 401/403/404/429); retrying the same request cannot help.
	Refused
)

func (o Outcome) String() string {
	switch o {
	case Done:
		return "done"
	case Retry:
		return "retry"
	case Wait:
		return "wait"
	case Refused:
		return "refused"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Classify is the one table from a read-back error to an outcome; the
// first row that matches wins. A deleted record is not an error (it is in
// webhook.ReadResult.Gone), so no row is about it.
//
//	nil                                  → Done
//	ErrAccount (another CRM account)     → Refused
//	*RateLimitError (429, daily budget)  → Wait (RetryAfter)
//	*APIError 401/403                    → Retry (fix the credentials; the backlog then drains)
//	*APIError 404, 408, 409, 5xx         → Retry (a wrong base URL or proxy must not drop events)
//	*APIError other 4xx                  → Refused
//	anything else (network, time-out,    → Retry
//	  context ended, undecodable reply)
func Classify(err error) (Outcome, time.Duration) {
	var rl *RateLimitError
	var api *APIError
	switch {
	case err == nil:
		return Done, 0
	case errors.Is(err, ErrAccount):
		return Refused, 0
	case errors.As(err, &rl):
		return Wait, rl.RetryAfter
	case errors.As(err, &api):
		switch {
		case api.Unauthorized(), api.Status == http.StatusNotFound, api.Status == http.StatusRequestTimeout,
			api.Status == http.StatusConflict, api.Status >= 500:
			return Retry, 0
		case api.Status >= 400:
			return Refused, 0
		}
		return Retry, 0
	}
	return Retry, 0
}

// MaxRetryAfter caps a Retry-After: no CRM window read back here is longer
// than a day.
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After header (seconds, or an HTTP date) at
// now; 0 when absent or unreadable, at most MaxRetryAfter.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 || n != n {
			return 0
		}
		if n > MaxRetryAfter.Seconds() {
			return MaxRetryAfter
		}
		d = time.Duration(n * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}
