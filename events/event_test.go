package events_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
)

// TestExamplesRoundTrip decodes every example, validates it against the
// schema, and checks that marshalling it again loses nothing.
func TestExamplesRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := eventstest.ValidateJSON(raw); err != nil {
				t.Fatalf("example breaks the schema: %v", err)
			}
			evs, err := events.Decode(raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			again, err := json.Marshal(evs[0])
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("round trip changed the event (-want +got):\n%s", d)
			}
		})
	}
}

func TestSchemaRejects(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"wrong specversion", `{"specversion":"0.3","id":"a","source":"x/y","type":"goal.deleted","subject":"1","time":"2026-11-27T10:00:00Z","data":{"externalId":"1"}}`},
		{"unknown type", `{"specversion":"1.0","id":"a","source":"x/y","type":"goal.renamed","subject":"1","time":"2026-11-27T10:00:00Z","data":{"externalId":"1"}}`},
		{"bad time", `{"specversion":"1.0","id":"a","source":"x/y","type":"goal.deleted","subject":"1","time":"yesterday","data":{"externalId":"1"}}`},
		{"upsert without fields", `{"specversion":"1.0","id":"a","source":"x/y","type":"goal.upserted","subject":"1","time":"2026-11-27T10:00:00Z","data":{"externalId":"1"}}`},
		{"missing externalId", `{"specversion":"1.0","id":"a","source":"x/y","type":"goal.deleted","subject":"1","time":"2026-11-27T10:00:00Z","data":{}}`},
		{"bad actual value date", `{"specversion":"1.0","id":"a","source":"x/y","type":"goal.upserted","subject":"1","time":"2026-11-27T10:00:00Z","data":{"externalId":"1","fields":{},"metrics":[{"metricId":"m","actualValue":[{"value":1,"timestamp":"27/11/2026"}]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := eventstest.ValidateJSON([]byte(tt.json)); err == nil {
				t.Error("schema accepted an invalid event")
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"not json", `{`},
		{"missing id", `{"specversion":"1.0","source":"x","type":"goal.deleted","subject":"1","time":"2026-11-27T10:00:00Z","data":{"externalId":"1"}}`},
		{"unknown type in array", `[{"specversion":"1.0","id":"a","source":"x","type":"nope","subject":"1","time":"2026-11-27T10:00:00Z","data":{"externalId":"1"}}]`},
		{"missing time", `{"specversion":"1.0","id":"a","source":"x","type":"goal.deleted","subject":"1","data":{"externalId":"1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := events.Decode([]byte(tt.body))
			if !errors.Is(err, events.ErrInvalid) {
				t.Errorf("Decode error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestTypeHelpers(t *testing.T) {
	if got := events.GoalTemplateDeleted.Entity(); got != "goaltemplate" {
		t.Errorf("Entity = %q", got)
	}
	if !events.MetricDeleted.IsDelete() || events.GoalUpserted.IsDelete() {
		t.Error("IsDelete wrong")
	}
	e := events.Event{Source: "hubspot/portal/1"}
	if e.SourceSystem() != "hubspot" {
		t.Errorf("SourceSystem = %q", e.SourceSystem())
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"goal-upserted.json", "goal-deleted.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := events.Decode(b)
		if err != nil {
			return
		}
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				t.Fatalf("Decode returned an event that fails Validate: %v", err)
			}
		}
	})
}

func TestRecordKey(t *testing.T) {
	e := events.Event{Source: "hubspot/portal/62515", Data: events.Data{ExternalID: "901"}}
	if got, want := e.RecordKey(), "hubspot/portal/62515:901"; got != want {
		t.Errorf("RecordKey = %q, want %q", got, want)
	}
}
