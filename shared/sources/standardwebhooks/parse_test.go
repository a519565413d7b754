package standardwebhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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

func canonicals(cs []webhook.Change) []events.Event {
	out := make([]events.Event, 0, len(cs))
	for _, c := range cs {
		out = append(out, *c.Canonical)
	}
	return out
}

func TestParseTestdata(t *testing.T) {
	tests := []struct {
		file string
		want []webhook.Change // Canonical and Fields compared separately
	}{
		{"goal-upserted.json", []webhook.Change{{
			ID: "sfflow:00D000000000062EAA:a0B5g00000XyZ1AEAV:1767225600000", Source: "sfflow/org/00D000000000062EAA",
			Object: "goal", RecordID: "a0B5g00000XyZ1AEAV", Op: webhook.OpUpsert,
			OccurredAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		}}},
		{"batch.json", []webhook.Change{
			{ID: "backfill:acme:goal-7781:1767229200000", Source: "backfill/tenant/acme", Object: "goal",
				RecordID: "goal-7781", Op: webhook.OpUpsert, OccurredAt: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)},
			{ID: "backfill:acme:goal-7702:1767229260000", Source: "backfill/tenant/acme", Object: "goal",
				RecordID: "goal-7702", Op: webhook.OpDelete, OccurredAt: time.Date(2026, 1, 1, 1, 1, 0, 0, time.UTC)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readTestdata(t, tt.file)
			got, err := Adapter{}.Parse(&webhook.Request{Body: body})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			opts := cmp.Options{cmpopts.IgnoreFields(webhook.Change{}, "Canonical", "Fields"), cmpopts.EquateApproxTime(0)}
			if d := cmp.Diff(tt.want, got, opts); d != "" {
				t.Errorf("Parse (-want +got):\n%s", d)
			}
			// Canonical is the event as sent, Fields its data.fields.
			want, err := events.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, canonicals(got)); d != "" {
				t.Errorf("Canonical (-want +got):\n%s", d)
			}
			for i, c := range got {
				if d := cmp.Diff(want[i].Data.Fields, c.Fields); d != "" {
					t.Errorf("change %d Fields (-want +got):\n%s", i, d)
				}
			}
			eventstest.AssertValid(t, canonicals(got)...)
		})
	}
}

// event returns a valid goal.upserted event with id n, changed by edit.
func event(n int, edit func(m map[string]any)) map[string]any {
	m := map[string]any{
		"specversion": "1.0", "id": fmt.Sprintf("gen:%d", n), "source": "generic/acme",
		"type": "goal.upserted", "subject": fmt.Sprint(n), "time": "2026-01-01T00:00:00Z",
		"data": map[string]any{"externalId": fmt.Sprint(n), "fields": map[string]any{"Name": "G"}},
	}
	if edit != nil {
		edit(m)
	}
	return m
}

func data(m map[string]any) map[string]any { return m["data"].(map[string]any) }

func body(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	many := func(n int) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = event(i, nil)
		}
		return l
	}
	tests := []struct {
		name      string
		body      []byte
		wantN     int
		wantErr   error
		wantInErr string
	}{
		{"one object", body(t, event(1, nil)), 1, nil, ""},
		{"array of one", body(t, []any{event(1, nil)}), 1, nil, ""},
		{"leading whitespace array", append([]byte(" \n"), body(t, many(2))...), 2, nil, ""},
		{"empty array is nothing to do", []byte(`[]`), 0, nil, ""},
		{"100 events", body(t, many(100)), 100, nil, ""},
		{"101 events", body(t, many(101)), 0, webhook.ErrMalformed, "at most 100"},
		{"duplicate ids", body(t, []any{event(1, nil), event(2, nil), event(1, nil)}), 0, webhook.ErrMalformed, "events 0 and 2"},
		{"not JSON", []byte(`{"specversion":`), 0, webhook.ErrMalformed, ""},
		{"empty body", nil, 0, webhook.ErrMalformed, ""},
		{"null", []byte(`null`), 0, webhook.ErrMalformed, ""},
		{"array with null", []byte(`[null]`), 0, webhook.ErrMalformed, ""},
		{"a string", []byte(`"goal"`), 0, webhook.ErrMalformed, ""},
		{"trailing garbage", append(body(t, event(1, nil)), 'x'), 0, webhook.ErrMalformed, ""},
		{"unknown type", body(t, event(1, func(m map[string]any) { m["type"] = "goal.updated" })), 0, webhook.ErrMalformed, ""},
		{"wrong specversion", body(t, event(1, func(m map[string]any) { m["specversion"] = "0.3" })), 0, webhook.ErrMalformed, ""},
		{"no time", body(t, event(1, func(m map[string]any) { delete(m, "time") })), 0, webhook.ErrMalformed, ""},
		{"time not RFC 3339", body(t, event(1, func(m map[string]any) { m["time"] = "01/01/2026" })), 0, webhook.ErrMalformed, ""},
		{"no subject", body(t, event(1, func(m map[string]any) { delete(m, "subject") })), 0, webhook.ErrMalformed, ""},
		{"no externalId", body(t, event(1, func(m map[string]any) { delete(data(m), "externalId") })), 0, webhook.ErrMalformed, ""},
		{"upsert without fields", body(t, event(1, func(m map[string]any) { delete(data(m), "fields") })), 0, webhook.ErrMalformed, "data.fields"},
		{"upsert with empty fields", body(t, event(1, func(m map[string]any) { data(m)["fields"] = map[string]any{} })), 0, webhook.ErrMalformed, "data.fields"},
		{"delete without fields", body(t, event(1, func(m map[string]any) { m["type"] = "goal.deleted"; delete(data(m), "fields") })), 1, nil, ""},
		{"source upper case", body(t, event(1, func(m map[string]any) { m["source"] = "Generic/acme" })), 0, webhook.ErrMalformed, "source"},
		{"id too long", body(t, event(1, func(m map[string]any) { m["id"] = strings.Repeat("x", 513) })), 0, webhook.ErrMalformed, "id longer"},
		{"id of 512", body(t, event(1, func(m map[string]any) { m["id"] = strings.Repeat("é", 512) })), 1, nil, ""},
		{"empty association id", body(t, event(1, func(m map[string]any) {
			data(m)["associate"] = map[string]any{"CTA": []string{""}}
		})), 0, webhook.ErrMalformed, "associate"},
		{"metric without id", body(t, event(1, func(m map[string]any) {
			data(m)["metrics"] = []any{map[string]any{"targetValue": 3}}
		})), 0, webhook.ErrMalformed, "metricId"},
		{"metric timestamp not a date", body(t, event(1, func(m map[string]any) {
			data(m)["metrics"] = []any{map[string]any{"metricId": "1I0", "actualValue": []any{map[string]any{"value": 1, "timestamp": "2026-01-01T00:00:00Z"}}}}
		})), 0, webhook.ErrMalformed, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Adapter{}.Parse(&webhook.Request{Body: tt.body})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Parse: %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantInErr) {
					t.Errorf("Parse error %q does not mention %q", err, tt.wantInErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(got) != tt.wantN {
				t.Fatalf("Parse: %d changes, want %d", len(got), tt.wantN)
			}
			eventstest.AssertValid(t, canonicals(got)...)
		})
	}
}

func TestParseObjectAndOp(t *testing.T) {
	for _, typ := range events.Types {
		t.Run(string(typ), func(t *testing.T) {
			b := body(t, event(1, func(m map[string]any) { m["type"] = string(typ) }))
			got, err := Adapter{}.Parse(&webhook.Request{Body: b})
			if err != nil {
				t.Fatal(err)
			}
			wantOp := webhook.OpUpsert
			if typ.IsDelete() {
				wantOp = webhook.OpDelete
			}
			if got[0].Object != typ.Entity() || got[0].Op != wantOp {
				t.Errorf("Object, Op = %q, %q; want %q, %q", got[0].Object, got[0].Op, typ.Entity(), wantOp)
			}
			eventstest.AssertValid(t, canonicals(got)...)
		})
	}
}
