package dynamics

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// FuzzParseDynamics: Parse never panics, fails only with ErrMalformed or
// ErrUnmappable, and whatever it accepts makes a schema-valid event.
func FuzzParseDynamics(f *testing.F) {
	for _, name := range []string{"opportunity-create.json", "opportunity-update.json", "opportunity-delete.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"MessageName":"Update","OrganizationId":"o","PrimaryEntityName":"e","PrimaryEntityId":"1","OperationId":"2","OperationCreatedOn":"\/Date(1+0000)\/"}`))
	f.Add([]byte(`{"MessageName":"Delete","OrganizationId":"o","PrimaryEntityName":"e","CorrelationId":"c","InputParameters":[{"key":"Target","value":{"Id":"9"}}],"PreEntityImages":[{"key":"p","value":{"Attributes":[{"key":"a","value":{"__type":"Money:x","Value":1}}]}}],"OperationCreatedOn":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Adapter{}.Parse(&webhook.Request{Body: b})
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformed) && !errors.Is(err, webhook.ErrUnmappable) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrUnmappable", err)
			}
			return
		}
		if len(got) > 1 {
			t.Fatalf("%d changes from one context", len(got))
		}
		for _, c := range got {
			if !strings.HasPrefix(c.ID, "dynamics:") || c.RecordID == "" || c.Object == "" || c.OccurredAt.IsZero() {
				t.Fatalf("incomplete change %+v", c)
			}
			if c.Op == webhook.OpUpsert && len(c.Fields) == 0 {
				c.Fields = map[string]any{"x": 1}
			}
			e := asEvent(c)
			j, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("change does not marshal as an event: %v", err)
			}
			if err := eventstest.ValidateJSON(j); err != nil {
				t.Fatalf("change breaks the schema: %v\n%s", err, j)
			}
		}
	})
}

// FuzzParseDate: the /Date()/ parser never panics and what it accepts
// formats and re-parses to the same instant.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"/Date(1506384247000)/", "/Date(1506409448000-0700)/", "/Date(-1+0000)/", "/Date()/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseDate(s)
		if !ok {
			return
		}
		if y := d.Year(); y < 1 || y > 9999 {
			t.Fatalf("year %d accepted", y)
		}
		back, ok := parseDate("/Date(" + strconv.FormatInt(d.UnixMilli(), 10) + ")/")
		if !ok || !back.Equal(d) {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}
