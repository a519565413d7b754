package apply

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

// TestMayHaveWritten: a unit refused before any write keeps no pending
// write; one whose write may have reached Gainsight does.
func TestMayHaveWritten(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"written, not recorded", nil, true},
		{"502 after the call", &gainsight.APIError{Status: http.StatusBadGateway}, true},
		{"connection dropped", &gainsight.TransportError{Err: errors.New("EOF")}, true},
		{"quota", fmt.Errorf("take: %w", &quota.LimitError{Err: quota.ErrNoTime, Limit: "minute"}), false},
		{"429", &gainsight.RateLimitError{}, false},
		{"claim busy", &state.BusyError{EventID: "e"}, false},
		{"record locked", &state.LockedError{RecordKey: "k"}, false},
	} {
		if got := mayHaveWritten(c.err); got != c.want {
			t.Errorf("%s: mayHaveWritten = %v, want %v", c.name, got, c.want)
		}
	}
}
