package apply_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

// moto is shared by the package's tests; each test has its own table and
// queue names.
var moto *awstest.Moto

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	var err error
	moto, err = awstest.StartMoto(context.Background(), 15*time.Minute)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Close()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var seq atomic.Int64

// env is one consumer against the simulator, a state table and a DLQ.
type env struct {
	t       *testing.T
	sim     *gainsighttest.Server
	svc     *apply.Service
	sqs     *sqs.Client
	db      *dynamodb.Client
	table   string
	dlqURL  string
	metrics *syncBuffer
	logs    *syncBuffer
	msgSeq  int
}

func newEnv(t *testing.T, simOptFns ...func(*gainsighttest.Options)) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("needs moto_server")
	}
	cfg := awstest.Config(t, moto)
	n := seq.Add(1)
	// The one lenient simulator reading apply needs: it finds a metric
	// whose create answer was lost by name in the picklist's "metrics"
	// member, whose shape the spec never shows (see findMetric).
	lenient := func(o *gainsighttest.Options) { o.PicklistDetails = true }
	e := &env{t: t, sim: gainsighttest.NewServer(t, append([]func(*gainsighttest.Options){lenient}, simOptFns...)...), sqs: sqs.NewFromConfig(cfg), db: dynamodb.NewFromConfig(cfg),
		table: fmt.Sprintf("state-%d", n), metrics: &syncBuffer{}, logs: &syncBuffer{}}
	ctx := t.Context()
	if err := state.CreateTable(ctx, e.db, e.table); err != nil {
		t.Fatal(err)
	}
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("dlq-%d.fifo", n)),
		Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	e.dlqURL = *q.QueueUrl
	client, err := gainsight.New(gainsight.Options{BaseURL: e.sim.URL, AccessKey: gainsight.StaticAccessKey(e.sim.AccessKey),
		HTTPClient: e.sim.Client()})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = &apply.Service{
		Gainsight: client,
		Store:     state.New(e.db, e.table),
		Quota: quota.New(e.db, e.table, func(o *quota.Options) {
			// Short windows keep a penalised window (after a 429) short.
			o.PerMinute, o.PerDay, o.Window = 1000, 100000, 2*time.Second
		}),
		DLQ:      e.sqs,
		DLQURL:   e.dlqURL,
		Picklist: &apply.Picklist{},
		Metrics:  emf.New(e.metrics, "apply"),
		Log:      slog.New(slog.NewJSONHandler(e.logs, nil)),
		Margin:   time.Second,
	}
	return e
}

// batch wraps events as a FIFO SQS batch, in order.
func (e *env) batch(evs ...goalevents.Event) events.SQSEvent {
	var recs []events.SQSMessage
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			e.t.Fatal(err)
		}
		e.msgSeq++
		recs = append(recs, events.SQSMessage{
			MessageId: fmt.Sprintf("m%d", e.msgSeq), Body: string(b), EventSource: "aws:sqs",
			Attributes: map[string]string{"MessageGroupId": ev.RecordKey(), "MessageDeduplicationId": ev.ID,
				"ApproximateReceiveCount": "1", "SequenceNumber": fmt.Sprint(e.msgSeq)},
		})
	}
	return events.SQSEvent{Records: recs}
}

// handle runs a batch and returns the ids of the failed messages.
func (e *env) handle(ctx context.Context, b events.SQSEvent) []string {
	e.t.Helper()
	resp, err := e.svc.Handle(ctx, b)
	if err != nil {
		e.t.Fatalf("Handle: %v", err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// dlq drains the DLQ.
func (e *env) dlq() []sqstypes.Message {
	e.t.Helper()
	out, err := e.sqs.ReceiveMessage(e.t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.dlqURL),
		MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.Messages
}

func (e *env) calls(endpoint string) int { return e.sim.Stats().ByEndpoint[endpoint] }

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// goalEvent is a goal.upserted of HubSpot deal id at minute min.
func goalEvent(id string, deal string, min int, fields map[string]any) goalevents.Event {
	return goalevents.Event{SpecVersion: "1.0", ID: id, Source: "hubspot/portal/62515", Type: goalevents.GoalUpserted,
		Subject: deal, Time: t0.Add(time.Duration(min) * time.Minute), DataContentType: "application/json",
		Data: goalevents.Data{ExternalID: deal, Fields: fields}}
}

func fullGoal(name string) map[string]any {
	return map[string]any{"Name": name, "StatusName": "On Track", "EntityType": "COMPANY", "CompanyName": "IBM",
		"DueDate": "2026-12-31", "crm_stage__gc": "won"}
}

func attr(m sqstypes.Message, name string) string {
	if v, ok := m.MessageAttributes[name]; ok {
		return aws.ToString(v.StringValue)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustContain(t *testing.T, haystack, needle string) {
	t.Helper()
	if !strings.Contains(haystack, needle) {
		t.Errorf("%q does not contain %q", haystack, needle)
	}
}
