package pipedrive_test

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/pipedrive"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func ExampleAdapter() {
	body, err := os.ReadFile("testdata/v2-change-deal.json")
	if err != nil {
		panic(err)
	}
	r := &webhook.Request{Method: "POST", Path: "/webhooks/pipedrive", Body: body,
		Header: map[string]string{"authorization": pipedrive.BasicAuth("relay", "s3cr3t-password")}}

	var a pipedrive.Adapter
	if err := a.Verify(r, json.RawMessage(`{"username":"relay","password":"s3cr3t-password"}`), time.Now()); err != nil {
		panic(err)
	}
	changes, err := a.Parse(r)
	if err != nil {
		panic(err)
	}
	c := changes[0]
	fmt.Println(c.ID)
	fmt.Println(c.Source, c.Object, c.RecordID, c.Op, c.OccurredAt.Format(time.RFC3339Nano))
	fmt.Println(c.Fields["title"], c.Fields["status"], c.Fields["value"])
	// Output:
	// pipedrive:8100001:9b7a6c5d-2222-4e3f-8a1b-000000000002
	// pipedrive/company/8100001 deal 42 upsert 2026-01-01T00:00:00.123Z
	// Acme renewal won 25000
}
