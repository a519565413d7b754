package apply

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	goalevents "github.com/goalrelay/goalrelay/events"
)

// TestDecodeRefusesOwnedFields: decode settles an event that sets a
// relay-owned field as permanent (OWNED_FIELD) before anything else looks
// at it; the consumer's configured external-id field counts too.
func TestDecodeRefusesOwnedFields(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		typ        goalevents.Type
		fields     map[string]any
		want       outcome
	}{
		{"plain goal", "", goalevents.GoalUpserted, map[string]any{"Name": "x"}, pending},
		{"ModifiedDate", "", goalevents.GoalUpserted, map[string]any{"Name": "x", "ModifiedDate": "2020-01-01"}, permanent},
		{"gsid", "", goalevents.GoalUpserted, map[string]any{"gsid": "1I00"}, permanent},
		{"default external-id field", "", goalevents.GoalUpserted, map[string]any{"goalrelay_external_id__gc": "k"}, permanent},
		{"configured external-id field", "crm_key__gc", goalevents.GoalUpserted, map[string]any{"Crm_Key__gc": "k"}, permanent},
		{"configured field unset: an ordinary field", "", goalevents.GoalUpserted, map[string]any{"crm_key__gc": "k"}, pending},
		{"template CreatedById", "", goalevents.GoalTemplateUpserted, map[string]any{"CreatedById": "u"}, permanent},
		{"metric Gsid", "", goalevents.MetricUpserted, map[string]any{"name": "m", "Gsid": "1"}, permanent},
		{"metric CreatedDate", "", goalevents.MetricUpserted, map[string]any{"name": "m", "CreatedDate": "x"}, pending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := goalevents.Event{SpecVersion: "1.0", ID: "e1", Source: "hubspot/portal/1", Type: tt.typ, Subject: "901",
				Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), Data: goalevents.Data{ExternalID: "901", Fields: tt.fields}}
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			s := &Service{ExternalIDField: tt.configured}
			m := s.decode(events.SQSMessage{MessageId: "m1", Body: string(b)})
			if m.outcome != tt.want {
				t.Fatalf("outcome = %v (%v), want %v", m.outcome, m.err, tt.want)
			}
			if m.ev == nil || m.group != ev.RecordKey() {
				t.Errorf("decoded event %v, group %q", m.ev, m.group)
			}
			if tt.want != permanent {
				return
			}
			if !errors.Is(m.err, goalevents.ErrOwnedField) {
				t.Errorf("err = %v, want ErrOwnedField", m.err)
			}
			if r := reasonOf(m.err); r.Code != CodeOwnedField {
				t.Errorf("reason = %+v, want code %s", r, CodeOwnedField)
			}
		})
	}
}
