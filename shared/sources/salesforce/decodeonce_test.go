package salesforce_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Verify keeps its decode on the request for Parse; Parse must give what a
// Parse of a fresh request gives, and maps of its own each time.
func TestVerifyThenParseSameRequest(t *testing.T) {
	body := opportunities(3)
	var a salesforce.Adapter
	fresh, err := a.Parse(&webhook.Request{Method: "POST", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	r := &webhook.Request{Method: "POST", Body: body}
	if err := a.Verify(r, secretJSON, time.Now()); err != nil {
		t.Fatal(err)
	}
	first, err := a.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(fresh, first); d != "" {
		t.Fatalf("Parse after Verify differs (-fresh +after Verify):\n%s", d)
	}
	first[0].Fields["Name"] = "changed"
	second, err := a.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(fresh, second); d != "" {
		t.Fatalf("second Parse sees the first one's maps (-fresh +second):\n%s", d)
	}
}

// A decode kept by Verify is not used once Body is another slice.
func TestParseAfterBodyReplaced(t *testing.T) {
	var a salesforce.Adapter
	r := &webhook.Request{Method: "POST", Body: opportunities(1)}
	if err := a.Verify(r, secretJSON, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Body = opportunities(2)
	changes, err := a.Parse(r)
	if err != nil || len(changes) != 2 {
		t.Fatalf("Parse = %d changes, %v; want 2", len(changes), err)
	}
	r.Body = r.Body[:len(r.Body)-1] // same start, other length
	if err := a.Verify(r, secretJSON, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Body = []byte("<x/>")
	if _, err := a.Parse(r); !errors.Is(err, webhook.ErrMalformed) {
		t.Fatalf("Parse of a replaced body = %v, want ErrMalformed", err)
	}
}

// Verify judges only the body up to the OrganizationId, although it
// decodes all of it: what is wrong after it is Parse's to report, and
// what is wrong inside an element before it (but well-formed) does not
// hide a wrong organization.
func TestVerifyJudgesUpToOrganizationId(t *testing.T) {
	bad := note("04l5e00000AbCdEAA1", "Opportunity", okFields+`<sf:Name>a</sf:Name><sf:Name>b</sf:Name>`)
	other, _ := json.Marshal(salesforce.Secret{OrganizationID: "00D000000000001"})
	tests := []struct {
		name            string
		body            string
		secret          json.RawMessage
		verify, parse   error
		verifyOK, parOK bool
	}{
		{name: "bad notification after org", body: withOrg(org18, bad), secret: secretJSON, verifyOK: true, parse: webhook.ErrMalformed},
		{name: "bad notification after org, other org", body: withOrg(org18, bad), secret: other, verify: webhook.ErrUnauthenticated, parse: webhook.ErrMalformed},
		{name: "bad notification before org", body: envelope(bad + `<OrganizationId>` + org18 + `</OrganizationId>`), secret: secretJSON, verifyOK: true, parse: webhook.ErrMalformed},
		{name: "bad notification before org, other org", body: envelope(bad + `<OrganizationId>` + org18 + `</OrganizationId>`), secret: other, verify: webhook.ErrUnauthenticated, parse: webhook.ErrMalformed},
		{name: "second org", body: withOrg(org18, `<OrganizationId>`+org18+`</OrganizationId>`), secret: secretJSON, verifyOK: true, parse: webhook.ErrMalformed},
		{name: "junk after envelope", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields)) + "x", secret: secretJSON, verifyOK: true, parse: webhook.ErrMalformed},
		{name: "broken XML before org", body: envelope(`<ActionId>` + `<OrganizationId>` + org18 + `</OrganizationId>`), secret: secretJSON, verify: webhook.ErrMalformed, parse: webhook.ErrMalformed},
		{name: "valid", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields)), secret: secretJSON, verifyOK: true, parOK: true},
	}
	var a salesforce.Adapter
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &webhook.Request{Method: "POST", Body: []byte(tc.body)}
			err := a.Verify(r, tc.secret, time.Now())
			if tc.verifyOK != (err == nil) || err != nil && !errors.Is(err, tc.verify) {
				t.Fatalf("Verify = %v, want %v", err, tc.verify)
			}
			_, err = a.Parse(r)
			if tc.parOK != (err == nil) || err != nil && !errors.Is(err, tc.parse) {
				t.Fatalf("Parse = %v, want %v", err, tc.parse)
			}
		})
	}
}
