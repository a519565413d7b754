package ingest

import (
	"net/http"
	"strconv"
	"testing"
)

// TestOutcomeNames: every status the outcome table (and the IP allowlist's
// 403) can answer has its own Outcome value, the status as a string, so a
// new row cannot fall into "other" unnoticed; 2xx is "accepted".
func TestOutcomeNames(t *testing.T) {
	codes := []int{http.StatusForbidden, status(errUnknownForTest)}
	for _, o := range outcomes {
		codes = append(codes, o.status)
	}
	for _, c := range codes {
		if got, want := outcome(c), strconv.Itoa(c); got != want {
			t.Errorf("outcome(%d) = %q, want %q", c, got, want)
		}
	}
	for _, c := range []int{http.StatusOK, http.StatusAccepted, http.StatusNoContent} {
		if got := outcome(c); got != OutcomeAccepted {
			t.Errorf("outcome(%d) = %q, want %q", c, got, OutcomeAccepted)
		}
	}
	if got := outcome(http.StatusTeapot); got != OutcomeOther {
		t.Errorf("outcome(418) = %q, want %q", got, OutcomeOther)
	}
}

// errUnknownForTest is an error no row of the outcome table knows (503).
var errUnknownForTest = errorString("no row knows this")

type errorString string

func (e errorString) Error() string { return string(e) }
