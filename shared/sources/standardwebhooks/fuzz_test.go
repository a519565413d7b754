package standardwebhooks

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// FuzzParseGeneric: Parse never panics, fails only with ErrMalformed, and
// everything it accepts is schema-valid, unique by id and at most
// MaxEvents long.
func FuzzParseGeneric(f *testing.F) {
	for _, name := range []string{"goal-upserted.json", "batch.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{}]`))
	f.Add([]byte(`{"specversion":"1.0","id":"a","source":"a","type":"metric.deleted","subject":"s","time":"2026-01-01T00:00:00+14:00","data":{"externalId":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Adapter{}.Parse(&webhook.Request{Body: b})
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(got) > MaxEvents {
			t.Fatalf("%d events accepted", len(got))
		}
		seen := map[string]bool{}
		for _, c := range got {
			if seen[c.ID] {
				t.Fatalf("duplicate id accepted")
			}
			seen[c.ID] = true
			if c.Canonical == nil || c.ID != c.Canonical.ID || c.RecordID != c.Canonical.Subject {
				t.Fatalf("change does not repeat its canonical event")
			}
			e, err := json.Marshal(c.Canonical)
			if err != nil {
				t.Fatalf("accepted event does not marshal: %v", err)
			}
			if err := eventstest.ValidateJSON(e); err != nil {
				t.Fatalf("accepted event breaks the schema: %v\n%s", err, e)
			}
		}
	})
}

// FuzzParseSignatureHeader: the header parser never panics, yields only
// 32-byte v1 signatures, and a header made of Sign output always verifies.
func FuzzParseSignatureHeader(f *testing.F) {
	f.Add(officialSig)
	f.Add(officialSig + " v1a,abc v2," + officialSig)
	f.Add("v1,@@@ v1, ,v1 v1,,")
	f.Add(strings.Repeat("v1,AAAA ", 40))
	f.Fuzz(func(t *testing.T, h string) {
		sigs := parseSignatures(h)
		if len(sigs) > maxSignatures {
			t.Fatalf("%d signatures", len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes", len(s))
			}
		}
		// Whatever else the header holds, prefixing a valid signature
		// keeps the request verifiable (the first entry is always read).
		r := request(officialID, officialTS, officialSig+" "+h, officialBody)
		if err := (Adapter{}).Verify(r, json.RawMessage(`{"secret":"`+officialSecret+`"}`), time.Unix(officialTS, 0)); err != nil {
			t.Fatalf("valid signature plus %q: %v", h, err)
		}
		// And the header alone never verifies unless it carries the MAC.
		r = request(officialID, officialTS, h, officialBody)
		err := Adapter{}.Verify(r, json.RawMessage(`{"secret":"`+officialSecret+`"}`), time.Unix(officialTS, 0))
		if err == nil && !strings.Contains(h, strings.TrimPrefix(officialSig, "v1,")) {
			t.Fatalf("header %q verified without the signature", h)
		}
		if err != nil && !errors.Is(err, webhook.ErrUnauthenticated) {
			t.Fatalf("error %v is not ErrUnauthenticated", err)
		}
	})
}
