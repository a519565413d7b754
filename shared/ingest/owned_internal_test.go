package ingest

import (
	"errors"
	"net/http"
	"testing"

	goalevents "github.com/goalrelay/goalrelay/events"
)

func TestCheckOwned(t *testing.T) {
	ev := func(typ goalevents.Type, fields map[string]any) goalevents.Event {
		return goalevents.Event{Type: typ, Data: goalevents.Data{ExternalID: "1", Fields: fields}}
	}
	tests := []struct {
		name string
		evs  []goalevents.Event
		want bool // refused
	}{
		{"none", nil, false},
		{"plain goal", []goalevents.Event{ev(goalevents.GoalUpserted, map[string]any{"Name": "x"})}, false},
		{"second event sets GSID", []goalevents.Event{ev(goalevents.GoalUpserted, map[string]any{"Name": "x"}),
			ev(goalevents.GoalUpserted, map[string]any{"GSID": "g"})}, true},
		{"external-id field", []goalevents.Event{ev(goalevents.GoalUpserted, map[string]any{"goalrelay_external_id__gc": "k"})}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOwned(tt.evs)
			if !tt.want {
				if err != nil {
					t.Fatalf("checkOwned = %v, want nil", err)
				}
				return
			}
			var oe *goalevents.OwnedFieldError
			if !errors.Is(err, goalevents.ErrOwnedField) || !errors.As(err, &oe) {
				t.Fatalf("checkOwned = %v, want an *events.OwnedFieldError", err)
			}
			if got := status(err); got != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", got)
			}
			if got := reason(err, status(err)); got != err.Error() {
				t.Errorf("reason = %q, want the error's text", got)
			}
		})
	}
}
