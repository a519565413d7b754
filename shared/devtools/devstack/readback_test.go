package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi/hubspottest"
	"github.com/goalrelay/goalrelay/shared/crm/pipedriveapi/pipedrivetest"
	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/sources/pipedrive"
	"github.com/goalrelay/goalrelay/shared/webhook"
	"github.com/goalrelay/goalrelay/testevents"
)

const publicBase = "https://relay.example.com"

// post sends a signed webhook to the stack's front and wants a 200.
func post(t *testing.T, st *devstack.Stack, source string, body []byte, headers map[string]string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, st.FrontURL+"/webhooks/"+source, strings.NewReader(string(body)))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s webhook answered %d", source, resp.StatusCode)
	}
}

// hubspotPair is a Webhooks API delivery of deal.creation and a
// deal.propertyChange (dealname) of one deal: thin, no company.
func hubspotPair(t *testing.T, st *devstack.Stack, deal string, at time.Time) {
	t.Helper()
	ms := at.UnixMilli()
	body, _ := json.Marshal([]map[string]any{
		{"eventId": ms, "subscriptionId": 1, "portalId": 62515, "appId": 9, "occurredAt": ms, "subscriptionType": "deal.creation", "attemptNumber": 0, "objectId": json.Number(deal), "changeSource": "CRM_UI"},
		{"eventId": ms + 1, "subscriptionId": 2, "portalId": 62515, "appId": 9, "occurredAt": ms + 1, "subscriptionType": "deal.propertyChange", "attemptNumber": 0, "objectId": json.Number(deal), "propertyName": "dealname", "propertyValue": "Deal " + deal, "changeSource": "CRM_UI"},
	})
	post(t, st, "hubspot", body, hubspot.SignV3(testevents.HubSpotClientSecret, http.MethodPost, publicBase+"/webhooks/hubspot", body, time.Now()))
}

func goalOf(sim *gt.Server, key string) *gt.Goal {
	for _, g := range sim.Goals() {
		if g.Fields[apply.DefaultExternalIDField] == key {
			return &g
		}
	}
	return nil
}

// TestReadBackThroughTheBootstraps: thin CRM webhooks that cannot create a
// goal are completed from the CRM fakes by the apply bootstrap (through
// the ingest bootstrap, the FIFO queue and the event source mapping); a
// CRM 429 delays the event, never dead-letters it; a deal deleted before
// its read-back is acknowledged with the reason.
func TestReadBackThroughTheBootstraps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local stack")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	st, logs := startStack(t, ctx, devstack.Options{PublicBaseURL: publicBase})
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	st.HubSpot.PutCompany("5001", "Globex")
	st.HubSpot.PutCompany("5002", "Initech")
	for _, d := range []string{"7001", "7002", "7003"} {
		st.HubSpot.PutDeal(hubspottest.Deal{ID: d, CompanyID: "5001", Modified: now,
			Properties: map[string]string{"dealname": "Deal " + d, "dealstage": "contractsent", "closedate": "2027-03-31T00:00:00Z"}})
	}
	st.HubSpot.PutDeal(hubspottest.Deal{ID: "7002", CompanyID: "5002", Modified: now,
		Properties: map[string]string{"dealname": "Deal 7002", "dealstage": "closedwon"}})
	st.Pipedrive.PutOrganization(7, "Umbrella Corporation")
	st.Pipedrive.PutDeal(pipedrivetest.Deal{ID: 4301, Title: "Umbrella rollout", OrgID: 7, ExpectedCloseDate: "2027-01-31", Updated: now})

	drained := func(what string) {
		t.Helper()
		if err := st.WaitDrained(ctx, 60*time.Second); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	dlqEmpty := func(what string) {
		t.Helper()
		d, err := st.QueueDepth(ctx, st.DLQURL)
		if err != nil || d.Total() != 0 {
			t.Fatalf("%s: DLQ holds %+v (%v)", what, d, err)
		}
	}

	t.Run("hubspot creation and property change", func(t *testing.T) {
		hubspotPair(t, st, "7001", now)
		drained("hubspot pair")
		g := goalOf(st.Simulator, "hubspot/portal/62515:7001")
		if g == nil || g.CompanyID == "" || g.CompanyID != st.Simulator.CompanyID("Globex") || g.Name != "Deal 7001" || g.StatusName != "On Track" {
			t.Fatalf("goal = %+v, want Deal 7001 of Globex, On Track", g)
		}
		dlqEmpty("hubspot pair")
	})

	t.Run("pipedrive v2 create without the organisation's name", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{
			"meta": map[string]any{"action": "create", "entity": "deal", "company_id": devstack.LocalPipedriveCompany, "entity_id": "4301",
				"id": "6f3b9c1e-0000-4000-8000-000000004301", "timestamp": now.Unix(), "version": "2.0", "webhook_id": "1"},
			"data":     map[string]any{"id": 4301, "title": "Umbrella rollout", "status": "open", "org_id": 7, "update_time": now.Format(time.RFC3339)},
			"previous": nil,
		})
		var secrets map[string]json.RawMessage
		_ = json.Unmarshal(testevents.SecretsJSON(), &secrets)
		h, err := pipedrive.Source.Sign(secrets["pipedrive"], webhook.Delivery{Body: body, Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		post(t, st, "pipedrive", body, h)
		drained("pipedrive create")
		g := goalOf(st.Simulator, "pipedrive/company/8100001:4301")
		if g == nil || g.CompanyID == "" || g.CompanyID != st.Simulator.CompanyID("Umbrella Corporation") || g.Name != "Umbrella rollout" {
			t.Fatalf("goal = %+v, want Umbrella rollout of Umbrella Corporation", g)
		}
		dlqEmpty("pipedrive create")
	})

	t.Run("a CRM 429 delays, never dead-letters", func(t *testing.T) {
		st.HubSpot.Throttle(2, 2*time.Second)
		hubspotPair(t, st, "7002", now)
		drained("throttled pair")
		g := goalOf(st.Simulator, "hubspot/portal/62515:7002")
		if g == nil || g.CompanyID == "" || g.CompanyID != st.Simulator.CompanyID("Initech") || g.StatusName != "Achieved" {
			t.Fatalf("goal = %+v, want Deal 7002 of Initech, Achieved", g)
		}
		n429 := 0
		for _, r := range st.HubSpot.Requests() {
			if r.Status == http.StatusTooManyRequests {
				n429++
			}
		}
		if n429 != 2 {
			t.Errorf("the fake answered %d 429s, want 2", n429)
		}
		dlqEmpty("throttled pair")
	})

	t.Run("a deal deleted before its read-back is acknowledged with the reason", func(t *testing.T) {
		st.HubSpot.DeleteDeal("7003")
		hubspotPair(t, st, "7003", now)
		drained("deleted deal")
		if g := goalOf(st.Simulator, "hubspot/portal/62515:7003"); g != nil {
			t.Fatalf("a goal was created for a deleted deal: %+v", g)
		}
		dlqEmpty("deleted deal")
		if !strings.Contains(logs.String(), "record hubspot/portal/62515:7003 was deleted in the CRM before it could be read back") {
			t.Errorf("no log line gives the reason")
		}
	})
}
