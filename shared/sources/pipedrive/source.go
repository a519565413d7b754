package pipedrive

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/goalrelay/goalrelay/shared/crm/pipedriveapi"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

const (
	// name is the {source} path segment and secret key.
	name = "pipedrive"
	// namespace starts every event source: "pipedrive/company/<company_id>".
	namespace = "pipedrive/company/"
	// maxBatch: a Pipedrive webhook carries one object's change.
	maxBatch = 1
)

// Source describes the Pipedrive source.
var Source = webhook.Source{
	Name:      name,
	Namespace: namespace,
	MaxBatch:  maxBatch,
	Open:      webhook.VerifyThenParse(Adapter{}.Verify, Adapter{}.parse),
	Sign:      sign,
	Sample:    sample,
	// Deals are read back through the API v2 with the token of the CRM
	// credentials secret (package pipedriveapi).
	ReadBack: &webhook.ReadBack{
		Object:        "deal",
		APIURLEnv:     "PIPEDRIVE_API_URL",
		DefaultAPIURL: pipedriveapi.DefaultBaseURL,
		Open:          pipedriveapi.Open,
	},
	Export: webhook.Export{
		IDFields:   func(string) []string { return []string{"id", "ID"} },
		TimeFields: []string{"update_time"},
	},
}

// sign returns the Basic Authorization header Pipedrive sends.
func sign(secret json.RawMessage, d webhook.Delivery) (map[string]string, error) {
	if err := webhook.OneScheme(name, d); err != nil {
		return nil, err
	}
	auth, err := AuthHeader(secret)
	if err != nil {
		return nil, err
	}
	return map[string]string{"Content-Type": "application/json", "Authorization": auth}, nil
}

// sample is a webhooks v2 create of deal 43 at o.Now.
func sample(o webhook.SampleOptions) ([]byte, error) {
	rid, company := o.RecordID, o.Account
	if rid == "" {
		rid = "43"
	}
	if company == "" {
		company = "8100001"
	}
	var id any = rid
	if n, err := strconv.ParseInt(rid, 10, 64); err == nil {
		id = n
	}
	ms := o.Now.UnixMilli()
	h := fmt.Sprintf("%032x", uint64(ms))
	return json.Marshal(map[string]any{
		"meta": map[string]any{
			"action": "create", "entity": "deal", "company_id": company, "entity_id": rid,
			"id":        h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32],
			"timestamp": o.Now.Unix(), "type": "general", "version": "2.0",
			"webhook_id": "4700002", "change_source": "api", "attempt": 1,
		},
		"data": map[string]any{
			"id": id, "title": "Globex onboarding: 30-day time to value", "status": "open",
			"expected_close_date": o.Now.AddDate(0, 3, 0).Format(time.DateOnly), "org_name": "Globex",
			"add_time": o.Now.Format(time.RFC3339), "update_time": o.Now.Format(time.RFC3339),
		},
		"previous": nil,
	})
}
