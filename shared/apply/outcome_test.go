package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want outcome
	}{
		{"success", nil, done},
		{"deleted in the CRM before its read-back", fmt.Errorf("x: %w", &RecordGoneError{RecordKey: "hubspot/portal/1:2"}), gone},
		{"CRM read-back 429", fmt.Errorf("read-back: %w", &crm.RateLimitError{Throttled: true}), retry},
		{"CRM read-back refused token", &crm.APIError{Status: 401}, retry},
		{"already applied", fmt.Errorf("begin: %w", state.ErrDone), duplicate},
		{"older than stored", fmt.Errorf("put: %w", state.ErrStale), stale},
		{"held elsewhere", &state.BusyError{EventID: "e"}, retry},
		{"record locked elsewhere", &state.LockedError{RecordKey: "k", Owner: "o"}, retry},
		{"minute spent, no time", &quota.LimitError{Err: quota.ErrNoTime, Limit: "minute"}, retry},
		{"day spent", &quota.LimitError{Err: quota.ErrDailyExhausted, Limit: "day"}, retry},
		{"day spent by others, at Take", &quota.LimitError{Err: quota.ErrDailyExhausted, Limit: quota.LimitDaySpent}, retry},
		{"day spent by others, marked by this 429", fmt.Errorf("%w; %w", &gainsight.RateLimitError{},
			&quota.LimitError{Err: quota.ErrDailyExhausted, Limit: quota.LimitDaySpent}), retry},
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), retry},
		{"429", &gainsight.RateLimitError{}, retry},
		{"network", &gainsight.TransportError{Err: errors.New("connection reset")}, retry},
		{"503", &gainsight.APIError{Status: http.StatusServiceUnavailable}, retry},
		{"500 not validation", &gainsight.APIError{Status: 500, Message: "NullPointerException"}, retry},
		{"500 Invalid StatusName", &gainsight.APIError{Status: 500, Exception: "com.gainsight.cs.goal.exception.CSGoalException", Message: "Invalid StatusName provided in request"}, permanent},
		{"8008 lookup", &gainsight.APIError{Status: 400, Code: "8008", Message: "Lookup Error"}, permanent},
		{"8001 empty CTA set", &gainsight.APIError{Status: 400, Code: "8001"}, permanent},
		{"VC_8026 metric in use", &gainsight.APIError{Status: 400, Code: "VC_8026"}, permanent},
		{"VC_1002 under HTTP 200", &gainsight.APIError{Status: 200, Code: "VC_1002"}, permanent},
		{"404: wrong base URL", &gainsight.APIError{Status: 404, Code: "GS_4040"}, retry},
		{"405", &gainsight.APIError{Status: 405}, retry},
		{"400 without a code", &gainsight.APIError{Status: 400, Message: "Bad Request"}, retry},
		{"401 after refresh", &gainsight.APIError{Status: 401}, retry},
		{"own validation", permanentf("INVALID_STATUS_NAME", "status %q unknown", "Lost"), permanent},
		{"relay-owned field", &goalevents.OwnedFieldError{Type: goalevents.GoalUpserted, Fields: []string{"GSID"}}, permanent},
		{"dynamodb down", errors.New("dynamodb: throttled"), retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestReasonOf(t *testing.T) {
	r := reasonOf(fmt.Errorf("update: %w", &gainsight.APIError{Status: 400, Code: "8008", Message: "Lookup Error", RequestID: "req-9"}))
	if r.Code != "8008" || r.RequestID != "req-9" {
		t.Errorf("reason = %+v", r)
	}
	r = reasonOf(permanentf("INVALID_EVENT", "not JSON"))
	if r.Code != "INVALID_EVENT" || r.Message != "not JSON" {
		t.Errorf("reason = %+v", r)
	}
	r = reasonOf(&goalevents.OwnedFieldError{Type: goalevents.GoalUpserted, Fields: []string{"ModifiedDate"}})
	if r.Code != "OWNED_FIELD" || !strings.Contains(r.Message, "data.fields.ModifiedDate") {
		t.Errorf("reason = %+v", r)
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[outcome]string{pending: "pending", done: "done", retry: "retry", permanent: "permanent", outcome(99): "pending"} {
		if got := o.String(); got != want {
			t.Errorf("outcome(%d).String() = %q, want %q", int(o), got, want)
		}
	}
}
