package goalctl_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

// consumer is the apply function's service on a moto state table and DLQ,
// against the Gainsight simulator: it writes event stories as production
// does.
type consumer struct {
	moto *awstest.Moto
	sim  *gainsighttest.Server
	svc  *apply.Service
	seq  int
}

func newConsumer(t *testing.T) *consumer {
	t.Helper()
	m := awstest.NewMoto(t)
	cfg := awstest.Config(t, m)
	ctx := t.Context()
	db := dynamodb.NewFromConfig(cfg)
	if err := state.CreateTable(ctx, db, stateTable); err != nil {
		t.Fatal(err)
	}
	sqsClient := sqs.NewFromConfig(cfg)
	dlq, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("goalrelay-dlq.fifo"),
		Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	sim := gainsighttest.NewServer(t)
	client, err := gainsight.New(gainsight.Options{BaseURL: sim.URL, AccessKey: gainsight.StaticAccessKey(sim.AccessKey), HTTPClient: sim.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return &consumer{moto: m, sim: sim, svc: &apply.Service{
		Gainsight: client,
		Store:     state.New(db, stateTable),
		Quota:     quota.New(db, stateTable),
		DLQ:       sqsClient,
		DLQURL:    aws.ToString(dlq.QueueUrl),
		Picklist:  &apply.Picklist{},
		Metrics:   emf.New(io.Discard, "apply"),
		Log:       slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Margin:    time.Second,
		// A 503 must reach the queue for the story of a retried event.
		InlineRetries: -1,
	}}
}

const storySource = "hubspot/portal/62515"

var storyT0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func storyEvent(id string, min int, fields map[string]any) events.Event {
	return events.Event{SpecVersion: events.SpecVersion, ID: id, Source: storySource, Type: events.GoalUpserted, Subject: "901",
		Time: storyT0.Add(time.Duration(min) * time.Minute), DataContentType: events.ContentTypeJSON,
		Data: events.Data{ExternalID: "901", Fields: fields}}
}

// apply hands the events to the consumer as one SQS batch and returns how
// many it reported failed.
func (c *consumer) apply(t *testing.T, evs ...events.Event) int {
	t.Helper()
	var b lambdaevents.SQSEvent
	for _, ev := range evs {
		body, _ := json.Marshal(ev)
		c.seq++
		b.Records = append(b.Records, lambdaevents.SQSMessage{MessageId: fmt.Sprintf("m%d", c.seq), Body: string(body),
			Attributes: map[string]string{"MessageGroupId": ev.RecordKey(), "ApproximateReceiveCount": "1"}})
	}
	resp, err := c.svc.Handle(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.BatchItemFailures)
}

// A record whose events were applied, stale, dead-lettered (before a
// claim and after Gainsight's refusal) and retried, read back through the
// goalctl binary: the record's history, one event, in both formats.
func TestBinaryEvents(t *testing.T) {
	c := newConsumer(t)
	full := map[string]any{"Name": "Reach 80% adoption", "StatusName": "On Track", "EntityType": "COMPANY", "CompanyName": "IBM"}
	c.apply(t, storyEvent("e1", 0, full))
	c.apply(t, storyEvent("e3", 3, map[string]any{"StatusName": "Achieved"}))
	c.apply(t, storyEvent("e2", 2, map[string]any{"Name": "late"}), storyEvent("e4", 4, map[string]any{"StatusName": "Lost Forever"}))
	c.sim.FailNext(1, gainsighttest.FaultUnavailable)
	if n := c.apply(t, storyEvent("e5", 5, map[string]any{"Name": "n5"})); n != 1 {
		t.Fatalf("the 503 was not retried: %d failures", n)
	}
	c.apply(t, storyEvent("e6", 6, map[string]any{"CompanyName": "No Such Company Inc"}))
	goal, ok := c.sim.GoalByExternalID(storySource + ":901")
	if !ok {
		t.Fatal("no goal was created")
	}

	env := c.moto.Env()
	r := execGoalctl(t, env, "events", "--record", storySource+":901", "--table", stateTable, "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var rep goalctl.RecordReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	type line struct{ ID, Outcome, Gsid, Code string }
	var got []line
	for _, e := range rep.Events {
		got = append(got, line{e.EventID, e.Outcome, e.Gsid, e.ErrorCode})
		if e.RecordKey != storySource+":901" || e.Source != storySource || e.Time.IsZero() || e.UpdatedAt.IsZero() {
			t.Errorf("%s: %+v", e.EventID, e)
		}
	}
	want := []line{
		{"e1", "done", goal.Gsid, ""},
		{"e2", "stale", goal.Gsid, ""},
		{"e3", "done", goal.Gsid, ""},
		{"e4", "permanent", "", "INVALID_STATUS_NAME"},
		{"e5", "retry", goal.Gsid, "GS_FAULT"},
		{"e6", "permanent", goal.Gsid, "8008"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("history (-want +got):\n%s", d)
	}
	if g := rep.Goal; g == nil || g.Gsid != goal.Gsid || g.LastEventID != "e3" || !g.Version.Equal(storyT0.Add(3*time.Minute)) ||
		g.Name != "Reach 80% adoption" || g.StatusName != "Achieved" {
		t.Errorf("goal %+v", rep.Goal)
	}
	if len(rep.Events) != 6 || rep.Events[0].RequestID == "" || rep.Events[5].RequestID == "" || rep.Events[4].RequestID == "" {
		t.Fatalf("request ids: %+v", rep.Events)
	}
	createReq := rep.Events[0].RequestID

	// The table, with the table name from the environment.
	r = execGoalctl(t, append(env, "STATE_TABLE="+stateTable), "events", "--record", storySource+":901")
	wantCode(t, r, goalctl.ExitOK)
	for _, w := range []string{"record " + storySource + ":901", "gsid        " + goal.Gsid, "last event applied: e3", "CRM TIME",
		"2026-11-27T10:02:00.000Z  e2", "stale", "INVALID_STATUS_NAME", "GS_FAULT", "8008"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("table lacks %q\n%s", w, r)
		}
	}
	if n := strings.Count(r.stdout, "goal.upserted"); n != 6 {
		t.Errorf("%d event rows, want 6\n%s", n, r)
	}
	// --limit keeps the newest.
	r = execGoalctl(t, env, "events", "--record", storySource+":901", "--table", stateTable, "--limit", "2", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	rep = goalctl.RecordReport{}
	_ = json.Unmarshal([]byte(r.stdout), &rep)
	if len(rep.Events) != 2 || rep.Events[0].EventID != "e5" || rep.Events[1].EventID != "e6" {
		t.Errorf("--limit 2: %+v", rep.Events)
	}

	// One event.
	r = execGoalctl(t, env, "events", "--id", "e4", "--source", storySource, "--table", stateTable, "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var one state.EventRecord
	if err := json.Unmarshal([]byte(r.stdout), &one); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if one.EventID != "e4" || one.Outcome != "permanent" || one.ErrorCode != "INVALID_STATUS_NAME" || one.Status != state.StatusReleased ||
		!strings.Contains(one.Detail, "Lost Forever") || one.ExpiresAt.IsZero() {
		t.Errorf("event e4: %+v", one)
	}
	r = execGoalctl(t, env, "events", "--id", "e1", "--source", storySource, "--table", stateTable)
	wantCode(t, r, goalctl.ExitOK)
	for _, w := range []string{"event:             e1", "outcome:           done", "state:             COMPLETE", "gsid:              " + goal.Gsid,
		"crm time:          2026-11-27T10:00:00.000Z", "gainsight request: " + createReq} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("event table lacks %q\n%s", w, r)
		}
	}

	// Nothing known: an operation failure that says what a key looks like.
	r = execGoalctl(t, env, "events", "--record", "901", "--table", stateTable)
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "nothing known of record 901") {
		t.Errorf("stderr: %s", r)
	}
	r = execGoalctl(t, env, "events", "--id", "e9", "--source", storySource, "--table", stateTable)
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "no event e9") {
		t.Errorf("stderr: %s", r)
	}
}
