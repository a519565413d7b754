package hubspot_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// batchBody builds a Webhooks API delivery of n property-change events,
// four properties per deal.
func batchBody(n int) []byte {
	props := []string{"dealname", "dealstage", "amount", "closedate"}
	evs := make([]map[string]any, n)
	for i := range evs {
		evs[i] = map[string]any{
			"eventId": 3816279340 + i, "subscriptionId": 2400001 + i%4, "portalId": 62515, "appId": 987654,
			"occurredAt": 1764237600000 + int64(i/4)*1000, "subscriptionType": "deal.propertyChange",
			"attemptNumber": 0, "objectId": 901 + i/4, "propertyName": props[i%4],
			"propertyValue": "value-" + strconv.Itoa(i), "changeSource": "CRM_UI", "sourceId": "userId:5550001",
		}
	}
	b, _ := json.Marshal(evs)
	return b
}

func benchmarkVerifyParse(b *testing.B, n int) {
	body := batchBody(n)
	now := time.UnixMilli(1767225601234)
	r := &webhook.Request{Method: "POST", Path: "/webhooks/hubspot", Body: body, PublicURL: publicURL,
		Header: hubspot.SignV3(testSecret, "POST", publicURL, body, now)}
	var a hubspot.Adapter
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := a.Verify(r, secretJSON, now); err != nil {
			b.Fatal(err)
		}
		changes, err := a.Parse(r)
		if err != nil || len(changes) != (n+3)/4 {
			b.Fatalf("Parse: %d changes, %v", len(changes), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
}

func BenchmarkVerifyParse1(b *testing.B)   { benchmarkVerifyParse(b, 1) }
func BenchmarkVerifyParse100(b *testing.B) { benchmarkVerifyParse(b, 100) }

func BenchmarkVerifyParseWorkflow(b *testing.B) {
	body := readFile(b, "workflow-deal.json")
	const u = publicURL + "?portalId=62515&object=deal"
	r := &webhook.Request{Method: "POST", RawQuery: "portalId=62515&object=deal", Body: body, PublicURL: u,
		Header: hubspot.SignV2(testSecret, "POST", u, body)}
	var a hubspot.Adapter
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Verify(r, secretJSON, time.Time{}); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Parse(r); err != nil {
			b.Fatal(err)
		}
	}
}
