package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/goalrelay/goalrelay/testevents"
)

// TestBootstrapEmptyEndpointIsUnset: template.yaml gives the function
// AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_SECRETS_MANAGER empty. The real
// bootstrap treats empty as unset: with AWS_ENDPOINT_URL pointing at
// moto_server and the service variables empty, it reads the secret and
// queues the event there (an empty value taken as an endpoint would reach
// nothing).
func TestBootstrapEmptyEndpointIsUnset(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under aws-lambda-rie with moto_server")
	}
	stack := newStack(t)
	var env []string
	for _, kv := range stack.Env() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_ENDPOINT_URL_") {
			env = append(env, "AWS_ENDPOINT_URL="+v)
			kv = k + "="
		}
		env = append(env, kv)
	}
	env = append(env, "AWS_ENDPOINT_URL_DYNAMODB=")
	fn, out := start(t, env)

	set, err := testevents.Generate(time.Now(), "../..")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := set.Lookup("generic-goal-upserted.json")
	if !ok {
		t.Fatal("no generic-goal-upserted.json among the testevents")
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := fn.InvokeJSON(t.Context(), json.RawMessage(f.Data), &resp); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s\n%s", resp.StatusCode, resp.Body, out)
	}
	if msgs := stack.Drain(t, stack.QueueURL); len(msgs) != 1 {
		t.Errorf("%d messages on moto's queue, want 1", len(msgs))
	}
}
