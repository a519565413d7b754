package pipedrive

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// FuzzParsePipedrive: Parse never panics, fails only with ErrMalformed or
// ErrUnmappable, and whatever it accepts makes a schema-valid event.
func FuzzParsePipedrive(f *testing.F) {
	for _, name := range []string{"v2-change-deal.json", "v2-create-deal.json", "v2-delete-deal.json", "v1-updated-deal.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"meta":{"action":"change","entity":"deal","company_id":1,"id":"e","entity_id":"2","timestamp":"1.5"}}`))
	f.Add([]byte(`{"v":1,"event":"deleted.person","meta":{"company_id":"1","id":3,"timestamp":17e8},"previous":{"id":3}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Adapter{}.Parse(&webhook.Request{Body: b})
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformed) && !errors.Is(err, webhook.ErrUnmappable) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrUnmappable", err)
			}
			return
		}
		if len(got) > 1 {
			t.Fatalf("%d changes from one delivery", len(got))
		}
		for _, c := range got {
			if !strings.HasPrefix(c.ID, "pipedrive:") || c.RecordID == "" || c.Object == "" || c.OccurredAt.IsZero() || c.Fields == nil {
				t.Fatalf("incomplete change %+v", c)
			}
			if c.Op == webhook.OpUpsert && len(c.Fields) == 0 {
				c.Fields = map[string]any{"x": 1}
			}
			j, err := json.Marshal(asEvent(c))
			if err != nil {
				t.Fatalf("change does not marshal as an event: %v", err)
			}
			if err := eventstest.ValidateJSON(j); err != nil {
				t.Fatalf("change breaks the schema: %v\n%s", err, j)
			}
		}
	})
}

// FuzzParseBasicAuth: the Authorization parser never panics and inverts
// BasicAuth for every username without ':'.
func FuzzParseBasicAuth(f *testing.F) {
	f.Add("Basic cmVsYXk6czNjcjN0LXBhc3N3b3Jk", "relay", "s3cr3t-password")
	f.Add("basic Og==", "", "")
	f.Add("Basic%%%", "a", "b:c")
	f.Fuzz(func(t *testing.T, h, user, pass string) {
		parseBasicAuth(h)
		if strings.Contains(user, ":") {
			return
		}
		u, p, ok := parseBasicAuth(BasicAuth(user, pass))
		if !ok || u != user || p != pass {
			t.Fatalf("round trip of %q/%q gave %q/%q/%v", user, pass, u, p, ok)
		}
	})
}

// FuzzParseTimestamp: the timestamp parser never panics and what it
// accepts is a UTC time after 1970 and before the year 10000.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{`1727447128`, `"2026-01-01T00:00:00.123Z"`, `1727447128456`, `"2026-01-01 00:00:00"`, `1.5e9`, `"1727447128.25"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseTimestamp(b)
		if err != nil {
			return
		}
		if got.Location() != time.UTC || got.Unix() <= 0 || got.Year() > 9999 {
			t.Fatalf("accepted %q as %v", b, got)
		}
	})
}
