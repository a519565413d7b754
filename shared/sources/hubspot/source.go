package hubspot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

const (
	// name is the {source} path segment and secret key.
	name = "hubspot"
	// namespace starts every event source: "hubspot/portal/<portalId>".
	namespace = "hubspot/portal/"
	// maxBatch: HubSpot sends at most 100 events in one Webhooks API
	// request (a workflow webhook carries one record).
	maxBatch = 100
)

// Signature schemes of Sign: v3 (Webhooks API, and workflow webhooks that
// carry it) and the legacy v2 of workflow webhooks.
const (
	SchemeV3 = "v3"
	SchemeV2 = "v2"
)

// Source describes the HubSpot source.
var Source = webhook.Source{
	Name:      name,
	Namespace: namespace,
	MaxBatch:  maxBatch,
	Open:      webhook.VerifyThenParse((&Adapter{}).Verify, (&Adapter{}).parse),
	Sign:      sign,
	Schemes:   []string{SchemeV3, SchemeV2},
	Sample:    sample,
	// Deals are read back through the CRM v3 API with the access token of
	// the CRM credentials secret (package hubspotapi).
	ReadBack: &webhook.ReadBack{
		Object:        "deal",
		APIURLEnv:     "HUBSPOT_API_URL",
		DefaultAPIURL: hubspotapi.DefaultBaseURL,
		Open:          hubspotapi.Open,
	},
	Export: webhook.Export{
		IDFields:   func(string) []string { return []string{"hs_object_id", "Record ID", "id"} },
		TimeFields: []string{"hs_lastmodifieddate", "Last Modified Date", "lastmodifieddate"},
		Complete: func(fields map[string]any, recordID string) {
			// A HubSpot record always carries hs_object_id; the mapping
			// reads it as "this is the full record".
			if _, ok := fields["hs_object_id"]; !ok {
				fields["hs_object_id"] = recordID
			}
		},
	},
}

// sign signs d as HubSpot would: SignV3 by default, SignV2 for the v2
// scheme. d.URL is the URL HubSpot calls.
func sign(secret json.RawMessage, d webhook.Delivery) (map[string]string, error) {
	secrets, err := parseSecret(secret)
	if err != nil {
		return nil, err
	}
	switch d.Scheme {
	case "", SchemeV3:
		return SignV3(secrets[0], http.MethodPost, d.URL, d.Body, d.Time), nil
	case SchemeV2:
		return SignV2(secrets[0], http.MethodPost, d.URL, d.Body), nil
	}
	return nil, fmt.Errorf("%w %q for %s", webhook.ErrScheme, d.Scheme, name)
}

// sample is a Webhooks API deal.propertyChange (dealname) of deal 901 in
// portal 62515, or for the v2 scheme a workflow webhook with the full deal.
func sample(o webhook.SampleOptions) ([]byte, error) {
	rid, portal := orDefault(o.RecordID, "901"), orDefault(o.Account, "62515")
	ms := o.Now.UnixMilli()
	if o.Scheme == SchemeV2 {
		return json.Marshal(map[string]any{
			"id":         rid,
			"portalId":   jsonID(portal),
			"objectType": "deal",
			"properties": map[string]any{
				"hs_object_id":        rid,
				"dealname":            "Reach 80% seat adoption",
				"dealstage":           "contractsent",
				"closedate":           o.Now.AddDate(0, 3, 0).Format(time.DateOnly) + "T00:00:00Z",
				"description":         "sent by goalctl",
				"hs_lastmodifieddate": o.Now.Format(time.RFC3339Nano),
			},
			"updatedAt": o.Now.Format(time.RFC3339Nano),
		})
	}
	if o.Scheme != "" && o.Scheme != SchemeV3 {
		return nil, fmt.Errorf("%w %q for %s", webhook.ErrScheme, o.Scheme, name)
	}
	return json.Marshal([]map[string]any{{
		"eventId":          ms,
		"subscriptionId":   2400001,
		"portalId":         jsonID(portal),
		"appId":            987654,
		"occurredAt":       ms,
		"subscriptionType": "deal.propertyChange",
		"attemptNumber":    0,
		"objectId":         jsonID(rid),
		"propertyName":     "dealname",
		"propertyValue":    "Reach 80% seat adoption",
		"changeSource":     "CRM_UI",
		"sourceId":         "goalctl",
	}})
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// jsonID writes a numeric id as a JSON number, as HubSpot does.
func jsonID(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}
