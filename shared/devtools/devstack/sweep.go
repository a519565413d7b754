package devstack

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/goalrelay/goalrelay/shared/reconcile"
	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/testevents"
)

// Sweep invokes the reconcile bootstrap once, as its schedule would, and
// returns its report: one sweep of the local HubSpot portal and Pipedrive
// company, each from its watermark in the state table.
func (s *Stack) Sweep(ctx context.Context) (reconcile.Report, error) {
	var rep reconcile.Report
	err := s.Reconcile.InvokeJSON(ctx, map[string]any{"source": "aws.scheduler"}, &rep)
	return rep, err
}

// HubSpotAppSubscription is what a HubSpot app subscription sends when a
// deal is created and named at `at` (deal.creation and deal.propertyChange
// of dealname, one property and no company), signed for the front's
// public URL: the body and its headers.
func HubSpotAppSubscription(publicBase, deal, name string, at time.Time) ([]byte, map[string]string) {
	ms := at.UnixMilli()
	body, _ := json.Marshal([]map[string]any{
		{"eventId": ms, "subscriptionId": 1, "portalId": json.Number(LocalHubSpotPortal), "appId": 9, "occurredAt": ms,
			"subscriptionType": "deal.creation", "attemptNumber": 0, "objectId": json.Number(deal), "changeSource": "CRM_UI"},
		{"eventId": ms + 1, "subscriptionId": 2, "portalId": json.Number(LocalHubSpotPortal), "appId": 9, "occurredAt": ms + 1,
			"subscriptionType": "deal.propertyChange", "attemptNumber": 0, "objectId": json.Number(deal),
			"propertyName": "dealname", "propertyValue": name, "changeSource": "CRM_UI"},
	})
	return body, hubspot.SignV3(testevents.HubSpotClientSecret, http.MethodPost, publicBase+"/webhooks/hubspot", body, time.Now())
}
