package salesforce_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

const (
	org18 = "00D5e000000AbCdEAK"
	org15 = "00D5e000000AbCd"
)

var secretJSON = json.RawMessage(`{"organizationId":"` + org18 + `"}`)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope wraps the inside of <notifications> in a SOAP envelope.
func envelope(inner string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">` + inner + `</notifications>
 </soapenv:Body>
</soapenv:Envelope>`
}

// note is one Notification with the given sObject fields.
func note(id, object, fields string) string {
	return `<Notification><Id>` + id + `</Id><sObject xsi:type="sf:` + object + `" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` + fields + `</sObject></Notification>`
}

const okFields = `<sf:Id>0065e00000QwErTAAZ</sf:Id><sf:StageName>Closed Won</sf:StageName><sf:SystemModstamp>2026-11-27T10:00:01.000Z</sf:SystemModstamp>`

func withOrg(org, rest string) string {
	return envelope(`<OrganizationId>` + org + `</OrganizationId>` + rest)
}

func TestNormalizeID(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: org15, want: org18},
		{in: org18, want: org18},
		{in: "0015000000Gv7qJ", want: "0015000000Gv7qJAAR"},
		{in: "0015000000Gv7qJAAR", want: "0015000000Gv7qJAAR"},
		{in: "0015000000gv7qjaar", want: "0015000000Gv7qJAAR"}, // case restored from the suffix
		{in: "00D5E000000ABCDEAK", want: org18},
		{in: "00d5e000000abcdeak", want: org18},
		{in: "000000000000000", want: "000000000000000AAA"},
		{in: "ZZZZZZZZZZZZZZZ", want: "ZZZZZZZZZZZZZZZ555"},
		{in: "zzzzzzzzzzzzzzz", want: "zzzzzzzzzzzzzzzAAA"},
		{in: "", wantErr: true},
		{in: "00D5e000000AbC", wantErr: true},
		{in: "00D5e000000AbCdEA", wantErr: true},
		{in: "00D5e000000AbCdEAKX", wantErr: true},
		{in: "00D5e000000AbC-", wantErr: true},
		{in: "00D5e000000AbCd9AK", wantErr: true}, // '9' is not a suffix character
		{in: "00D5e000000AbCdBAK", wantErr: true}, // suffix says position 0 ('0') is upper case
		{in: "00D5é00000AbCd", wantErr: true},
	}
	for _, tt := range tests {
		got, err := salesforce.NormalizeID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizeID(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestVerify(t *testing.T) {
	one := string(readFile(t, "one-opportunity.xml"))
	tests := []struct {
		name   string
		body   string
		secret string
		want   error
	}{
		{name: "matching 18-character org id", body: one},
		{name: "configured 15-character org id is normalised", body: one, secret: `{"organizationId":"` + org15 + `"}`},
		{name: "configured org id in upper case", body: one, secret: `{"organizationId":"00D5E000000ABCDEAK"}`},
		{name: "configured org id with surrounding JSON members", body: one, secret: `{"organizationId":"` + org18 + `","note":"prod"}`},
		{name: "message carries the 15-character id", body: withOrg(org15, note("04l5e00000AbCdEAA1", "Opportunity", okFields))},
		{name: "message id in lower case", body: withOrg(strings.ToLower(org18), "")},
		{name: "two notifications", body: string(readFile(t, "two-opportunities.xml"))},
		{name: "other organization", body: one, secret: `{"organizationId":"00D5e000000AbCe"}`, want: webhook.ErrUnauthenticated},
		{name: "same 15 characters in another case", body: one, secret: `{"organizationId":"00D5e000000ABCD"}`, want: webhook.ErrUnauthenticated},
		{name: "message without OrganizationId", body: envelope(note("04l5e00000AbCdEAA1", "Opportunity", okFields)), want: webhook.ErrUnauthenticated},
		{name: "empty OrganizationId", body: withOrg("", ""), want: webhook.ErrUnauthenticated},
		{name: "OrganizationId not an id", body: withOrg("00D5e000000AbCd-AK", ""), want: webhook.ErrUnauthenticated},
		{name: "OrganizationId in another namespace", body: envelope(`<x:OrganizationId xmlns:x="urn:other">` + org18 + `</x:OrganizationId>`), want: webhook.ErrUnauthenticated},
		{name: "empty body", body: "", want: webhook.ErrMalformed},
		{name: "JSON body", body: `{"organizationId":"` + org18 + `"}`, want: webhook.ErrMalformed},
		{name: "truncated XML", body: one[:200], want: webhook.ErrMalformed},
		{name: "not a SOAP envelope", body: `<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>` + org18 + `</OrganizationId></notifications>`, want: webhook.ErrMalformed},
		{name: "DOCTYPE with an external entity", body: `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + withOrg("&x;", ""), want: webhook.ErrMalformed},
		{name: "deep nesting in the header", body: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>` + strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000) + `</soapenv:Header></soapenv:Envelope>`, want: webhook.ErrMalformed},
		{name: "secret without organizationId", body: one, secret: `{"clientSecret":"x"}`, want: salesforce.ErrSecret},
		{name: "secret with an invalid organizationId", body: one, secret: `{"organizationId":"00D-bad"}`, want: salesforce.ErrSecret},
		{name: "secret not JSON", body: one, secret: org18, want: salesforce.ErrSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := json.RawMessage(tt.secret)
			if tt.secret == "" {
				secret = secretJSON
			}
			var a salesforce.Adapter
			err := a.Verify(&webhook.Request{Method: "POST", Body: []byte(tt.body)}, secret, time.Now())
			t.Logf("err: %v", err)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), org18) || strings.Contains(err.Error(), "00D5e000000AbCe")) {
				t.Errorf("error %q names an organization id", err)
			}
		})
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseTestdata(t *testing.T) {
	first := webhook.Change{
		ID:         "salesforce:" + org18 + ":04l5e00000AbCdEAA1",
		Source:     "salesforce/org/" + org18,
		Object:     "Opportunity",
		RecordID:   "0065e00000QwErTAAZ",
		Op:         webhook.OpUpsert,
		OccurredAt: at("2026-11-27T10:00:01Z"),
		Fields: map[string]any{
			"Id":               "0065e00000QwErTAAZ",
			"AccountId":        "0015e00000AsDfGAA1",
			"Account_Name__c":  "Umbrella Corporation", // a formula field (Account.Name)
			"Amount":           "25000.0",
			"CloseDate":        "2026-12-31",
			"Description":      nil,
			"Goal_Status__c":   "On Track",
			"IsDeleted":        "false",
			"LastModifiedDate": "2026-11-27T10:00:00.000Z",
			"Name":             "Reach 80% seat adoption & renew",
			"StageName":        "Closed Won",
			"SystemModstamp":   "2026-11-27T10:00:01.000Z",
		},
	}
	second := webhook.Change{
		ID:         "salesforce:" + org18 + ":04l5e00000AbCdFAA1",
		Source:     "salesforce/org/" + org18,
		Object:     "Opportunity",
		RecordID:   "0065e00000QwErUAAZ",
		Op:         webhook.OpUpsert,
		OccurredAt: at("2026-11-27T10:05:00Z"),
		Fields: map[string]any{
			"Id":               "0065e00000QwErUAAZ",
			"AccountId":        "0015e00000AsDfHAA1",
			"Account_Name__c":  "Acme Corp",
			"Amount":           "12000.0",
			"CloseDate":        "2027-03-31",
			"Description":      "Cut onboarding time to 30 days",
			"Goal_Status__c":   "At Risk",
			"IsDeleted":        "false",
			"LastModifiedDate": "2026-11-27T10:05:00.000Z",
			"Name":             "Faster onboarding",
			"StageName":        "Negotiation/Review",
			"SystemModstamp":   "2026-11-27T10:05:00.000Z",
		},
	}
	tests := []struct {
		file string
		want []webhook.Change
	}{
		{"one-opportunity.xml", []webhook.Change{first}},
		{"two-opportunities.xml", []webhook.Change{first, second}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var a salesforce.Adapter
			r := &webhook.Request{Method: "POST", Body: readFile(t, tt.file)}
			if err := a.Verify(r, secretJSON, time.Now()); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := a.Parse(r)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			assertEvents(t, got)
		})
	}
}

// assertEvents checks that each change would make a schema-valid event.
func assertEvents(t *testing.T, changes []webhook.Change) {
	t.Helper()
	ids := map[string]bool{}
	for _, c := range changes {
		if ids[c.ID] {
			t.Errorf("duplicate change id %q", c.ID)
		}
		ids[c.ID] = true
		typ := events.GoalUpserted
		if c.Op == webhook.OpDelete {
			typ = events.GoalDeleted
		}
		eventstest.AssertValid(t, events.Event{
			SpecVersion: events.SpecVersion, ID: c.ID, Source: c.Source, Type: typ,
			Subject: c.RecordID, Time: c.OccurredAt, DataContentType: events.ContentTypeJSON,
			Data: events.Data{ExternalID: c.RecordID, Fields: c.Fields},
		})
	}
}

func TestParse(t *testing.T) {
	up := func(fields map[string]any, ts string) []webhook.Change {
		return []webhook.Change{{
			ID: "salesforce:" + org18 + ":04l5e00000AbCdEAA1", Source: "salesforce/org/" + org18,
			Object: "Opportunity", RecordID: "0065e00000QwErTAAZ", Op: webhook.OpUpsert,
			OccurredAt: at(ts), Fields: fields,
		}}
	}
	tests := []struct {
		name    string
		body    string
		want    []webhook.Change
		wantErr error
	}{
		{
			name: "minimal notification",
			body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields)),
			want: up(map[string]any{"Id": "0065e00000QwErTAAZ", "StageName": "Closed Won", "SystemModstamp": "2026-11-27T10:00:01.000Z"}, "2026-11-27T10:00:01Z"),
		},
		{
			name: "15-character OrganizationId in the message",
			body: withOrg(org15, note("04l5e00000AbCdEAA1", "Opportunity", okFields)),
			want: up(map[string]any{"Id": "0065e00000QwErTAAZ", "StageName": "Closed Won", "SystemModstamp": "2026-11-27T10:00:01.000Z"}, "2026-11-27T10:00:01Z"),
		},
		{
			name: "other prefixes, same namespaces",
			body: `<?xml version="1.0"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header/><S:Body>` +
				`<o:notifications xmlns:o="http://soap.sforce.com/2005/09/outbound" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
				`<o:OrganizationId>` + org18 + `</o:OrganizationId><o:Notification><o:Id>04l5e00000AbCdEAA1</o:Id>` +
				`<o:sObject i:type="ent:Opportunity" xmlns:ent="urn:sobject.enterprise.soap.sforce.com">` +
				`<ent:Id>0065e00000QwErTAAZ</ent:Id><ent:Name i:nil="1"/><ent:LastModifiedDate>2026-11-27T10:00:00Z</ent:LastModifiedDate>` +
				`</o:sObject></o:Notification></o:notifications></S:Body></S:Envelope>`,
			want: up(map[string]any{"Id": "0065e00000QwErTAAZ", "Name": nil, "LastModifiedDate": "2026-11-27T10:00:00Z"}, "2026-11-27T10:00:00Z"),
		},
		{
			name: "LastModifiedDate when SystemModstamp is absent",
			body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", `<sf:Id>0065e00000QwErTAAZ</sf:Id><sf:LastModifiedDate>2026-11-27T09:00:00.000Z</sf:LastModifiedDate>`)),
			want: up(map[string]any{"Id": "0065e00000QwErTAAZ", "LastModifiedDate": "2026-11-27T09:00:00.000Z"}, "2026-11-27T09:00:00Z"),
		},
		{
			name: "SystemModstamp nil falls back to LastModifiedDate",
			body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", `<sf:Id>0065e00000QwErTAAZ</sf:Id><sf:SystemModstamp xsi:nil="true"/><sf:LastModifiedDate>2026-11-27T09:00:00.000Z</sf:LastModifiedDate>`)),
			want: up(map[string]any{"Id": "0065e00000QwErTAAZ", "SystemModstamp": nil, "LastModifiedDate": "2026-11-27T09:00:00.000Z"}, "2026-11-27T09:00:00Z"),
		},
		{
			name: "IsDeleted true is a delete",
			body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields+`<sf:IsDeleted>true</sf:IsDeleted>`)),
			want: []webhook.Change{{ID: "salesforce:" + org18 + ":04l5e00000AbCdEAA1", Source: "salesforce/org/" + org18, Object: "Opportunity", RecordID: "0065e00000QwErTAAZ", Op: webhook.OpDelete, OccurredAt: at("2026-11-27T10:00:01Z")}},
		},
		{
			name: "custom object",
			body: withOrg(org18, note("04l5e00000AbCdEAA1", "Customer_Goal__c", `<sf:Id>a015e00000QwErTAAZ</sf:Id><sf:SystemModstamp>2026-11-27T10:00:01.000Z</sf:SystemModstamp>`)),
			want: []webhook.Change{{ID: "salesforce:" + org18 + ":04l5e00000AbCdEAA1", Source: "salesforce/org/" + org18, Object: "Customer_Goal__c", RecordID: "a015e00000QwErTAAZ", Op: webhook.OpUpsert, OccurredAt: at("2026-11-27T10:00:01Z"), Fields: map[string]any{"Id": "a015e00000QwErTAAZ", "SystemModstamp": "2026-11-27T10:00:01.000Z"}}},
		},
		{
			name: "record deleted before delivery: no data, skipped",
			body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", `<sf:Id>0065e00000QwErTAAZ</sf:Id>`)+note("04l5e00000AbCdEAA2", "Opportunity", ``)),
		},
		{name: "no notification", body: withOrg(org18, ""), wantErr: webhook.ErrMalformed},
		{name: "no OrganizationId", body: envelope(note("04l5e00000AbCdEAA1", "Opportunity", okFields)), wantErr: webhook.ErrMalformed},
		{name: "two OrganizationIds", body: withOrg(org18, `<OrganizationId>00D5e000000AbCeEAK</OrganizationId>`+note("04l5e00000AbCdEAA1", "Opportunity", okFields)), wantErr: webhook.ErrMalformed},
		{name: "neither SystemModstamp nor LastModifiedDate", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", `<sf:Id>0065e00000QwErTAAZ</sf:Id><sf:Name>x</sf:Name>`)), wantErr: webhook.ErrUnmappable},
		{name: "SystemModstamp not a dateTime", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", `<sf:Id>0065e00000QwErTAAZ</sf:Id><sf:SystemModstamp>yesterday</sf:SystemModstamp>`)), wantErr: webhook.ErrUnmappable},
		{name: "sObject without xsi:type", body: withOrg(org18, `<Notification><Id>04l5e00000AbCdEAA1</Id><sObject>`+okFields+`</sObject></Notification>`), wantErr: webhook.ErrUnmappable},
		{name: "sObject without Id", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", `<sf:SystemModstamp>2026-11-27T10:00:01.000Z</sf:SystemModstamp>`)), wantErr: webhook.ErrUnmappable},
		{name: "notification without Id", body: withOrg(org18, `<Notification><sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">`+okFields+`</sObject></Notification>`), wantErr: webhook.ErrUnmappable},
		{name: "notification Id with a colon", body: withOrg(org18, note("04l5e:0AbCdEAA1", "Opportunity", okFields)), wantErr: webhook.ErrUnmappable},
		{name: "notification without sObject", body: withOrg(org18, `<Notification><Id>04l5e00000AbCdEAA1</Id></Notification>`), wantErr: webhook.ErrMalformed},
		{name: "field with child elements", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields+`<sf:Account><sf:Name>IBM</sf:Name></sf:Account>`)), wantErr: webhook.ErrMalformed},
		{name: "field twice", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields+`<sf:StageName>Lost</sf:StageName>`)), wantErr: webhook.ErrMalformed},
		{name: "deep nesting", body: withOrg(org18, strings.Repeat("<x>", 5000)+strings.Repeat("</x>", 5000)), wantErr: webhook.ErrMalformed},
		{name: "DOCTYPE", body: `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>` + withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields)), wantErr: webhook.ErrMalformed},
		{name: "undefined entity", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields+`<sf:Name>&lol;</sf:Name>`)), wantErr: webhook.ErrMalformed},
		{name: "SOAP 1.2 envelope", body: `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`, wantErr: webhook.ErrMalformed},
		{name: "SOAP Fault in the body", body: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>x</faultcode></soapenv:Fault></soapenv:Body></soapenv:Envelope>`, wantErr: webhook.ErrMalformed},
		{name: "envelope without body", body: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"></soapenv:Envelope>`, wantErr: webhook.ErrMalformed},
		{name: "content after the envelope", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields)) + `<again/>`, wantErr: webhook.ErrMalformed},
		{name: "text after the envelope", body: withOrg(org18, note("04l5e00000AbCdEAA1", "Opportunity", okFields)) + `junk`, wantErr: webhook.ErrMalformed},
		{name: "non-UTF-8 encoding", body: `<?xml version="1.0" encoding="ISO-8859-1"?>` + withOrg(org18, "")[len(`<?xml version="1.0" encoding="UTF-8"?>`):], wantErr: webhook.ErrMalformed},
		{name: "mismatched tags", body: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body></soapenv:Envelope>`, wantErr: webhook.ErrMalformed},
		{name: "empty", body: ``, wantErr: webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a salesforce.Adapter
			got, err := a.Parse(&webhook.Request{Method: "POST", Body: []byte(tt.body)})
			t.Logf("err: %v", err)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			assertEvents(t, got)
		})
	}
}

func TestBuildOutboundMessage(t *testing.T) {
	var ns []salesforce.Notification
	for i := range 100 {
		ns = append(ns, salesforce.Notification{
			ID:       fmt.Sprintf("04l5e00000Ab%06d", i),
			Object:   "Opportunity",
			RecordID: fmt.Sprintf("0065e00000Qw%06d", i),
			Fields: map[string]any{
				"Name":           `Goal <"&"> ` + fmt.Sprint(i),
				"Amount":         25000.5,
				"IsDeleted":      false,
				"Description":    nil,
				"Id":             "ignored",
				"SystemModstamp": time.Date(2026, 11, 27, 10, 0, i, 0, time.UTC),
			},
		})
	}
	body := salesforce.BuildOutboundMessage(salesforce.Message{OrganizationID: org18, Notifications: ns})
	var a salesforce.Adapter
	r := &webhook.Request{Method: "POST", Body: body}
	if err := a.Verify(r, secretJSON, time.Now()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, err := a.Parse(r)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(got) != 100 {
		t.Fatalf("got %d changes, want 100", len(got))
	}
	want := webhook.Change{
		ID: "salesforce:" + org18 + ":04l5e00000Ab000042", Source: "salesforce/org/" + org18,
		Object: "Opportunity", RecordID: "0065e00000Qw000042", Op: webhook.OpUpsert,
		OccurredAt: time.Date(2026, 11, 27, 10, 0, 42, 0, time.UTC),
		Fields: map[string]any{
			"Id": "0065e00000Qw000042", "Name": `Goal <"&"> 42`, "Amount": "25000.5", "IsDeleted": "false",
			"Description": nil, "SystemModstamp": "2026-11-27T10:00:42.000Z",
		},
	}
	if diff := cmp.Diff(want, got[42]); diff != "" {
		t.Errorf("change 42 mismatch (-want +got):\n%s", diff)
	}
	assertEvents(t, got)
}

func TestRespond(t *testing.T) {
	var a salesforce.Adapter
	type fault struct {
		Code   string `xml:"Body>Fault>faultcode"`
		String string `xml:"Body>Fault>faultstring"`
	}
	type ack struct {
		Ack string `xml:"Body>notificationsResponse>Ack"`
	}
	tests := []struct {
		name       string
		status     int
		reason     string
		wantStatus int
		wantCode   string
		wantString string
	}{
		{name: "queued", status: 200, wantStatus: 200},
		{name: "accepted, nothing to do", status: 202, wantStatus: 200},
		{name: "bad organization", status: 401, reason: "organization id does not match", wantStatus: 401, wantCode: "soapenv:Client", wantString: "organization id does not match"},
		{name: "malformed", status: 400, reason: `bad <xml> & "quotes"`, wantStatus: 400, wantCode: "soapenv:Client", wantString: `bad <xml> & "quotes"`},
		{name: "too large", status: 413, wantStatus: 413, wantCode: "soapenv:Client", wantString: "Request Entity Too Large"},
		{name: "queue down", status: 503, reason: "queue unavailable", wantStatus: 503, wantCode: "soapenv:Server", wantString: "queue unavailable"},
		{name: "no status", status: 0, wantStatus: 500, wantCode: "soapenv:Server", wantString: "Internal Server Error"},
		{name: "long reason", status: 500, reason: strings.Repeat("é", 600), wantStatus: 500, wantCode: "soapenv:Server", wantString: strings.Repeat("é", 98) + "…"},
		{name: "reason exactly at the bound", status: 400, reason: strings.Repeat("x", 200), wantStatus: 400, wantCode: "soapenv:Client", wantString: strings.Repeat("x", 200)},
		{name: "control characters", status: 400, reason: "line 1\nline 2\x01\u2028end\xff", wantStatus: 400, wantCode: "soapenv:Client", wantString: "line 1 line 2  end\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := a.Respond(tt.status, 3, tt.reason)
			if resp.Status != tt.wantStatus || resp.ContentType != "text/xml; charset=utf-8" {
				t.Fatalf("Respond = %d %q, want %d text/xml", resp.Status, resp.ContentType, tt.wantStatus)
			}
			if tt.wantCode == "" {
				if string(resp.Body) != salesforce.AckXML {
					t.Fatalf("body is not the Ack:\n%s", resp.Body)
				}
				var v ack
				if err := xml.Unmarshal(resp.Body, &v); err != nil || v.Ack != "true" {
					t.Fatalf("Ack = %q, %v", v.Ack, err)
				}
				return
			}
			var v fault
			if err := xml.Unmarshal(resp.Body, &v); err != nil {
				t.Fatalf("fault is not XML: %v\n%s", err, resp.Body)
			}
			if v.Code != tt.wantCode || v.String != tt.wantString {
				t.Errorf("fault = %q %q, want %q %q", v.Code, v.String, tt.wantCode, tt.wantString)
			}
		})
	}
}

// TestAckMatchesReference pins the Ack to the envelope Salesforce requires
// on success: a SOAP 1.1 notificationsResponse with <Ack>true</Ack>, as the
// outbound messaging WSDL defines it (see docs/crm-webhook-formats.md).
func TestAckMatchesReference(t *testing.T) {
	const want = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Body>
    <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
      <Ack>true</Ack>
    </notificationsResponse>
  </soapenv:Body>
</soapenv:Envelope>
`
	if salesforce.AckXML != want {
		t.Errorf("AckXML differs from Salesforce's documented Ack:\n%s", salesforce.AckXML)
	}
}
