package pipedrive

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// asEvent builds the event a trivial mapping would make of c, to check the
// change fits the contract (id length, source pattern, time, fields).
func asEvent(c webhook.Change) events.Event {
	e := events.Event{
		SpecVersion: events.SpecVersion, ID: c.ID, Source: c.Source, Type: events.GoalUpserted,
		Subject: c.RecordID, Time: c.OccurredAt, DataContentType: events.ContentTypeJSON,
		Data: events.Data{ExternalID: c.RecordID, Fields: c.Fields},
	}
	if c.Op == webhook.OpDelete {
		e.Type, e.Data.Fields = events.GoalDeleted, nil
	}
	return e
}

func TestParseTestdata(t *testing.T) {
	type want struct {
		ID, Source, Object, RecordID string
		Op                           webhook.Op
		OccurredAt                   time.Time
		Title                        any
		NFields                      int
	}
	tests := []struct {
		file string
		want want
	}{
		{"v2-change-deal.json", want{"pipedrive:8100001:9b7a6c5d-2222-4e3f-8a1b-000000000002", "pipedrive/company/8100001", "deal", "42",
			webhook.OpUpsert, time.Date(2026, 1, 1, 0, 0, 0, 123e6, time.UTC), "Acme renewal", 13}},
		{"v2-create-deal.json", want{"pipedrive:8100001:9b7a6c5d-2222-4e3f-8a1b-000000000011", "pipedrive/company/8100001", "deal", "43",
			webhook.OpUpsert, time.Date(2025, 12, 31, 9, 0, 0, 0, time.UTC), "Globex onboarding: 30-day time to value", 21}},
		{"v2-delete-deal.json", want{"pipedrive:8100001:9b7a6c5d-2222-4e3f-8a1b-000000000021", "pipedrive/company/8100001", "deal", "41",
			webhook.OpDelete, time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), "Initech pilot", 12}},
		// An earlier edit of deal 42 than v2-change-deal.json (the stage move
		// before it was won); v1's current carries org_name.
		{"v1-updated-deal.json", want{"pipedrive:8100001:v1:4600001:deal:42:updated:1767088800123456", "pipedrive/company/8100001", "deal", "42",
			webhook.OpUpsert, time.Date(2025, 12, 30, 10, 0, 0, 123456e3, time.UTC), "Acme renewal", 19}},
		// The creation of deal 43 (v2-create-deal.json) as a legacy v1 webhook sends it.
		{"v1-added-deal.json", want{"pipedrive:8100001:v1:4600002:deal:43:added:1767171600000000", "pipedrive/company/8100001", "deal", "43",
			webhook.OpUpsert, time.Date(2025, 12, 31, 9, 0, 0, 0, time.UTC), "Globex onboarding: 30-day time to value", 18}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Adapter{}.Parse(&webhook.Request{Body: readTestdata(t, tt.file)})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("%d changes, want 1", len(got))
			}
			c := got[0]
			g := want{c.ID, c.Source, c.Object, c.RecordID, c.Op, c.OccurredAt, c.Fields["title"], len(c.Fields)}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("Parse (-want +got):\n%s", d)
			}
			eventstest.AssertValid(t, asEvent(c))
		})
	}
}

func TestParseFieldsV2(t *testing.T) {
	got, err := Adapter{}.Parse(&webhook.Request{Body: readTestdata(t, "v2-create-deal.json")})
	if err != nil {
		t.Fatal(err)
	}
	f := got[0].Fields
	if f["value"] != 12000.0 || f["status"] != "open" || f["probability"] != nil {
		t.Errorf("fields: value %v, status %v, probability %v", f["value"], f["status"], f["probability"])
	}
	money := f["custom_fields"].(map[string]any)["9b3f7e0c4a1d2e5f6a7b8c9d0e1f2a3b4c5d6e7f"]
	if d := cmp.Diff(map[string]any{"type": "monetary", "value": 200.0, "currency": "EUR"}, money); d != "" {
		t.Errorf("custom field (-want +got):\n%s", d)
	}
}

// v2 builds a v2 body from the change sample with meta edited.
func v2(t testing.TB, edit func(d, m map[string]any)) []byte {
	return editFile(t, "v2-change-deal.json", edit)
}

func v1(t testing.TB, edit func(d, m map[string]any)) []byte {
	return editFile(t, "v1-updated-deal.json", edit)
}

func editFile(t testing.TB, file string, edit func(d, m map[string]any)) []byte {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(readTestdata(t, file), &d); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(d, d["meta"].(map[string]any))
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	ts := func(v any) func(d, m map[string]any) { return func(d, m map[string]any) { m["timestamp"] = v } }
	v1ts := func(sec, micro any) func(d, m map[string]any) {
		return func(d, m map[string]any) { m["timestamp"], m["timestamp_micro"] = sec, micro }
	}
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t.UTC()
	}
	tests := []struct {
		name     string
		body     []byte
		wantErr  error
		wantNone bool
		wantTime time.Time
		wantID   string
		wantRec  string
		wantOp   webhook.Op
	}{
		// v2 timestamps
		{name: "v2 ISO with ms", body: v2(t, nil), wantTime: utc("2026-01-01T00:00:00.123Z")},
		{name: "v2 seconds", body: v2(t, ts(1727447128)), wantTime: time.Unix(1727447128, 0)},
		{name: "v2 milliseconds", body: v2(t, ts(1727447128456)), wantTime: time.UnixMilli(1727447128456)},
		{name: "v2 microseconds", body: v2(t, ts(1727447128456789)), wantTime: time.UnixMicro(1727447128456789)},
		{name: "v2 nanoseconds", body: v2(t, ts(json.Number("1727447128456789012"))), wantTime: time.Unix(0, 1727447128456789012)},
		{name: "v2 seconds as a string", body: v2(t, ts("1727447128")), wantTime: time.Unix(1727447128, 0)},
		{name: "v2 fractional seconds", body: v2(t, ts(1727447128.5)), wantTime: time.Unix(1727447128, 5e8)},
		{name: "v2 ISO with offset", body: v2(t, ts("2026-01-01T02:00:00+02:00")), wantTime: utc("2026-01-01T00:00:00Z")},
		{name: "v2 Pipedrive time string", body: v2(t, ts("2026-01-01 00:00:05")), wantTime: utc("2026-01-01T00:00:05Z")},
		{name: "v2 no timestamp: data.update_time", body: v2(t, ts(nil)), wantTime: utc("2026-01-01T00:00:00Z")},
		{name: "v2 bad timestamp", body: v2(t, ts("yesterday")), wantErr: webhook.ErrMalformed},
		{name: "v2 zero timestamp", body: v2(t, ts(0)), wantErr: webhook.ErrMalformed},
		{name: "v2 negative timestamp", body: v2(t, ts(-5)), wantErr: webhook.ErrMalformed},
		{name: "v2 boolean timestamp", body: v2(t, ts(true)), wantErr: webhook.ErrMalformed},
		{name: "v2 year 10000", body: v2(t, ts("10000-01-01T00:00:00Z")), wantErr: webhook.ErrMalformed},
		{name: "v2 no time at all", body: v2(t, func(d, m map[string]any) { delete(m, "timestamp"); delete(d["data"].(map[string]any), "update_time") }), wantErr: webhook.ErrUnmappable},
		// v2 identity
		{name: "v2 numeric ids", body: v2(t, func(d, m map[string]any) { m["company_id"], m["entity_id"] = 8100001, 42 }),
			wantID: "pipedrive:8100001:9b7a6c5d-2222-4e3f-8a1b-000000000002", wantRec: "42"},
		{name: "v2 record id from data", body: v2(t, func(d, m map[string]any) { delete(m, "entity_id") }), wantRec: "42"},
		{name: "v2 no event id", body: v2(t, func(d, m map[string]any) { delete(m, "id") }), wantErr: webhook.ErrUnmappable},
		{name: "v2 no company", body: v2(t, func(d, m map[string]any) { delete(m, "company_id") }), wantErr: webhook.ErrUnmappable},
		{name: "v2 company with a slash", body: v2(t, func(d, m map[string]any) { m["company_id"] = "81/1" }), wantErr: webhook.ErrUnmappable},
		{name: "v2 no record id", body: v2(t, func(d, m map[string]any) { delete(m, "entity_id"); delete(d["data"].(map[string]any), "id") }), wantErr: webhook.ErrUnmappable},
		{name: "v2 company id an object", body: v2(t, func(d, m map[string]any) { m["company_id"] = map[string]any{} }), wantErr: webhook.ErrMalformed},
		{name: "v2 data an array", body: v2(t, func(d, m map[string]any) { d["data"] = []any{1} }), wantErr: webhook.ErrMalformed},
		// v2 actions
		{name: "v2 create", body: v2(t, func(d, m map[string]any) { m["action"] = "create"; d["previous"] = nil }), wantOp: webhook.OpUpsert},
		{name: "v2 delete", body: v2(t, func(d, m map[string]any) { m["action"] = "delete"; d["previous"], d["data"] = d["data"], nil }), wantOp: webhook.OpDelete, wantRec: "42"},
		{name: "v2 delete record id from previous", body: v2(t, func(d, m map[string]any) {
			m["action"] = "delete"
			delete(m, "entity_id")
			d["previous"], d["data"] = d["data"], nil
		}), wantOp: webhook.OpDelete, wantRec: "42"},
		{name: "v2 unknown action ignored", body: v2(t, func(d, m map[string]any) { m["action"] = "merge" }), wantNone: true},
		{name: "v2 no action", body: v2(t, func(d, m map[string]any) { delete(m, "action") }), wantErr: webhook.ErrUnmappable},
		{name: "v2 without version but with entity", body: v2(t, func(d, m map[string]any) { delete(m, "version") }), wantID: "pipedrive:8100001:9b7a6c5d-2222-4e3f-8a1b-000000000002"},
		// v1
		{name: "v1 micro timestamp", body: v1(t, nil), wantTime: time.UnixMicro(1767088800123456),
			wantID: "pipedrive:8100001:v1:4600001:deal:42:updated:1767088800123456"},
		{name: "v1 seconds only", body: v1(t, v1ts(1767225600, nil)), wantTime: time.Unix(1767225600, 0),
			wantID: "pipedrive:8100001:v1:4600001:deal:42:updated:1767225600000000"},
		{name: "v1 string timestamps", body: v1(t, v1ts("1767225600", "1767225600123456")), wantTime: time.UnixMicro(1767225600123456)},
		{name: "v1 no timestamp: current.update_time", body: v1(t, v1ts(nil, nil)), wantTime: utc("2025-12-30T10:00:00Z")},
		{name: "v1 added", body: v1(t, func(d, m map[string]any) { m["action"] = "added"; d["previous"] = nil }), wantOp: webhook.OpUpsert,
			wantID: "pipedrive:8100001:v1:4600001:deal:42:added:1767088800123456"},
		{name: "v1 deleted", body: v1(t, func(d, m map[string]any) { m["action"] = "deleted"; d["current"] = nil; d["event"] = "deleted.deal" }),
			wantOp: webhook.OpDelete, wantRec: "42"},
		{name: "v1 merged ignored", body: v1(t, func(d, m map[string]any) { m["action"] = "merged" }), wantNone: true},
		{name: "v1 action and object from event", body: v1(t, func(d, m map[string]any) { delete(m, "action"); delete(m, "object") }),
			wantID: "pipedrive:8100001:v1:4600001:deal:42:updated:1767088800123456"},
		{name: "v1 without webhook id", body: v1(t, func(d, m map[string]any) { delete(m, "webhook_id") }),
			wantID: "pipedrive:8100001:v1::deal:42:updated:1767088800123456"},
		{name: "v1 no company", body: v1(t, func(d, m map[string]any) { delete(m, "company_id") }), wantErr: webhook.ErrUnmappable},
		{name: "v1 record id from current", body: v1(t, func(d, m map[string]any) { delete(m, "id") }), wantRec: "42"},
		// neither
		{name: "not JSON", body: []byte(`{"meta":`), wantErr: webhook.ErrMalformed},
		{name: "empty body", body: nil, wantErr: webhook.ErrMalformed},
		{name: "an array", body: []byte(`[{"meta":{}}]`), wantErr: webhook.ErrMalformed},
		{name: "empty object", body: []byte(`{}`), wantErr: webhook.ErrUnmappable},
		{name: "null", body: []byte(`null`), wantErr: webhook.ErrUnmappable},
		{name: "meta a string", body: []byte(`{"meta":"x"}`), wantErr: webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Adapter{}.Parse(&webhook.Request{Body: tt.body})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Parse: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tt.wantNone {
				if len(got) != 0 {
					t.Fatalf("%d changes, want none", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d changes, want 1", len(got))
			}
			c := got[0]
			if !tt.wantTime.IsZero() && !c.OccurredAt.Equal(tt.wantTime) {
				t.Errorf("OccurredAt = %v, want %v", c.OccurredAt, tt.wantTime)
			}
			if tt.wantID != "" && c.ID != tt.wantID {
				t.Errorf("ID = %q, want %q", c.ID, tt.wantID)
			}
			if tt.wantRec != "" && c.RecordID != tt.wantRec {
				t.Errorf("RecordID = %q, want %q", c.RecordID, tt.wantRec)
			}
			if tt.wantOp != "" && c.Op != tt.wantOp {
				t.Errorf("Op = %q, want %q", c.Op, tt.wantOp)
			}
			if c.OccurredAt.Location() != time.UTC {
				t.Errorf("OccurredAt not in UTC")
			}
			if c.Op == webhook.OpUpsert && len(c.Fields) == 0 {
				t.Errorf("upsert without fields")
			}
			eventstest.AssertValid(t, asEvent(c))
		})
	}
}

// A retry of the same change (attempt 2) has the same id.
func TestParseRetryStableID(t *testing.T) {
	first, err := Adapter{}.Parse(&webhook.Request{Body: v2(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := Adapter{}.Parse(&webhook.Request{Body: v2(t, func(d, m map[string]any) { m["attempt"] = 2 })})
	if err != nil {
		t.Fatal(err)
	}
	if first[0].ID != retry[0].ID {
		t.Errorf("retry id %q != first id %q", retry[0].ID, first[0].ID)
	}
}
