package apply_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
)

// lastRequestID is the request id of the simulator's latest answer.
func lastRequestID(e *env) string {
	reqs := e.sim.Requests()
	if len(reqs) == 0 {
		return ""
	}
	return reqs[len(reqs)-1].RequestID
}

// One record's events end every way an event can, and each event record
// tells its story: created, updated, stale, dead-lettered before a claim
// (an unknown status) and after a Gainsight refusal, retried on a 503.
func TestEveryEventTellsItsStory(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	store := state.New(e.db, e.table)

	if failed := e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("start")))); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	createReq := lastRequestID(e)
	g, _ := e.sim.GoalByExternalID(key901)
	e.handle(ctx, e.batch(goalEvent("e3", "901", 3, map[string]any{"StatusName": "Achieved"})))
	updateReq := lastRequestID(e)
	// Older than e3: stale. An unknown status: dead-lettered without a
	// claim or a call.
	e.handle(ctx, e.batch(goalEvent("e2", "901", 2, map[string]any{"Name": "late"}),
		goalEvent("e4", "901", 4, map[string]any{"StatusName": "Lost Forever"})))
	// A 503: retried (through the queue, not in the same invocation).
	e.svc.InlineRetries = -1
	e.sim.FailNext(1, gt.FaultUnavailable)
	if failed := e.handle(ctx, e.batch(goalEvent("e5", "901", 5, map[string]any{"Name": "n5"}))); len(failed) != 1 {
		t.Fatalf("failed = %v, want the 503", failed)
	}
	retryReq := lastRequestID(e)
	// Gainsight refuses the company: dead-lettered after its claim.
	e.handle(ctx, e.batch(goalEvent("e6", "901", 6, map[string]any{"CompanyName": "No Such Company Inc"})))
	refusedReq := lastRequestID(e)
	if n := len(e.dlq()); n != 2 {
		t.Fatalf("DLQ holds %d messages, want e4 and e6; logs:\n%s", n, e.logs)
	}

	got, err := store.RecordEvents(ctx, key901, 0)
	if err != nil {
		t.Fatal(err)
	}
	type line struct{ ID, Status, Outcome, Gsid, Code, Request string }
	var lines []line
	for _, ev := range got {
		lines = append(lines, line{ev.EventID, ev.Status, ev.Outcome, ev.Gsid, ev.ErrorCode, ev.RequestID})
	}
	want := []line{
		{"e1", state.StatusComplete, "done", g.Gsid, "", createReq},
		{"e2", state.StatusComplete, "stale", g.Gsid, "", ""},
		{"e3", state.StatusComplete, "done", g.Gsid, "", updateReq},
		{"e4", state.StatusReleased, "permanent", "", "INVALID_STATUS_NAME", ""}, // never claimed: the record was not read
		{"e5", state.StatusReleased, "retry", g.Gsid, "GS_FAULT", retryReq},      // the simulator's code for an injected fault
		{"e6", state.StatusReleased, "permanent", g.Gsid, "8008", refusedReq},
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("record history (-want +got):\n%s", d)
	}
	for _, ev := range got {
		if ev.RecordKey != key901 || ev.Source != "hubspot/portal/62515" || ev.Type != "goal.upserted" || ev.Time.IsZero() {
			t.Errorf("%s: story %+v", ev.EventID, ev.Story)
		}
	}
	if len(got) == 6 {
		mustContain(t, got[1].Detail, "older than the goal's version 2026-11-27T10:03:00Z (event e3)")
		mustContain(t, got[3].Detail, "Lost Forever")
	}
	// The goal record keeps the last event applied.
	goal, _, _ := store.GetGoal(ctx, key901)
	if goal.LastEventID != "e3" || goal.Gsid != g.Gsid {
		t.Errorf("goal record: %+v", goal)
	}
	// The log line of each event carries the fields the template's saved
	// Logs Insights queries read (deploy's logFields): the retry's line has
	// them all.
	var retryLine map[string]any
	for l := range strings.SplitSeq(e.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["event_id"] == "e5" && m["outcome"] == "retry" {
			retryLine = m
		}
	}
	for _, k := range []string{"message_id", "outcome", "event_id", "event_type", "source", "record_key", "error", "gainsight_request_id"} {
		if _, ok := retryLine[k]; !ok {
			t.Errorf("the retry's log line lacks %s: %v", k, retryLine)
		}
	}
	if retryLine["record_key"] != key901 {
		t.Errorf("record_key %v", retryLine["record_key"])
	}

	// The retried event applies on its next delivery: the retry's error is
	// gone from its story.
	e.handle(ctx, e.batch(goalEvent("e5", "901", 5, map[string]any{"Name": "n5"})))
	one, ok, err := store.GetEvent(ctx, "hubspot/portal/62515:e5")
	if err != nil || !ok || one.Outcome != "done" || one.ErrorCode != "" || one.Detail != "" || one.Attempt != 2 {
		t.Errorf("e5 after its retry: %+v %v %v", one, ok, err)
	}
}

// Merged events each record the one call that applied them.
func TestMergedEventsShareTheirCall(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("start"))))
	e.handle(ctx, e.batch(goalEvent("e2", "901", 1, map[string]any{"Name": "n2"}), goalEvent("e3", "901", 2, map[string]any{"Name": "n3"})))
	req := lastRequestID(e)
	got, err := state.New(e.db, e.table).RecordEvents(ctx, key901, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("history: %+v %v", got, err)
	}
	for _, ev := range got[1:] {
		if ev.Outcome != "done" || ev.RequestID != req || !strings.Contains(ev.Detail, "merged: 2 events") {
			t.Errorf("%s: %+v", ev.EventID, ev.Story)
		}
	}
}

// opCounter counts DynamoDB operations by name.
type opCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *opCounter) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countOps",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.n[middleware.GetOperationName(ctx)]++
				c.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

func (c *opCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// The story costs an applied event no DynamoDB call: updating ten known
// goals takes, per event, the claim, the record lock and its release, the
// version write and the completion (five UpdateItem calls, as before the
// stories), and nothing else of the state store.
func TestStoryAddsNoStateCall(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	counter := &opCounter{n: map[string]int{}}
	counted := dynamodb.NewFromConfig(awstest.Config(t, moto), counter.option)
	e.svc.Store = state.New(counted, e.table)

	first := e.batch()
	for i := range 10 {
		first.Records = append(first.Records, e.batch(goalEvent(fmt.Sprintf("c%d", i), fmt.Sprint(900+i), 0, fullGoal("x"))).Records...)
	}
	if failed := e.handle(ctx, first); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	counter.take()
	next := e.batch()
	for i := range 10 {
		next.Records = append(next.Records, e.batch(goalEvent(fmt.Sprintf("u%d", i), fmt.Sprint(900+i), 1, map[string]any{"Name": "y"})).Records...)
	}
	if failed := e.handle(ctx, next); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if d := cmp.Diff(map[string]int{"UpdateItem": 50, "GetItem": 10}, counter.take()); d != "" {
		t.Errorf("state calls for 10 updates of known goals (-want +got):\n%s", d)
	}
	got, err := state.New(e.db, e.table).RecordEvents(ctx, "hubspot/portal/62515:905", 0)
	if err != nil || len(got) != 2 || got[1].EventID != "u5" || got[1].Outcome != "done" {
		t.Errorf("story of u5: %+v %v", got, err)
	}
}
