package apply_test

import (
	"strings"
	"testing"

	goalevents "github.com/goalrelay/goalrelay/events"
)

// TestOwnedFieldGoesToDLQWithoutACall: an event that reached the queue
// setting a relay-owned field (another producer's, say goalctl backfill
// or other teams' code) is dead-lettered with OWNED_FIELD before any
// Gainsight call; the rest of its group is still applied.
func TestOwnedFieldGoesToDLQWithoutACall(t *testing.T) {
	tests := []struct {
		name       string
		configured string // the consumer's ExternalIDField; "" the default
		ev         goalevents.Event
		field      string
	}{
		{"ModifiedDate", "", goalEvent("e1", "901", 0, withField(fullGoal("x"), "ModifiedDate", "2020-01-01T00:00:00Z")), "ModifiedDate"},
		{"gsid", "", goalEvent("e1", "901", 0, withField(fullGoal("x"), "gsid", "1I00FAKEGSID")), "gsid"},
		{"the default external-id field", "", goalEvent("e1", "901", 0,
			withField(fullGoal("x"), "goalrelay_external_id__gc", "hubspot/portal/1:999")), "goalrelay_external_id__gc"},
		{"the configured external-id field", "crm_key__gc", goalEvent("e1", "901", 0,
			withField(fullGoal("x"), "CRM_KEY__gc", "hubspot/portal/1:999")), "CRM_KEY__gc"},
		{"Gsid on a goal delete", "", func() goalevents.Event {
			ev := goalEvent("e1", "901", 0, map[string]any{"StatusName": "Not Achieved", "Gsid": "1I00FAKEGSID"})
			ev.Type = goalevents.GoalDeleted
			return ev
		}(), "Gsid"},
		{"gsid on a metric", "", goalevents.Event{SpecVersion: "1.0", ID: "e1", Source: "generic/acme", Type: goalevents.MetricUpserted,
			Subject: "seats", Time: t0, Data: goalevents.Data{ExternalID: "seats",
				Fields: map[string]any{"name": "Seats", "unitOfMeasure": "PERCENTAGE", "gsid": "1I00FAKEMETRIC"}}}, "gsid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.svc.ExternalIDField = tt.configured
			if failed := e.handle(t.Context(), e.batch(tt.ev)); len(failed) != 0 {
				t.Fatalf("a permanent failure was reported as a batch item failure: %v", failed)
			}
			if got := e.sim.Stats().Calls; got != 0 {
				t.Errorf("an event setting %s cost %d Gainsight calls, want 0", tt.field, got)
			}
			msgs := e.dlq()
			if len(msgs) != 1 {
				t.Fatalf("DLQ holds %d messages, want 1; logs:\n%s", len(msgs), e.logs)
			}
			m := msgs[0]
			if attr(m, "error_code") != "OWNED_FIELD" || attr(m, "event_id") != "e1" {
				t.Errorf("DLQ attributes = %v", m.MessageAttributes)
			}
			mustContain(t, attr(m, "error_message"), "data.fields."+tt.field)
			if v, _ := tt.ev.Data.Fields[tt.field].(string); strings.Contains(attr(m, "error_message"), v) {
				t.Errorf("error message %q echoes the value", attr(m, "error_message"))
			}
			mustContain(t, e.metrics.String(), `"SentToDLQ":1`)
		})
	}
}

// TestOwnedFieldDoesNotStopItsGroup: the refused event is dead-lettered,
// the next event of the record is applied, and the external-id field that
// apply writes itself is still set on create.
func TestOwnedFieldDoesNotStopItsGroup(t *testing.T) {
	e := newEnv(t)
	bad := goalEvent("e1", "901", 0, withField(fullGoal("bad"), "GSID", "1I00FAKEGSID"))
	good := goalEvent("e2", "901", 1, fullGoal("good"))
	if failed := e.handle(t.Context(), e.batch(bad, good)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	if msgs := e.dlq(); len(msgs) != 1 || attr(msgs[0], "event_id") != "e1" || attr(msgs[0], "error_code") != "OWNED_FIELD" {
		t.Errorf("DLQ = %+v", msgs)
	}
	g, ok := e.sim.GoalByExternalID(key901)
	if !ok || g.Name != "good" {
		t.Errorf("goal by external id %s = %+v, %v; want the good event applied", key901, g, ok)
	}
}

func withField(f map[string]any, k string, v any) map[string]any {
	f[k] = v
	return f
}
