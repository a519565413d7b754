package standardwebhooks_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func ExampleSign() {
	sig, err := standardwebhooks.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(sig)
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

func ExampleAdapter() {
	const secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	body := []byte(`{"specversion":"1.0","id":"flow:1","source":"sfflow/org/00D000000000062EAA",
	  "type":"goal.deleted","subject":"a0B1","time":"2026-01-01T00:00:00Z","data":{"externalId":"a0B1"}}`)
	sent := time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)
	headers, err := standardwebhooks.SignedHeaders(secret, "msg_1", sent, body)
	if err != nil {
		panic(err)
	}
	r := &webhook.Request{Method: "POST", Path: "/webhooks/generic", Header: headers, Body: body}

	var a standardwebhooks.Adapter
	if err := a.Verify(r, json.RawMessage(`{"secret":"`+secret+`"}`), sent.Add(2*time.Second)); err != nil {
		panic(err)
	}
	changes, err := a.Parse(r)
	if err != nil {
		panic(err)
	}
	for _, c := range changes {
		fmt.Println(c.ID, c.Source, c.Object, c.RecordID, c.Op, c.OccurredAt.Format(time.RFC3339))
	}
	// Output: flow:1 sfflow/org/00D000000000062EAA goal a0B1 delete 2026-01-01T00:00:00Z
}
