package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

// outcome is what becomes of one SQS message.
type outcome int

// pending: a decoded message not yet processed; processing gives it one of
// the outcomes below. It is never reported: a message still pending at the
// end of a batch has been failed (retry) first.
const pending outcome = -1

const (
	// done: applied; acknowledge.
	done outcome = iota
	// duplicate: already applied by an earlier delivery; acknowledge.
	duplicate
	// stale: older than what the goal already holds; acknowledge.
	stale
	// ignored: nothing to do (a delete the mapping ignores, a delete of a
	// goal that does not exist); acknowledge.
	ignored
	// retry: report as a batch item failure; SQS delivers it again.
	retry
	// permanent: can never succeed; send to the DLQ with the reason, then
	// acknowledge.
	permanent
	// gone: a goal upsert to be completed from the CRM whose record was
	// deleted there first (RecordGoneError); acknowledge, with the reason
	// in the log line.
	gone
)

func (o outcome) String() string {
	names := [...]string{"done", "duplicate", "stale", "ignored", "retry", "permanent", "gone"}
	if o < 0 || int(o) >= len(names) {
		return "pending"
	}
	return names[o]
}

// acked reports whether the message is deleted from the queue (directly,
// or after it went to the DLQ).
func (o outcome) acked() bool { return o != retry }

// PermanentError is a failure no retry can mend, found by goalrelay itself
// before or without a Gainsight call (an undecodable message, a status name
// the picklist does not know, a goal that cannot be created from the
// fields at hand).
type PermanentError struct {
	Code    string // e.g. INVALID_EVENT, INVALID_STATUS_NAME
	Message string
	// RequestID is Gainsight's request id when its answer (a failure
	// list) was the refusal.
	RequestID string
}

func (e *PermanentError) Error() string { return e.Code + ": " + e.Message }

func permanentf(code, format string, args ...any) error {
	return &PermanentError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// classify is the one table from an error to an outcome. The first row
// that matches wins; an error no row knows is retried (SQS redrives it to
// the DLQ after maxReceiveCount receives if it never heals).
func classify(err error) outcome {
	var perm *PermanentError
	var api *gainsight.APIError
	var goneErr *RecordGoneError
	var crmLimit *crm.RateLimitError
	var crmAPI *crm.APIError
	switch {
	case err == nil:
		return done
	case errors.As(err, &goneErr):
		return gone
	case errors.Is(err, state.ErrDone):
		return duplicate
	case errors.Is(err, state.ErrStale):
		return stale
	case errors.As(err, &perm):
		return permanent
	case errors.Is(err, goalevents.ErrOwnedField):
		// The event sets a field goalrelay owns (checkOwned): no call.
		return permanent
	case errors.Is(err, state.ErrBusy),
		errors.Is(err, state.ErrLocked),
		errors.Is(err, quota.ErrNoTime),
		// The day's budget, or the tenant's day spent by others
		// (quota.LimitDaySpent, also wrapped with the 429 that marked it):
		// retried, and deferred (defer.go), never dead-lettered for it.
		errors.Is(err, quota.ErrDailyExhausted),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled):
		return retry
	case errors.As(err, &crmLimit), errors.As(err, &crmAPI):
		// A CRM read-back the CRM refused for its limits (deferred until
		// Retry-After, defer.go) or failed: retried, never dead-lettered
		// for it. A read-back refused for good never gets here: the
		// event goes on as without read-back (completeFromCRM).
		return retry
	case errors.As(err, &api):
		// Permanent: a validation error, or Gainsight's coded refusal of
		// this body (VC_8026 metric in use, VC_1002). Everything else is
		// retried, and SQS moves it to the DLQ after maxReceiveCount if it
		// never heals: 401/403 (an operator fixes the key in Secrets
		// Manager and the backlog drains), and 404/405 or an uncoded 4xx
		// (a wrong GAINSIGHT_BASE_URL or a proxy), which would otherwise
		// dead-letter the whole backlog at once.
		if api.Validation() || refused(api) {
			return permanent
		}
		return retry
	case gainsight.IsRetryable(err):
		// *RateLimitError, *TransportError.
		return retry
	default:
		return retry
	}
}

// refused reports a coded, non-retryable answer of Gainsight's API to
// this request's content.
func refused(api *gainsight.APIError) bool {
	return api.Code != "" && !api.Retryable() && !api.Unauthorized() &&
		api.Status != http.StatusNotFound && api.Status != http.StatusMethodNotAllowed
}

// reason describes a permanent failure for the DLQ message attributes.
type reason struct {
	Code      string
	Message   string
	RequestID string
}

func reasonOf(err error) reason {
	var perm *PermanentError
	var api *gainsight.APIError
	switch {
	case errors.As(err, &perm):
		return reason{Code: perm.Code, Message: perm.Message, RequestID: perm.RequestID}
	case errors.Is(err, goalevents.ErrOwnedField):
		return reason{Code: CodeOwnedField, Message: err.Error()}
	case errors.As(err, &api):
		code := api.Code
		if code == "" {
			code = fmt.Sprintf("HTTP_%d", api.Status)
		}
		return reason{Code: code, Message: api.Error(), RequestID: api.RequestID}
	default:
		return reason{Code: "UNKNOWN", Message: err.Error()}
	}
}
