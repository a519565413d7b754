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

func TestRecordKeyEscapesTheSeparator(t *testing.T) {
	key := func(source, id string) string {
		return (&events.Event{Source: source, Data: events.Data{ExternalID: id}}).RecordKey()
	}
	tests := []struct{ source, id, want string }{
		{"salesforce/org/00D000000000062EAA", "0065e00000GoAl1AAA", "salesforce/org/00D000000000062EAA:0065e00000GoAl1AAA"},
		{"a/x:y", "z", "a/x%3Ay:z"},
		{"a/x", "y:z", "a/x:y:z"},
		{"a/100%", "1", "a/100%25:1"},
		{"a/100%3A", "1", "a/100%253A:1"},
	}
	for _, tt := range tests {
		if got := key(tt.source, tt.id); got != tt.want {
			t.Errorf("RecordKey(%q, %q) = %q, want %q", tt.source, tt.id, got, tt.want)
		}
	}
	ev := events.Event{Source: "a/x:y", ID: "z"}
	if got := ev.Identity(); got != "a/x%3Ay:z" {
		t.Errorf("Identity = %q", got)
	}
}

// Distinct (source, id) pairs never share a record key or an identity.
func FuzzRecordKeyInjective(f *testing.F) {
	f.Add("a/x:y", "z", "a/x", "y:z")
	f.Add("a/%3A", "1", "a/:", "1")
	f.Add("hubspot/portal/62515", "901", "hubspot/portal/62515:", "901")
	f.Fuzz(func(t *testing.T, s1, id1, s2, id2 string) {
		a := events.Event{Source: s1, ID: id1, Data: events.Data{ExternalID: id1}}
		b := events.Event{Source: s2, ID: id2, Data: events.Data{ExternalID: id2}}
		same := s1 == s2 && id1 == id2
		if (a.RecordKey() == b.RecordKey()) != same {
			t.Fatalf("(%q, %q) and (%q, %q): record keys %q and %q", s1, id1, s2, id2, a.RecordKey(), b.RecordKey())
		}
		if (a.Identity() == b.Identity()) != same {
			t.Fatalf("(%q, %q) and (%q, %q): identities %q and %q", s1, id1, s2, id2, a.Identity(), b.Identity())
		}
	})
}
