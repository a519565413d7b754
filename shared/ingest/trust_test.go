package ingest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/sources/pipedrive"
	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/shared/webhook"
	"github.com/goalrelay/goalrelay/testevents"
)

var trustNow = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// trustService is the ingest service with the real sources and mapping,
// the test secrets with policy members merged into them, and a capturing
// publisher.
func trustService(t *testing.T, policy map[string]map[string]any) (*ingest.Service, *fakePublisher) {
	t.Helper()
	secrets := testevents.NewSecrets()
	for name, extra := range policy {
		var m map[string]any
		if err := json.Unmarshal(secrets[name], &m); err != nil {
			t.Fatal(err)
		}
		for k, v := range extra {
			m[k] = v
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		secrets[name] = b
	}
	pub := &fakePublisher{}
	return &ingest.Service{Sources: sources.All(), Secrets: secrets, Mapper: mapping.Default(), Publisher: pub,
		Now: func() time.Time { return trustNow }}, pub
}

// signed is a delivery of body to source, signed with the test secret by
// the source's own signer, from address ip.
func signed(t *testing.T, src *webhook.Source, body []byte, ip string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	const domain = "abc.execute-api.us-east-1.amazonaws.com"
	path := "/webhooks/" + src.Name
	h, err := src.Sign(testevents.NewSecrets()[src.Name], webhook.Delivery{URL: "https://" + domain + path, Body: body, Time: trustNow})
	if err != nil {
		t.Fatal(err)
	}
	return events.APIGatewayV2HTTPRequest{
		RawPath: path, PathParameters: map[string]string{"source": src.Name}, Headers: h, Body: string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: domain,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path, SourceIP: ip}},
	}
}

// genericEvent is a canonical goal.upserted of source at time at.
func genericEvent(source string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"specversion":"1.0","id":"evt-%d","source":%q,"type":"goal.upserted","subject":"901",`+
		`"time":%q,"datacontenttype":"application/json","data":{"externalId":"901","fields":{"Name":"forged"}}}`,
		at.UnixNano(), source, at.Format(time.RFC3339Nano))
}

func TestTrustBoundary(t *testing.T) {
	gen := &standardwebhooks.Source
	tests := []struct {
		name       string
		policy     map[string]map[string]any
		req        func(t *testing.T) events.APIGatewayV2HTTPRequest
		wantStatus int
		wantQueued int
		wantReason string
	}{
		{"generic writes its own namespace", nil, func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signed(t, gen, genericEvent("acme/crm", trustNow), "203.0.113.10")
		}, 200, 1, ""},
		{"generic claims HubSpot's namespace", nil, func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signed(t, gen, genericEvent("hubspot/portal/62515", trustNow), "203.0.113.10")
		}, 400, 0, "hubspot namespace"},
		{"generic claims HubSpot's system", nil, func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signed(t, gen, genericEvent("hubspot/other/1", trustNow), "203.0.113.10")
		}, 400, 0, "hubspot namespace"},
		{"generic with HubSpot's portal in allowedSources", map[string]map[string]any{"generic": {"allowedSources": []string{"hubspot/portal/62515"}}},
			func(t *testing.T) events.APIGatewayV2HTTPRequest {
				return signed(t, gen, genericEvent("hubspot/portal/62515", trustNow), "203.0.113.10")
			}, 200, 1, ""},
		{"allowedSources is a prefix at '/' only", map[string]map[string]any{"generic": {"allowedSources": []string{"hubspot/portal/6251"}}},
			func(t *testing.T) events.APIGatewayV2HTTPRequest {
				return signed(t, gen, genericEvent("hubspot/portal/62515", trustNow), "203.0.113.10")
			}, 400, 0, "hubspot namespace"},
		{"event dated 2300", nil, func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signed(t, gen, genericEvent("acme/crm", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)), "203.0.113.10")
		}, 400, 0, "ahead of now"},
		{"event 6 minutes ahead", nil, func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signed(t, gen, genericEvent("acme/crm", trustNow.Add(6*time.Minute)), "203.0.113.10")
		}, 400, 0, "ahead of now"},
		{"event 4 minutes ahead", nil, func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signed(t, gen, genericEvent("acme/crm", trustNow.Add(4*time.Minute)), "203.0.113.10")
		}, 200, 1, ""},
		{"address outside allowedSourceIps", map[string]map[string]any{"pipedrive": {"allowedSourceIps": []string{"198.51.100.0/24", "2001:db8::/32"}}},
			func(t *testing.T) events.APIGatewayV2HTTPRequest {
				return signed(t, &pipedrive.Source, pipedriveBody(t), "203.0.113.10")
			}, 403, 0, "not allowed"},
		{"IPv6 address inside allowedSourceIps", map[string]map[string]any{"pipedrive": {"allowedSourceIps": []string{"198.51.100.0/24", "2001:db8::/32"}}},
			func(t *testing.T) events.APIGatewayV2HTTPRequest {
				return signed(t, &pipedrive.Source, pipedriveBody(t), "2001:db8::7")
			}, 200, 1, ""},
		{"outside allowedSourceIps, whatever the body", map[string]map[string]any{"pipedrive": {"allowedSourceIps": []string{"198.51.100.0/24"}}},
			func(t *testing.T) events.APIGatewayV2HTTPRequest {
				r := signed(t, &pipedrive.Source, []byte("not json"), "203.0.113.10")
				return r
			}, 403, 0, "not allowed"},
		{"unusable allowedSourceIps", map[string]map[string]any{"pipedrive": {"allowedSourceIps": []string{"not-a-cidr"}}},
			func(t *testing.T) events.APIGatewayV2HTTPRequest {
				return signed(t, &pipedrive.Source, pipedriveBody(t), "198.51.100.1")
			}, 503, 0, "retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, pub := trustService(t, tt.policy)
			resp, err := svc.Handle(t.Context(), tt.req(t))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || len(pub.sent) != tt.wantQueued {
				t.Fatalf("status %d, %d queued; want %d, %d; body %s", resp.StatusCode, len(pub.sent), tt.wantStatus, tt.wantQueued, resp.Body)
			}
			if !strings.Contains(resp.Body, tt.wantReason) {
				t.Errorf("answer %s lacks %q", resp.Body, tt.wantReason)
			}
		})
	}
}

func pipedriveBody(t *testing.T) []byte {
	t.Helper()
	b, err := pipedrive.Source.Sample(webhook.SampleOptions{Now: trustNow})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// 101 notifications in one Outbound Message: a SOAP Fault, nothing queued.
func TestSalesforceOverTheLimit(t *testing.T) {
	svc, pub := trustService(t, nil)
	ns := make([]salesforce.Notification, 101)
	for i := range ns {
		ns[i] = salesforce.Notification{ID: fmt.Sprintf("04l5e00000Ab%06d", i), Object: "Opportunity",
			RecordID: fmt.Sprintf("0065e00000Qw%06d", i), Fields: map[string]any{
				"Name": "n", "StageName": "Closed Won", "Account_Name__c": "Acme", "SystemModstamp": trustNow}}
	}
	body := salesforce.BuildOutboundMessage(salesforce.Message{OrganizationID: testevents.SalesforceOrganizationID, Notifications: ns})
	resp, err := svc.Handle(t.Context(), signed(t, &salesforce.Source, body, "203.0.113.10"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, "soapenv:Fault") || len(pub.sent) != 0 {
		t.Errorf("status %d, %d queued, body %s; want a 400 SOAP Fault and nothing queued", resp.StatusCode, len(pub.sent), resp.Body)
	}
}
