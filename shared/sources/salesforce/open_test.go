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

// Open decodes the body once and gives what Verify then Parse give, with
// maps of its own on every call.
func TestOpenIsVerifyThenParse(t *testing.T) {
	body := opportunities(3)
	var a salesforce.Adapter
	r := &webhook.Request{Method: "POST", Body: body}
	if err := a.Verify(r, secretJSON, time.Now()); err != nil {
		t.Fatal(err)
	}
	want, err := a.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.Open(r, secretJSON, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, first); d != "" {
		t.Fatalf("Open differs from Verify+Parse (-want +got):\n%s", d)
	}
	first[0].Fields["Name"] = "changed"
	second, err := a.Open(r, secretJSON, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, second); d != "" {
		t.Fatalf("second Open sees the first one's maps (-want +got):\n%s", d)
	}
}

// Verify and Open judge authenticity on the body up to the OrganizationId
// only, although Open decodes all of it: what is wrong after it is the
// body's problem (400, not 401), and
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
			// Open: authentication first, then the body.
			wantOpen := tc.verify
			if tc.verifyOK {
				wantOpen = tc.parse
			}
			_, err = a.Open(r, tc.secret, time.Now())
			if (wantOpen == nil) != (err == nil) || err != nil && !errors.Is(err, wantOpen) {
				t.Fatalf("Open = %v, want %v", err, wantOpen)
			}
		})
	}
}
