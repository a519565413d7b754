package ingest

import (
	"errors"
	"net/http"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Errors of the boundary itself; adapters, mapping and the queue bring their
// own, wrapped with %w.
var (
	ErrUnknownSource  = errors.New("unknown source")
	ErrSourceDisabled = errors.New("source disabled")
	ErrMethod         = errors.New("method not allowed")
	ErrSecrets        = errors.New("secret store unavailable")
	ErrQueue          = errors.New("queue unavailable")
)

// outcomes is the one table from an error to the HTTP status the CRM sees.
// The first row whose error matches wins.
var outcomes = []struct {
	err    error
	status int
}{
	{webhook.ErrUnauthenticated, http.StatusUnauthorized},
	{webhook.ErrTimestamp, http.StatusUnauthorized},
	{webhook.ErrForbidden, http.StatusForbidden},
	{ErrUnknownSource, http.StatusNotFound},
	{ErrSourceDisabled, http.StatusNotFound},
	{ErrMethod, http.StatusMethodNotAllowed},
	{webhook.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{queue.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{webhook.ErrMalformed, http.StatusBadRequest},
	{webhook.ErrUnmappable, http.StatusBadRequest},
	{ErrFutureTime, http.StatusBadRequest},
	{ErrNamespace, http.StatusBadRequest},
	{goalevents.ErrOwnedField, http.StatusBadRequest},
	{ErrSecrets, http.StatusServiceUnavailable},
	{ErrQueue, http.StatusServiceUnavailable},
}

// status maps err to the HTTP status of the answer. An error no row knows
// is treated as a server fault the CRM should retry.
func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	for _, o := range outcomes {
		if errors.Is(err, o.err) {
			return o.status
		}
	}
	return http.StatusServiceUnavailable
}

// reason is the short, secret-free text sent back for a failure. Client
// errors say what was wrong; server faults say only that it is temporary.
func reason(err error, code int) string {
	switch {
	case code == http.StatusUnauthorized:
		if errors.Is(err, webhook.ErrTimestamp) {
			return "timestamp outside tolerance"
		}
		return "authentication failed"
	case code == http.StatusForbidden:
		return "source address not allowed"
	case code >= 500:
		return "temporarily unavailable; retry"
	default:
		return err.Error()
	}
}
