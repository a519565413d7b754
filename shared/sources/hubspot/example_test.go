package hubspot_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func ExampleSignV3() {
	body := []byte(`[{"eventId":1,"portalId":62515,"objectId":901,"occurredAt":1764237600000,"subscriptionType":"deal.creation"}]`)
	ts := time.UnixMilli(1764237601000)
	h := hubspot.SignV3("my-client-secret-0001", "POST", "https://relay.example.com/webhooks/hubspot", body, ts)
	fmt.Println(h[hubspot.HeaderTimestamp], len(h[hubspot.HeaderSignatureV3]))
	// Output: 1764237601000 44
}

func ExampleAdapter() {
	const url = "https://relay.example.com/webhooks/hubspot"
	body := []byte(`[{"eventId":7,"portalId":62515,"objectId":901,"occurredAt":1764237600000,"subscriptionType":"deal.propertyChange","propertyName":"dealstage","propertyValue":"closedwon"},` +
		`{"eventId":7,"portalId":62515,"objectId":901,"occurredAt":1764237600000,"subscriptionType":"deal.propertyChange","propertyName":"amount","propertyValue":"25000"}]`)
	now := time.UnixMilli(1764237601000)
	r := &webhook.Request{Method: "POST", Body: body, PublicURL: url,
		Header: hubspot.SignV3("my-client-secret-0001", "POST", url, body, now)}

	var a hubspot.Adapter
	if err := a.Verify(r, json.RawMessage(`{"clientSecret":"my-client-secret-0001"}`), now); err != nil {
		fmt.Println(err)
		return
	}
	changes, err := a.Parse(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range changes {
		fmt.Println(c.ID, c.Source, c.Object, c.RecordID, c.Op, c.OccurredAt.Format(time.RFC3339))
		fmt.Println(c.Fields["dealstage"], c.Fields["amount"])
	}
	// Output:
	// hubspot:62515:deal:901:1764237600000:set-23f5d26ae217ea5d hubspot/portal/62515 deal 901 upsert 2025-11-27T10:00:00Z
	// closedwon 25000
}
