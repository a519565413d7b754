package dynamics_test

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/dynamics"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func ExampleAdapter() {
	secret := json.RawMessage(`{"header":"x-goalrelay-key","value":"k3y-0f-exactly-32-characters-xx"}`)
	name, value, err := dynamics.AuthHeader(secret)
	if err != nil {
		panic(err)
	}
	body, err := os.ReadFile("testdata/opportunity-update.json")
	if err != nil {
		panic(err)
	}
	r := &webhook.Request{Method: "POST", Path: "/webhooks/dynamics", Header: map[string]string{name: value}, Body: body}

	var a dynamics.Adapter
	if err := a.Verify(r, secret, time.Now()); err != nil {
		panic(err)
	}
	changes, err := a.Parse(r)
	if err != nil {
		panic(err)
	}
	c := changes[0]
	fmt.Println(c.ID)
	fmt.Println(c.Source, c.Object, c.Op, c.OccurredAt.Format(time.RFC3339Nano))
	fmt.Println(c.Fields["name"], c.Fields["estimatedvalue"], c.Fields["salesstagecode"], c.Fields["parentaccountid"].(map[string]any)["Name"])
	// Output:
	// dynamics:4ef5b371-0000-0000-0000-000000000005:0c0d0e0f-0000-0000-0000-000000000004:5f1e2d3c-0000-0000-0000-0000000000aa
	// dynamics/org/4ef5b371-0000-0000-0000-000000000005 opportunity upsert 2026-01-01T00:00:00.5Z
	// Acme renewal 27500.5 3 Acme Corp
}
