package goalctl_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
)

// queues is an events queue and its DLQ in moto_server.
type queues struct {
	moto      *awstest.Moto
	cfg       aws.Config
	client    *sqs.Client
	queueURL  string
	dlqURL    string
	deadIDs   []string // event ids put into the DLQ, in order
	deadGroup map[string]string
}

func newQueues(t *testing.T) *queues {
	t.Helper()
	m := awstest.NewMoto(t)
	cfg := awstest.Config(t, m)
	q := &queues{moto: m, cfg: cfg, client: sqs.NewFromConfig(cfg), deadGroup: map[string]string{}}
	ctx := t.Context()
	dlq, err := q.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("goalrelay-dlq.fifo"),
		Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	q.dlqURL = aws.ToString(dlq.QueueUrl)
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:%s:%s:goalrelay-dlq.fifo","maxReceiveCount":"5"}`, awstest.Region, awstest.AccountID)
	ev, err := q.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("goalrelay-events.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "RedrivePolicy": redrive}})
	if err != nil {
		t.Fatal(err)
	}
	q.queueURL = aws.ToString(ev.QueueUrl)
	return q
}

func sampleEvent(source, recordID, n string) events.Event {
	return events.Event{
		SpecVersion: events.SpecVersion, ID: source + ":" + recordID + ":" + n, Source: source,
		Type: events.GoalUpserted, Subject: recordID, Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		DataContentType: events.ContentTypeJSON,
		Data:            events.Data{ExternalID: recordID, Fields: map[string]any{"Name": "Goal " + recordID, "StatusName": "Bogus"}},
	}
}

// deadLetter puts an event into the DLQ the way the apply function does.
func (q *queues) deadLetter(t *testing.T, ev events.Event, code, msg string) {
	t.Helper()
	body, _ := json.Marshal(ev)
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	group := ev.RecordKey()
	_, err := q.client.SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl: aws.String(q.dlqURL), MessageBody: aws.String(string(body)),
		MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(fmt.Sprintf("dead-%d-%s", len(q.deadIDs), ev.ID)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			apply.AttrErrorCode: str(code), apply.AttrErrorMessage: str(msg), apply.AttrRequestID: str("req-" + ev.Subject),
			apply.AttrAttempts: str("1"), apply.AttrEventID: str(ev.ID), apply.AttrEventType: str(string(ev.Type)),
			apply.AttrSource: str(ev.Source), apply.AttrOriginalMsgID: str("orig-" + ev.ID),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	q.deadIDs = append(q.deadIDs, ev.ID)
	q.deadGroup[ev.ID] = group
}

// drain receives every visible message of url (and deletes it).
func (q *queues) drain(t *testing.T, url string) []types.Message {
	t.Helper()
	var out []types.Message
	for {
		res, err := q.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 30, WaitTimeSeconds: 0,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			return out
		}
		for _, m := range res.Messages {
			out = append(out, m)
			if _, err := q.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func (q *queues) harness() *harness {
	cfg := q.cfg
	return &harness{awsCfg: &cfg}
}

func fillDLQ(t *testing.T, q *queues) {
	q.deadLetter(t, sampleEvent("hubspot/portal/62515", "901", "1"), "", "Invalid StatusName provided in request")
	q.deadLetter(t, sampleEvent("hubspot/portal/62515", "901", "2"), "", "Invalid StatusName provided in request")
	q.deadLetter(t, sampleEvent("salesforce/org/00D000000000062EAA", "0065e00000GoAl1AAA", "1"), "8008", "INVALID_LOOKUP_CONFIG no company named Acme")
}

func TestDLQList(t *testing.T) {
	q := newQueues(t)
	fillDLQ(t, q)
	h := q.harness()

	r := h.run(t, "dlq", "list", "--dlq-url", q.dlqURL)
	wantCode(t, r, goalctl.ExitOK)
	for _, w := range []string{"EVENT ID", "ERROR CODE", "8008", "INVALID_LOOKUP_CONFIG", "Invalid StatusName", "req-901", "hubspot/portal/62515:901:2", "goal.upserted"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("table lacks %q\n%s", w, r)
		}
	}
	if !strings.Contains(r.stderr, "3 message(s) in the DLQ") {
		t.Errorf("stderr:\n%s", r)
	}

	// JSON, right after: listing made every message visible again.
	r = h.run(t, "dlq", "list", "--dlq-url", q.dlqURL, "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var got []goalctl.DLQMessage
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if len(got) != 3 {
		t.Fatalf("%d messages listed, want 3\n%s", len(got), r)
	}
	byID := map[string]goalctl.DLQMessage{}
	for _, m := range got {
		byID[m.EventID] = m
	}
	m := byID[q.deadIDs[2]]
	if m.ErrorCode != "8008" || m.Source != "salesforce/org/00D000000000062EAA" || m.RequestID != "req-0065e00000GoAl1AAA" ||
		m.Attempts != "1" || m.GroupID != q.deadGroup[q.deadIDs[2]] || m.SentAt == nil || m.OriginalMessageID != "orig-"+q.deadIDs[2] {
		t.Errorf("listed %+v", m)
	}
	var ev events.Event
	if err := json.Unmarshal(m.Body, &ev); err != nil || ev.ID != q.deadIDs[2] {
		t.Errorf("body %s: %v", m.Body, err)
	}

	// --max bounds the listing and says there may be more.
	r = h.run(t, "dlq", "list", "--dlq-url", q.dlqURL, "--max", "2")
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stderr, "2 message(s) in the DLQ (the DLQ holds about 3; raise --max)") {
		t.Errorf("stderr:\n%s", r)
	}

	// Nothing was deleted, and nothing is held invisible.
	if left := q.drain(t, q.dlqURL); len(left) != 3 {
		t.Errorf("%d messages left visible in the DLQ after listing, want 3", len(left))
	}

	// Twelve messages of one group: SQS FIFO shows no more of a group
	// while its first messages are held, and the listing says so.
	for i := range 12 {
		q.deadLetter(t, sampleEvent("pipedrive/company/1", "43", fmt.Sprint(i)), "", "x")
	}
	r = h.run(t, "dlq", "list", "--dlq-url", q.dlqURL, "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	got = nil
	_ = json.Unmarshal([]byte(r.stdout), &got)
	if len(got) < 12 && !strings.Contains(r.stderr, "the DLQ holds about 12; a FIFO queue shows no more of a message group") {
		t.Errorf("%d of 12 listed without a note\n%s", len(got), r)
	}
	t.Logf("one group of 12: %d listed", len(got))

	// A queue that does not exist is an operation failure.
	r = h.run(t, "dlq", "list", "--dlq-url", q.dlqURL+"-missing")
	wantCode(t, r, goalctl.ExitFailure)
}

func TestDLQRedriveReceiveSend(t *testing.T) {
	q := newQueues(t)
	fillDLQ(t, q)
	h := q.harness()

	// moto_server has no StartMessageMoveTask: auto falls back.
	r := h.run(t, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL)
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stdout, "moved 3 message(s)") || !strings.Contains(r.stdout, "(receive-send)") {
		t.Errorf("stdout:\n%s", r)
	}
	if !strings.Contains(r.stderr, "no message move tasks") {
		t.Errorf("stderr:\n%s", r)
	}
	if left := q.drain(t, q.dlqURL); len(left) != 0 {
		t.Errorf("%d messages left in the DLQ", len(left))
	}
	moved := q.drain(t, q.queueURL)
	if len(moved) != 3 {
		t.Fatalf("%d messages on the queue, want 3", len(moved))
	}
	var order []string
	for _, m := range moved {
		var ev events.Event
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
			t.Fatal(err)
		}
		if g := m.Attributes["MessageGroupId"]; g != q.deadGroup[ev.ID] {
			t.Errorf("event %s in group %q, want %q", ev.ID, g, q.deadGroup[ev.ID])
		}
		if a := m.MessageAttributes[apply.AttrEventID]; aws.ToString(a.StringValue) != ev.ID {
			t.Errorf("attributes not copied: %v", m.MessageAttributes)
		}
		if ev.Source == "hubspot/portal/62515" {
			order = append(order, ev.ID)
		}
	}
	if strings.Join(order, ",") != q.deadIDs[0]+","+q.deadIDs[1] {
		t.Errorf("group order %v, want %v", order, q.deadIDs[:2])
	}

	// The same events dead again (a new failure) are moved again: the
	// redrive's deduplication ids do not swallow them.
	q.deadLetter(t, sampleEvent("hubspot/portal/62515", "901", "1"), "", "again")
	r = h.run(t, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--method", "receive-send", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var res goalctl.RedriveResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if res.Method != goalctl.MethodReceiveSend || res.Moved != 1 || res.Error != "" {
		t.Errorf("result %+v", res)
	}
	if again := q.drain(t, q.queueURL); len(again) != 1 || !strings.Contains(aws.ToString(again[0].Body), q.deadIDs[0]) {
		t.Errorf("the event dead again was not moved again: %d messages", len(again))
	}

	// An empty DLQ: nothing to move is a success.
	q.drain(t, q.dlqURL)
	q.drain(t, q.queueURL)
	r = h.run(t, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--max-per-second", "50")
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stdout, "moved 0 message(s)") {
		t.Errorf("stdout:\n%s", r)
	}

	// --method move-task where there is none: the operation fails.
	fillDLQ(t, q)
	r = h.run(t, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--method", "move-task")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "start message move task") {
		t.Errorf("stderr:\n%s", r)
	}
}

func TestDLQRedriveMax(t *testing.T) {
	q := newQueues(t)
	fillDLQ(t, q)
	r := q.harness().run(t, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--method", "receive-send", "--max", "2")
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stdout, "moved 2 message(s)") {
		t.Errorf("stdout:\n%s", r)
	}
	if left := q.drain(t, q.dlqURL); len(left) != 1 {
		t.Errorf("%d left in the DLQ, want 1 (and visible)", len(left))
	}
	if moved := q.drain(t, q.queueURL); len(moved) != 2 {
		t.Errorf("%d on the queue, want 2", len(moved))
	}

	// Twelve of one FIFO group move completely and in order.
	var want []string
	for i := range 12 {
		ev := sampleEvent("pipedrive/company/1", "43", fmt.Sprintf("%02d", i))
		q.deadLetter(t, ev, "", "x")
		want = append(want, ev.ID)
	}
	r = q.harness().run(t, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--method", "receive-send")
	wantCode(t, r, goalctl.ExitOK)
	var got []string
	for _, m := range q.drain(t, q.queueURL) {
		var ev events.Event
		_ = json.Unmarshal([]byte(aws.ToString(m.Body)), &ev)
		got = append(got, ev.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("moved %v\nwant %v", got, want)
	}
}

// The real binary, configured through the SDK's environment variables
// only, lists and redrives.
func TestBinaryDLQ(t *testing.T) {
	q := newQueues(t)
	fillDLQ(t, q)
	env := q.moto.Env()

	r := execGoalctl(t, env, "dlq", "list", "--dlq-url", q.dlqURL)
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stdout, "INVALID_LOOKUP_CONFIG") {
		t.Errorf("stdout:\n%s", r)
	}
	r = execGoalctl(t, env, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL)
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stdout, "moved 3 message(s)") {
		t.Errorf("stdout:\n%s", r)
	}
	if moved := q.drain(t, q.queueURL); len(moved) != 3 {
		t.Errorf("%d on the queue, want 3", len(moved))
	}

	// No region anywhere: a usage error naming the fix.
	var noRegion []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_REGION=") {
			noRegion = append(noRegion, kv)
		}
	}
	r = execGoalctl(t, noRegion, "dlq", "list", "--dlq-url", q.dlqURL)
	wantCode(t, r, goalctl.ExitUsage)
	if !strings.Contains(r.stderr, "--region") {
		t.Errorf("stderr:\n%s", r)
	}
	// --region supplies it.
	r = execGoalctl(t, noRegion, "--region", awstest.Region, "dlq", "list", "--dlq-url", q.dlqURL)
	wantCode(t, r, goalctl.ExitOK)
}

// Selective redrive through the real binary against moto: a record (one
// FIFO group) with events that failed for different reasons, and events
// of other records.
func TestBinaryDLQSelectiveRedrive(t *testing.T) {
	q := newQueues(t)
	const src = "hubspot/portal/62515"
	a1, a2, a3 := sampleEvent(src, "901", "1"), sampleEvent(src, "901", "2"), sampleEvent(src, "901", "3")
	b1, c1 := sampleEvent(src, "902", "1"), sampleEvent("pipedrive/company/1", "43", "1")
	q.deadLetter(t, a1, "INVALID_STATUS_NAME", "no status Bogus")
	q.deadLetter(t, a2, "8008", "INVALID_LOOKUP_CONFIG no company named Acme")
	q.deadLetter(t, a3, "INVALID_STATUS_NAME", "no status Bogus")
	q.deadLetter(t, b1, "INVALID_STATUS_NAME", "no status Bogus")
	q.deadLetter(t, c1, "8008", "INVALID_LOOKUP_CONFIG no company named Acme")
	env := q.moto.Env()
	eventIDs := func(msgs []types.Message) []string {
		var out []string
		for _, m := range msgs {
			var ev events.Event
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, ev.ID)
		}
		return out
	}
	listed := func() []string {
		t.Helper()
		return sorted(listedEventIDs(t, execGoalctl(t, env, "dlq", "list", "--dlq-url", q.dlqURL, "-o", "json")))
	}

	// By error code: a1 and b1 move; a3 has the code too but waits behind
	// a2 of its record, which has another: it stays, and the run says so
	// (exit 3: not everything selected moved).
	r := execGoalctl(t, env, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--error-code", "INVALID_STATUS_NAME", "-o", "json")
	wantCode(t, r, goalctl.ExitPartial)
	var res goalctl.RedriveResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if res.Moved != 2 || len(res.HeldBack) != 1 || res.HeldBack[0].EventID != a3.ID || res.HeldBack[0].Behind != a2.ID || res.NotSelected != 2 {
		t.Errorf("result %+v\n%s", res, r)
	}
	if got := eventIDs(q.drain(t, q.queueURL)); !slices.Equal(got, []string{a1.ID, b1.ID}) {
		t.Errorf("on the queue: %v, want a1, b1", got)
	}
	// Nothing else left the DLQ, and all of it is visible again at once.
	if got, want := listed(), []string{c1.ID, a2.ID, a3.ID}; !slices.Equal(got, sorted(want)) {
		t.Errorf("DLQ holds %v, want %v", got, sorted(want))
	}

	// By id, the table output: a2 and a3 move, in order; an unknown id is
	// reported.
	r = execGoalctl(t, env, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--id", a3.ID, "--id", a2.ID, "--id", "no-such-event")
	wantCode(t, r, goalctl.ExitPartial)
	for _, w := range []string{"moved 2 message(s)", "moved      " + a2.ID, "not found  no-such-event", "1 message(s) not selected"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q\n%s", w, r)
		}
	}
	if !strings.Contains(r.stderr, "moved 2 message(s), not all that were selected: 1 --id value(s) matched no message in the DLQ: no-such-event") {
		t.Errorf("stderr:\n%s", r)
	}
	if got := eventIDs(q.drain(t, q.queueURL)); !slices.Equal(got, []string{a2.ID, a3.ID}) {
		t.Errorf("on the queue: %v, want a2, a3 in order", got)
	}
	if got := listed(); !slices.Equal(got, []string{c1.ID}) {
		t.Errorf("DLQ holds %v, want c1 only", got)
	}

	// Nothing selected is found: exit 1, nothing moved.
	r = execGoalctl(t, env, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--error-code", "VC_8026")
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stdout, "moved 0 message(s)") {
		t.Errorf("stdout:\n%s", r)
	}
	r = execGoalctl(t, env, "dlq", "redrive", "--dlq-url", q.dlqURL, "--queue-url", q.queueURL, "--id", "no-such-event")
	wantCode(t, r, goalctl.ExitFailure)
	if got := listed(); !slices.Equal(got, []string{c1.ID}) {
		t.Errorf("DLQ holds %v, want c1 only", got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// listedEventIDs are the event ids of a successful dlq list -o json.
func listedEventIDs(t *testing.T, r result) []string {
	t.Helper()
	wantCode(t, r, goalctl.ExitOK)
	var got []goalctl.DLQMessage
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	var ids []string
	for _, m := range got {
		ids = append(ids, m.EventID)
	}
	return ids
}
