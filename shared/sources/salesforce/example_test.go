package salesforce_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func ExampleNormalizeID() {
	id, err := salesforce.NormalizeID("00D5e000000AbCd")
	fmt.Println(id, err)
	// Output: 00D5e000000AbCdEAK <nil>
}

func ExampleAdapter() {
	body := salesforce.BuildOutboundMessage(salesforce.Message{
		OrganizationID: "00D5e000000AbCdEAK",
		Notifications: []salesforce.Notification{{
			ID: "04l5e00000AbCdEAA1", Object: "Opportunity", RecordID: "0065e00000QwErTAAZ",
			Fields: map[string]any{
				"StageName":      "Closed Won",
				"SystemModstamp": time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
			},
		}},
	})
	r := &webhook.Request{Method: "POST", Body: body}
	var a salesforce.Adapter
	// A 15-character organization id in the secret is normalised.
	if err := a.Verify(r, json.RawMessage(`{"organizationId":"00D5e000000AbCd"}`), time.Now()); err != nil {
		fmt.Println(a.Respond(401, 0, "organization id does not match").Status)
		return
	}
	changes, err := a.Parse(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range changes {
		fmt.Println(c.ID, c.Source, c.Object, c.RecordID, c.Op, c.OccurredAt.Format(time.RFC3339), c.Fields["StageName"])
	}
	resp := a.Respond(200, len(changes), "")
	fmt.Println(resp.Status, resp.ContentType)
	// Output:
	// salesforce:00D5e000000AbCdEAK:04l5e00000AbCdEAA1 salesforce/org/00D5e000000AbCdEAK Opportunity 0065e00000QwErTAAZ upsert 2026-11-27T10:00:00Z Closed Won
	// 200 text/xml; charset=utf-8
}
