package salesforce_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func addTestdata(f *testing.F) {
	f.Helper()
	files, _ := filepath.Glob("testdata/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseSalesforce feeds arbitrary bodies to Parse: no panic, only the
// sentinels as errors, and usable changes otherwise.
func FuzzParseSalesforce(f *testing.F) {
	addTestdata(f)
	f.Add([]byte(withOrg(org15, note("04l5e00000AbCdEAA1", "Opportunity", okFields+`<sf:IsDeleted>true</sf:IsDeleted>`))))
	f.Add([]byte(withOrg(org18, note("04l", "X", `<sf:Id>1</sf:Id><sf:SystemModstamp xsi:nil="true"/><sf:LastModifiedDate>2026-01-01T00:00:00Z</sf:LastModifiedDate>`))))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`))
	f.Add([]byte(strings.Repeat("<a>", 20)))
	var a salesforce.Adapter
	f.Fuzz(func(t *testing.T, body []byte) {
		changes, err := a.Parse(&webhook.Request{Method: "POST", Body: body})
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformed) && !errors.Is(err, webhook.ErrUnmappable) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrUnmappable", err)
			}
			if changes != nil {
				t.Fatalf("changes returned with error %v", err)
			}
			return
		}
		for _, c := range changes {
			switch {
			case !strings.HasPrefix(c.ID, "salesforce:") || !strings.HasPrefix(c.Source, "salesforce/org/"):
				t.Fatalf("bad id %q or source %q", c.ID, c.Source)
			case strings.Count(c.ID, ":") != 2 || len(c.Source) != len("salesforce/org/")+18:
				t.Fatalf("id %q or source %q has the wrong shape", c.ID, c.Source)
			case c.RecordID == "" || c.Object == "" || c.OccurredAt.IsZero():
				t.Fatalf("incomplete change %+v", c)
			case c.Op == webhook.OpUpsert && c.Fields["Id"] != c.RecordID:
				t.Fatalf("upsert whose Fields lack the record id")
			}
		}
	})
}

// FuzzVerifySalesforce feeds arbitrary bodies and configured org ids to
// Verify: no panic, only the sentinels or ErrSecret as errors, and a
// message built for a valid org id verifies against that org's secret.
func FuzzVerifySalesforce(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, org18)
	}
	f.Add([]byte(withOrg(strings.ToLower(org18), "")), org15)
	f.Add([]byte(withOrg("", "")), "")
	f.Add([]byte(`<x/>`), `"}`)
	now := time.Now()
	var a salesforce.Adapter
	f.Fuzz(func(t *testing.T, body []byte, org string) {
		secret, _ := json.Marshal(salesforce.Secret{OrganizationID: org})
		err := a.Verify(&webhook.Request{Method: "POST", Body: body}, secret, now)
		if err != nil && !errors.Is(err, webhook.ErrUnauthenticated) && !errors.Is(err, webhook.ErrMalformed) && !errors.Is(err, salesforce.ErrSecret) {
			t.Fatalf("error %v wraps no verification sentinel", err)
		}
		if _, nerr := salesforce.NormalizeID(org); nerr != nil {
			if !errors.Is(err, salesforce.ErrSecret) {
				t.Fatalf("invalid configured org id %q: Verify = %v, want ErrSecret", org, err)
			}
			return
		}
		built := salesforce.BuildOutboundMessage(salesforce.Message{OrganizationID: org,
			Notifications: []salesforce.Notification{{ID: "04l5e00000AbCdEAA1", Object: "Opportunity", RecordID: "0065e00000QwErTAAZ"}}})
		if err := a.Verify(&webhook.Request{Method: "POST", Body: built}, secret, now); err != nil {
			t.Fatalf("message for org %q does not verify: %v", org, err)
		}
	})
}

// FuzzNormalizeID checks NormalizeID's invariants on arbitrary input.
func FuzzNormalizeID(f *testing.F) {
	for _, s := range []string{org15, org18, "0015000000Gv7qJ", "00d5e000000abcdeak", "ZZZZZZZZZZZZZZZ555", "00D5e000000AbCdBAK"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		n, err := salesforce.NormalizeID(id)
		if err != nil {
			return
		}
		if len(n) != 18 {
			t.Fatalf("NormalizeID(%q) = %q, not 18 characters", id, n)
		}
		if !strings.EqualFold(n, id) && !strings.EqualFold(n[:15], id) {
			t.Fatalf("NormalizeID(%q) = %q changed more than case", id, n)
		}
		for _, again := range []string{n, n[:15], strings.ToLower(n), strings.ToUpper(n)} {
			if m, err := salesforce.NormalizeID(again); err != nil || m != n {
				t.Fatalf("NormalizeID(%q) = %q, %v; want %q", again, m, err, n)
			}
		}
	})
}
