package events_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/events"
)

func TestIsOwnedField(t *testing.T) {
	tests := []struct {
		name  string
		field string
		want  bool
	}{
		{"Gsid", "Gsid", true},
		{"GSID upper case", "GSID", true},
		{"gsid lower case", "gsid", true},
		{"default external id", "goalrelay_external_id__gc", true},
		{"default external id in another case", "GoalRelay_External_ID__gc", true},
		{"CreatedDate", "CreatedDate", true},
		{"modifieddate", "modifieddate", true},
		{"CREATEDBYID", "CREATEDBYID", true},
		{"ModifiedById", "ModifiedById", true},
		{"a goal field", "Name", false},
		{"a name lookup", "CompanyName", false},
		{"another external id custom field", "crm_external_id__gc", false},
		{"Gsid as a prefix", "GsidOfCompany", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := events.IsOwnedField(tt.field); got != tt.want {
				t.Errorf("IsOwnedField(%q) = %v, want %v", tt.field, got, tt.want)
			}
		})
	}
}

func TestCheckOwnedFields(t *testing.T) {
	ev := func(typ events.Type, fields map[string]any) *events.Event {
		return &events.Event{Type: typ, Data: events.Data{ExternalID: "901", Fields: fields}}
	}
	tests := []struct {
		name  string
		ev    *events.Event
		extra []string
		want  []string // owned fields named; nil: no error
	}{
		{"plain goal", ev(events.GoalUpserted, map[string]any{"Name": "x", "crm_stage__gc": "won"}), nil, nil},
		{"goal sets GSID", ev(events.GoalUpserted, map[string]any{"Name": "x", "GSID": "1I00"}), nil, []string{"GSID"}},
		{"goal sets the external id", ev(events.GoalUpserted, map[string]any{"goalrelay_external_id__gc": "other:1"}), nil, []string{"goalrelay_external_id__gc"}},
		{"goal delete sets ModifiedDate", ev(events.GoalDeleted, map[string]any{"ModifiedDate": "2026-01-01"}), nil, []string{"ModifiedDate"}},
		{"several, sorted", ev(events.GoalUpserted, map[string]any{"gsid": "1", "CreatedById": "u", "Name": "x"}), nil, []string{"CreatedById", "gsid"}},
		{"configured external id", ev(events.GoalUpserted, map[string]any{"my_key__gc": "k"}), []string{"MY_KEY__gc"}, []string{"my_key__gc"}},
		{"configured external id not given", ev(events.GoalUpserted, map[string]any{"my_key__gc": "k"}), nil, nil},
		{"template sets CreatedDate", ev(events.GoalTemplateUpserted, map[string]any{"CreatedDate": "x"}), nil, []string{"CreatedDate"}},
		{"metric sets Gsid", ev(events.MetricUpserted, map[string]any{"name": "m", "gsid": "1"}), nil, []string{"gsid"}},
		{"metric may carry a system field", ev(events.MetricUpserted, map[string]any{"name": "m", "CreatedDate": "x"}), nil, nil},
		{"no fields", ev(events.GoalDeleted, nil), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ev.CheckOwnedFields(tt.extra...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckOwnedFields = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, events.ErrOwnedField) {
				t.Fatalf("CheckOwnedFields = %v, want ErrOwnedField", err)
			}
			var oe *events.OwnedFieldError
			if !errors.As(err, &oe) {
				t.Fatalf("%v is not an *OwnedFieldError", err)
			}
			if strings.Join(oe.Fields, ",") != strings.Join(tt.want, ",") || oe.Type != tt.ev.Type {
				t.Errorf("OwnedFieldError = %+v, want fields %v", oe, tt.want)
			}
			for _, f := range tt.want {
				if !strings.Contains(err.Error(), "data.fields."+f) {
					t.Errorf("message %q does not name %s", err, f)
				}
			}
			for _, v := range tt.ev.Data.Fields {
				if s, _ := v.(string); len(s) > 1 && strings.Contains(err.Error(), s) {
					t.Errorf("message %q echoes the value %q", err, s)
				}
			}
		})
	}
}

func TestOwnedFieldErrorBoundsItsNames(t *testing.T) {
	fields := map[string]any{}
	for _, f := range []string{"gsid", "Gsid", "GSID", "gSid", "gsID"} {
		fields[f] = "x"
	}
	err := (&events.Event{Type: events.GoalUpserted, Data: events.Data{Fields: fields}}).CheckOwnedFields()
	if err == nil || !strings.Contains(err.Error(), "and 2 more") {
		t.Errorf("CheckOwnedFields = %v, want three names and 2 more", err)
	}
}
