package hubspot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// batch is a Webhooks API delivery of n property changes, each of its own
// deal, or all of one deal when sameDeal.
func batch(n int, sameDeal bool) []byte {
	evs := make([]map[string]any, n)
	for i := range evs {
		deal := 9000 + i
		if sameDeal {
			deal = 9000
		}
		evs[i] = map[string]any{
			"eventId": i + 1, "subscriptionId": 1, "portalId": 62515, "appId": 1, "occurredAt": 1764237600000 + i,
			"subscriptionType": "deal.propertyChange", "attemptNumber": 0, "objectId": deal,
			"propertyName": fmt.Sprintf("p%d", i), "propertyValue": "v", "changeSource": "CRM_UI",
		}
	}
	b, _ := json.Marshal(evs)
	return b
}

// HubSpot sends at most 100 events in one Webhooks API request; more is
// refused whole, also when they merge into fewer changes.
func TestBatchLimit(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		sameDeal bool
		want     error
	}{
		{"100 deals", 100, false, nil},
		{"101 deals", 101, false, webhook.ErrMalformed},
		{"101 changes of one deal", 101, true, webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, err := (&hubspot.Adapter{}).Parse(&webhook.Request{Method: "POST", Body: batch(tt.n, tt.sameDeal)})
			if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
			if tt.want != nil && len(changes) != 0 {
				t.Errorf("%d changes despite the refusal", len(changes))
			}
		})
	}
	if hubspot.Source.MaxBatch != 100 {
		t.Errorf("MaxBatch = %d, HubSpot documents 100", hubspot.Source.MaxBatch)
	}
}
