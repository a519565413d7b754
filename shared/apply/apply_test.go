package apply_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/quota"

	goalevents "github.com/goalrelay/goalrelay/events"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

const key901 = "hubspot/portal/62515:901"

func TestCreateThenUpdate(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if failed := e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("Reach 80% adoption")))); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	g, ok := e.sim.GoalByExternalID(key901)
	if !ok {
		t.Fatalf("no goal with external id %s; goals %+v", key901, e.sim.Goals())
	}
	if g.Name != "Reach 80% adoption" || g.StatusName != "On Track" || g.CompanyID != e.sim.CompanyID("IBM") || g.Fields["crm_stage__gc"] != "won" {
		t.Errorf("created goal = %+v", g)
	}
	// A first sight costs a fetch (is it there already?) and a create.
	if c, f := e.calls(gt.EndpointGoalCreate), e.calls(gt.EndpointGoalFetch); c != 1 || f != 1 {
		t.Errorf("create calls = %d, fetch calls = %d; want 1 and 1", c, f)
	}

	// A known goal costs exactly one call.
	before := e.sim.Stats().Calls
	if failed := e.handle(ctx, e.batch(goalEvent("e2", "901", 1, map[string]any{"StatusName": "Achieved"}))); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if got := e.sim.Stats().Calls - before; got != 1 {
		t.Errorf("update of a known goal made %d calls, want 1", got)
	}
	g, _ = e.sim.GoalByExternalID(key901)
	if g.StatusName != "Achieved" || g.Name != "Reach 80% adoption" {
		t.Errorf("updated goal = %+v", g)
	}
	if n := goalsFor(e, key901); n != 1 {
		t.Errorf("%d goals for one CRM record", n)
	}
}

func TestDuplicateAndStaleAreAcknowledgedWithoutCalls(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 5, fullGoal("v5"))))
	before := e.sim.Stats().Calls

	// The same event again (a CRM retry past the FIFO dedup window), and
	// an older change delivered late.
	b := e.batch(goalEvent("e1", "901", 5, fullGoal("v5")), goalEvent("e0", "901", 1, map[string]any{"Name": "v1"}))
	if failed := e.handle(ctx, b); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if got := e.sim.Stats().Calls - before; got != 0 {
		t.Errorf("duplicate and stale events made %d calls", got)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "v5" {
		t.Errorf("goal name = %q: an older event overwrote a newer one", g.Name)
	}
	mustContain(t, e.metrics.String(), `"StaleSkipped":1`)
}

func TestMergeConsecutiveEventsOfOneGoal(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("start"))))
	before := e.sim.Stats().Calls
	b := e.batch(
		goalEvent("e2", "901", 1, map[string]any{"Name": "n2"}),
		goalEvent("e3", "901", 3, map[string]any{"DueDate": "2027-01-31"}),
		goalEvent("e4", "901", 2, map[string]any{"Name": "n4-older-than-e3", "StatusName": "At Risk"}),
	)
	if failed := e.handle(ctx, b); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if got := e.sim.Stats().Calls - before; got != 1 {
		t.Errorf("three property changes cost %d calls, want 1", got)
	}
	g, _ := e.sim.GoalByExternalID(key901)
	if g.Name != "n4-older-than-e3" || g.DueDate != "2027-01-31" || g.StatusName != "At Risk" {
		t.Errorf("merged goal = name %q due %q status %q", g.Name, g.DueDate, g.StatusName)
	}
	mustContain(t, e.metrics.String(), `"EventsMerged":2`)
	// Each merged event is recorded: a redelivery of e3 is a duplicate.
	before = e.sim.Stats().Calls
	e.handle(ctx, e.batch(goalEvent("e3", "901", 3, map[string]any{"DueDate": "2027-01-31"})))
	if got := e.sim.Stats().Calls - before; got != 0 {
		t.Errorf("redelivered merged event made %d calls", got)
	}
}

func TestUnknownStatusGoesToDLQWithoutACall(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("ok")))) // loads the picklist
	before := e.sim.Stats().Calls
	bad := goalEvent("e2", "901", 1, map[string]any{"StatusName": "Lost Forever"})
	if failed := e.handle(ctx, e.batch(bad)); len(failed) != 0 {
		t.Fatalf("a permanent failure was reported as a batch item failure: %v", failed)
	}
	if got := e.sim.Stats().Calls - before; got != 0 {
		t.Errorf("an unknown status cost %d calls", got)
	}
	msgs := e.dlq()
	if len(msgs) != 1 {
		t.Fatalf("DLQ holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if attr(m, "error_code") != "INVALID_STATUS_NAME" || attr(m, "event_id") != "e2" || attr(m, "attempt_count") != "1" {
		t.Errorf("DLQ attributes = %v", m.MessageAttributes)
	}
	mustContain(t, attr(m, "error_message"), "Lost Forever")
}

func TestGainsightValidationErrorGoesToDLQWithRequestID(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	f := fullGoal("unknown company")
	f["CompanyName"] = "No Such Company Inc"
	if failed := e.handle(ctx, e.batch(goalEvent("e1", "901", 0, f))); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	msgs := e.dlq()
	if len(msgs) != 1 {
		t.Fatalf("DLQ holds %d messages; logs:\n%s", len(msgs), e.logs)
	}
	if attr(msgs[0], "error_code") != "8008" || attr(msgs[0], "gainsight_request_id") == "" {
		t.Errorf("DLQ attributes = %v", msgs[0].MessageAttributes)
	}
	if _, ok := e.sim.GoalByExternalID(key901); ok {
		t.Error("a goal was created despite the lookup error")
	}
}

func TestFIFORuleFailsTheRestOfTheGroup(t *testing.T) {
	e := newEnv(t)
	e.svc.InlineRetries = -1 // the failure must reach the queue
	e.svc.Lanes = -1         // and hit group 901's call, the batch's first
	ctx := t.Context()
	// Make both goals known first, so each event costs one update call.
	e.handle(ctx, e.batch(goalEvent("a0", "901", 0, fullGoal("a")), goalEvent("b0", "902", 0, fullGoal("b"))))
	e.sim.FailNext(1, gt.FaultUnavailable)
	b := e.batch(
		goalEvent("a1", "901", 1, map[string]any{"Name": "a1"}),
		goalEvent("b1", "902", 1, map[string]any{"Name": "b1"}),
		goalEvent("a2", "901", 2, map[string]any{"StatusName": "Unknown Status"}), // permanent, but after a failure: not attempted
	)
	failed := e.handle(ctx, b)
	ids := b.Records
	if !contains(failed, ids[0].MessageId) || !contains(failed, ids[2].MessageId) || contains(failed, ids[1].MessageId) {
		t.Errorf("failed = %v, want %s and %s (group 901) only", failed, ids[0].MessageId, ids[2].MessageId)
	}
	if g, _ := e.sim.GoalByExternalID("hubspot/portal/62515:902"); g.Name != "b1" {
		t.Errorf("the other group was not applied: %q", g.Name)
	}
	if n := len(e.dlq()); n != 0 {
		t.Errorf("DLQ holds %d messages; the unattempted one must wait for its turn", n)
	}
}

func TestDeadlineMarginLeavesWorkUnattempted(t *testing.T) {
	e := newEnv(t)
	e.svc.Margin = 10 * time.Second
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	b := e.batch(goalEvent("e1", "901", 0, fullGoal("x")), goalEvent("e2", "902", 0, fullGoal("y")))
	failed := e.handle(ctx, b)
	if len(failed) != 2 {
		t.Errorf("failed = %v, want both messages", failed)
	}
	if got := e.sim.Stats().Calls; got != 0 {
		t.Errorf("made %d calls with too little time left", got)
	}
}

func TestRateLimitIsRetriedAndPenalizesTheWindow(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("x"))))
	e.sim.FailNext(1, gt.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": []string{"1"}}})
	b := e.batch(goalEvent("e2", "901", 1, map[string]any{"Name": "y"}))
	if failed := e.handle(ctx, b); len(failed) != 1 {
		t.Fatalf("failed = %v, want the rate-limited message", failed)
	}
	mustContain(t, e.metrics.String(), `"Gainsight429":1`)
	// The redelivery succeeds (it waits for the penalised window).
	if failed := e.handle(ctx, b); len(failed) != 0 {
		t.Fatalf("redelivery failed = %v; logs:\n%s", failed, e.logs)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "y" {
		t.Errorf("name = %q", g.Name)
	}
}

func TestCreateWithLostAnswerIsNotDuplicated(t *testing.T) {
	e := newEnv(t)
	e.svc.InlineRetries = -1 // the redelivery's path (TestLostCreateAnswerHealsInline: the inline one)
	ctx := t.Context()
	ev := goalEvent("e1", "901", 0, fullGoal("once"))
	// Picklist (2 calls) and the fetch succeed; the create takes effect
	// but its answer is lost.
	e.handle(ctx, e.batch(goalEvent("warm", "900", 0, fullGoal("warm-up"))))
	// The next handle makes a fetch (not found) and a create: the create
	// takes effect but its answer is lost (a 502 after applying).
	e.svc.Gainsight = &failNth{Gainsight: e.svc.Gainsight, sim: e.sim, n: 2,
		fault: gt.Fault{Status: http.StatusBadGateway, AfterApply: true}}
	if failed := e.handle(ctx, e.batch(ev)); len(failed) != 1 {
		t.Fatalf("failed = %v, want the message with the lost answer", failed)
	}
	if _, ok := e.sim.GoalByExternalID(key901); !ok {
		t.Fatal("the create did not take effect in the simulator")
	}
	// The redelivery finds the goal by its external id and updates it.
	if failed := e.handle(ctx, e.batch(ev)); len(failed) != 0 {
		t.Fatalf("redelivery failed = %v; logs:\n%s", failed, e.logs)
	}
	if n := goalsFor(e, key901); n != 1 {
		t.Errorf("%d goals for one CRM record", n)
	}
}

func TestDeleteSetsConfiguredFieldsOrIsIgnored(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("x"))))
	del := goalEvent("d1", "901", 1, nil)
	del.Type = goalevents.GoalDeleted
	before := e.sim.Stats().Calls
	if failed := e.handle(ctx, e.batch(del)); len(failed) != 0 {
		t.Fatal(failed)
	}
	if got := e.sim.Stats().Calls - before; got != 0 {
		t.Errorf("an ignored delete made %d calls", got)
	}
	del2 := goalEvent("d2", "901", 2, map[string]any{"StatusName": "Not Achieved"})
	del2.Type = goalevents.GoalDeleted
	if failed := e.handle(ctx, e.batch(del2)); len(failed) != 0 {
		t.Fatal(failed)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.StatusName != "Not Achieved" {
		t.Errorf("status after delete = %q", g.StatusName)
	}
}

func TestInvalidMessageGoesToDLQ(t *testing.T) {
	e := newEnv(t)
	b := e.batch(goalEvent("e1", "901", 0, fullGoal("x")))
	b.Records[0].Body = `{"not":"an event"}`
	if failed := e.handle(t.Context(), b); len(failed) != 0 {
		t.Fatal(failed)
	}
	msgs := e.dlq()
	if len(msgs) != 1 || attr(msgs[0], "error_code") != "INVALID_EVENT" || *msgs[0].Body != `{"not":"an event"}` {
		t.Errorf("DLQ = %+v", msgs)
	}
}

func TestTemplateAndMetricEvents(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	src := "generic/acme"
	metric := goalevents.Event{SpecVersion: "1.0", ID: "m1", Source: src, Type: goalevents.MetricUpserted, Subject: "seats",
		Time: t0, Data: goalevents.Data{ExternalID: "seats", Fields: map[string]any{"name": "Seats in use", "unitOfMeasure": "PERCENTAGE",
			"description": "share of seats", "associateGoalTypeNames": []any{"Adoption"}}}}
	tmpl := goalevents.Event{SpecVersion: "1.0", ID: "t1", Source: src, Type: goalevents.GoalTemplateUpserted, Subject: "tmpl",
		Time: t0, Data: goalevents.Data{ExternalID: "tmpl", Fields: map[string]any{"Name": "Adoption template", "GoalTypeName": "Adoption",
			"StatusName": "New", "DueDate": 90, "Description": "ninety days"}}}
	if failed := e.handle(ctx, e.batch(metric, tmpl)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	found := false
	for _, m := range e.sim.Metrics() {
		if m.Name == "Seats in use" {
			found = true
		}
	}
	if !found {
		t.Errorf("metric not created: %+v", e.sim.Metrics())
	}
	var tg *gt.Goal
	for _, x := range e.sim.Templates() {
		if x.Name == "Adoption template" {
			tg = &x
		}
	}
	if tg == nil || tg.DueDays != 90 {
		t.Fatalf("template = %+v", tg)
	}
	// Update and then delete the template by its record.
	tmpl2 := tmpl
	tmpl2.ID, tmpl2.Time = "t2", t0.Add(time.Minute)
	tmpl2.Data.Fields = map[string]any{"Description": "updated"}
	tdel := goalevents.Event{SpecVersion: "1.0", ID: "t3", Source: src, Type: goalevents.GoalTemplateDeleted, Subject: "tmpl",
		Time: t0.Add(2 * time.Minute), Data: goalevents.Data{ExternalID: "tmpl"}}
	mdel := goalevents.Event{SpecVersion: "1.0", ID: "m2", Source: src, Type: goalevents.MetricDeleted, Subject: "seats",
		Time: t0.Add(2 * time.Minute), Data: goalevents.Data{ExternalID: "seats"}}
	if failed := e.handle(ctx, e.batch(tmpl2, tdel, mdel)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	for _, x := range e.sim.Templates() {
		if x.Gsid == tg.Gsid {
			t.Errorf("template still there: %+v", x)
		}
	}
	for _, m := range e.sim.Metrics() {
		if m.Name == "Seats in use" {
			t.Errorf("metric still there")
		}
	}
	// The record comes back in the CRM: a new template and a new metric
	// are created, not updates of the deleted ones.
	tmpl4 := tmpl
	tmpl4.ID, tmpl4.Time = "t4", t0.Add(3*time.Minute)
	metric2 := metric
	metric2.ID, metric2.Time = "m3", t0.Add(3*time.Minute)
	if failed := e.handle(ctx, e.batch(tmpl4, metric2)); len(failed) != 0 || len(e.dlq()) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	recreated := 0
	for _, x := range e.sim.Templates() {
		if x.Name == "Adoption template" && x.Gsid != tg.Gsid {
			recreated++
		}
	}
	for _, m := range e.sim.Metrics() {
		if m.Name == "Seats in use" {
			recreated++
		}
	}
	if recreated != 2 {
		t.Errorf("recreated %d of the template and the metric, want both", recreated)
	}
}

// goalsFor counts the simulator's goals that carry the record key.
func goalsFor(e *env, key string) int {
	n := 0
	for _, g := range e.sim.Goals() {
		if g.Fields["goalrelay_external_id__gc"] == key {
			n++
		}
	}
	return n
}

// TestConcurrentConsumersOfOneRecordCreateOneGoal: two consumers get
// events of the same new record at once (SQS redelivers a group when
// processing outlives the visibility timeout); the record lock lets one
// create the goal and sends the other back to the queue, so the record
// ends with one goal carrying the newer event.
func TestConcurrentConsumersOfOneRecordCreateOneGoal(t *testing.T) {
	e := newEnv(t, func(o *gt.Options) { o.Latency = 200 * time.Millisecond })
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("warm", "900", 0, fullGoal("warm-up")))) // loads the picklist
	other := *e.svc
	b1 := e.batch(goalEvent("e1", "901", 1, fullGoal("first")))
	b2 := e.batch(goalEvent("e2", "901", 2, fullGoal("second")))
	var failed1, failed2 []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := other.Handle(ctx, b2)
		if err != nil {
			t.Error(err)
		}
		for _, f := range resp.BatchItemFailures {
			failed2 = append(failed2, f.ItemIdentifier)
		}
	}()
	failed1 = e.handle(ctx, b1)
	<-done
	// Usually the calls overlap and the lock sends one consumer back; on a
	// slow machine the second may start after the first ended. Never both.
	if len(failed1)+len(failed2) > 1 {
		t.Fatalf("failed = %v and %v; want at most one consumer sent back", failed1, failed2)
	}
	// The one sent back is redelivered and applied.
	for i := 0; i < 5 && (len(failed1) > 0 || len(failed2) > 0); i++ {
		if len(failed1) > 0 {
			failed1 = e.handle(ctx, b1)
		}
		if len(failed2) > 0 {
			failed2 = e.handle(ctx, b2)
		}
	}
	if n := goalsFor(e, key901); n != 1 {
		t.Fatalf("%d goals for one CRM record; logs:\n%s", n, e.logs)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "second" {
		t.Errorf("goal name = %q, want the newer event's", g.Name)
	}
}

// TestBusyEventHoldsBackTheRestOfItsUnit: when an earlier event of a merged
// unit is held by another consumer, the later ones are not applied ahead
// of it (they would make it stale): all go back to the queue.
func TestBusyEventHoldsBackTheRestOfItsUnit(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e0", "901", 0, fullGoal("start"))))
	e1 := goalEvent("e1", "901", 1, map[string]any{"Name": "one"})
	if _, err := e.svc.Store.Begin(ctx, e1.Identity(), time.Minute); err != nil {
		t.Fatal(err)
	}
	before := e.sim.Stats().Calls
	b := e.batch(e1, goalEvent("e2", "901", 2, map[string]any{"DueDate": "2027-02-28"}))
	if failed := e.handle(ctx, b); len(failed) != 2 {
		t.Fatalf("failed = %v, want both messages", failed)
	}
	if got := e.sim.Stats().Calls - before; got != 0 {
		t.Errorf("made %d calls while an earlier event was held elsewhere", got)
	}
}

// dayQuotaSpent is a quota whose day budget is spent until an hour from now.
type dayQuotaSpent struct{}

func (dayQuotaSpent) Take(context.Context) error {
	return &quota.LimitError{Err: quota.ErrDailyExhausted, Limit: "day", Resets: time.Now().Add(time.Hour)}
}
func (dayQuotaSpent) Penalize(context.Context, time.Duration) error { return nil }

// TestSpentDayDefersMessages: when the day's quota is spent, the failed
// messages are made invisible until it resets, instead of coming back
// every visibility timeout and reaching the DLQ after maxReceiveCount.
func TestSpentDayDefersMessages(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("defer-%d.fifo", seq.Add(1))),
		Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	ev := goalEvent("e1", "901", 0, fullGoal("x"))
	body, _ := json.Marshal(ev)
	if _, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(string(body)),
		MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("e1")}); err != nil {
		t.Fatal(err)
	}
	got, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v %v", got, err)
	}
	name := (*q.QueueUrl)[strings.LastIndex(*q.QueueUrl, "/")+1:]
	b := e.batch(ev)
	b.Records[0].MessageId = *got.Messages[0].MessageId
	b.Records[0].ReceiptHandle = *got.Messages[0].ReceiptHandle
	b.Records[0].EventSourceARN = "arn:aws:sqs:us-east-1:" + awstest.AccountID + ":" + name
	e.svc.Picklist = nil
	e.svc.Quota = dayQuotaSpent{}
	e.svc.Defer = e.sqs
	if failed := e.handle(ctx, b); len(failed) != 1 {
		t.Fatalf("failed = %v, want the message", failed)
	}
	// Past the queue's own 1 s visibility timeout the message is still
	// held back.
	time.Sleep(1500 * time.Millisecond)
	again, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Messages) != 0 {
		t.Errorf("the message came back after %s; it should wait for the quota", "1.5s")
	}
}

func TestMetricCreateWithLostAnswerIsNotDuplicated(t *testing.T) {
	e := newEnv(t)
	e.svc.InlineRetries = -1 // the redelivery's path
	ctx := t.Context()
	metric := goalevents.Event{SpecVersion: "1.0", ID: "m1", Source: "generic/acme", Type: goalevents.MetricUpserted, Subject: "nps",
		Time: t0, Data: goalevents.Data{ExternalID: "nps", Fields: map[string]any{"name": "Net promoter score", "unitOfMeasure": "DECIMAL",
			"associateGoalTypeNames": []any{"Adoption"}}}}
	e.svc.Gainsight = &failNth{Gainsight: e.svc.Gainsight, sim: e.sim, n: 1,
		fault: gt.Fault{Status: http.StatusBadGateway, AfterApply: true}}
	if failed := e.handle(ctx, e.batch(metric)); len(failed) != 1 {
		t.Fatalf("failed = %v, want the message with the lost answer", failed)
	}
	if failed := e.handle(ctx, e.batch(metric)); len(failed) != 0 || len(e.dlq()) != 0 {
		t.Fatalf("redelivery failed = %v or was dead-lettered; logs:\n%s", failed, e.logs)
	}
	n := 0
	for _, m := range e.sim.Metrics() {
		if m.Name == "Net promoter score" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d metrics for one record", n)
	}
}
