package apply_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/localesm"
	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

// This file is the harness of the queue-driven tests (integration, faults,
// drain benchmark): a stack of an SQS FIFO queue with its FIFO DLQ and
// RedrivePolicy, a state table and an access-key secret on moto_server,
// and the simulator behind a front that can rotate the accepted key and
// inject a seeded mix of faults. Consumers are either the real bootstrap
// under aws-lambda-rie or apply.Service instances in this process, each
// fed by a localesm.Poller.

// stackConfig shapes a stack.
type stackConfig struct {
	// Visibility is the queue's VisibilityTimeout in seconds.
	Visibility int
	// MaxReceive is the RedrivePolicy's maxReceiveCount.
	MaxReceive int
	// Sim, if set, changes the simulator's options.
	Sim func(*gt.Options)
}

type stack struct {
	t        testing.TB
	cfg      aws.Config
	sqs      *sqs.Client
	db       *dynamodb.Client
	sm       *secretsmanager.Client
	sim      *gt.Server
	front    *front
	URL      string // the front: what consumers use as GAINSIGHT_BASE_URL
	queueURL string
	queueARN string
	dlqURL   string
	table    string
	secretID string
	pub      *queue.Publisher
}

func newStack(t testing.TB, c stackConfig) *stack {
	t.Helper()
	if moto == nil {
		t.Skip("needs moto_server (not started with -short)")
	}
	n := seq.Add(1)
	cfg := awstest.Config(t, moto)
	s := &stack{t: t, cfg: cfg, sqs: sqs.NewFromConfig(cfg), db: dynamodb.NewFromConfig(cfg), sm: secretsmanager.NewFromConfig(cfg),
		table: fmt.Sprintf("stack-state-%d", n), secretID: fmt.Sprintf("goalrelay/gainsight-%d", n)}
	var simOptFns []func(*gt.Options)
	if c.Sim != nil {
		simOptFns = append(simOptFns, c.Sim)
	}
	s.sim = gt.NewServer(t, simOptFns...)
	s.front = newFront(s.sim)
	srv := httptest.NewServer(s.front)
	t.Cleanup(func() { close(s.front.closing); s.sim.Close(); srv.Close() })
	s.URL = srv.URL

	ctx := context.Background()
	if err := state.CreateTable(ctx, s.db, s.table); err != nil {
		t.Fatal(err)
	}
	dlqName := fmt.Sprintf("stack-%d-dlq.fifo", n)
	dq, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dlqName),
		Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	s.dlqURL = *dq.QueueUrl
	name := fmt.Sprintf("stack-%d.fifo", n)
	s.queueARN = "arn:aws:sqs:" + awstest.Region + ":" + awstest.AccountID + ":" + name
	q, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"FifoQueue":         "true",
		"VisibilityTimeout": strconv.Itoa(c.Visibility),
		"RedrivePolicy": fmt.Sprintf(`{"maxReceiveCount":"%d","deadLetterTargetArn":"arn:aws:sqs:%s:%s:%s"}`,
			c.MaxReceive, awstest.Region, awstest.AccountID, dlqName),
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.queueURL = *q.QueueUrl
	s.pub = queue.NewPublisher(s.sqs, s.queueURL)
	s.putSecret(s.sim.AccessKey, true)
	return s
}

// putSecret stores key as the access-key secret, in its JSON form.
func (s *stack) putSecret(key string, create bool) {
	s.t.Helper()
	v, _ := json.Marshal(map[string]string{"accessKey": key})
	var err error
	if create {
		_, err = s.sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(s.secretID), SecretString: aws.String(string(v))})
	} else {
		_, err = s.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(s.secretID), SecretString: aws.String(string(v))})
	}
	if err != nil {
		s.t.Fatal(err)
	}
}

// publish sends events through the production Publisher (group = record
// key, dedup id = event id).
func (s *stack) publish(evs ...goalevents.Event) {
	s.t.Helper()
	if err := s.pub.Publish(context.Background(), evs); err != nil {
		s.t.Fatal(err)
	}
}

// redeliver sends an event again under a new deduplication id, as a CRM
// retry after the FIFO queue's five-minute window: same event id, same
// group, a message SQS does not deduplicate.
func (s *stack) redeliver(ev goalevents.Event) {
	s.t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	_, err = s.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(s.queueURL), MessageBody: aws.String(string(body)),
		MessageGroupId: aws.String(queue.FIFOID(ev.RecordKey())), MessageDeduplicationId: aws.String(queue.FIFOID(ev.ID + "#crm-retry")),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			queue.AttrEventType: {DataType: aws.String("String"), StringValue: aws.String(string(ev.Type))},
			queue.AttrSource:    {DataType: aws.String("String"), StringValue: aws.String(ev.Source)},
		}})
	if err != nil {
		s.t.Fatal(err)
	}
}

// poller is a localesm.Poller over the stack's queue.
func (s *stack) poller(fn localesm.Invoker) *localesm.Poller {
	return &localesm.Poller{SQS: s.sqs, QueueURL: s.queueURL, QueueARN: s.queueARN, Region: awstest.Region, Function: fn, BatchSize: 10}
}

// queueDepth is the queue's visible plus in-flight messages.
func (s *stack) queueDepth(ctx context.Context) (int, error) {
	out, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		v, _ := strconv.Atoi(out.Attributes[string(k)])
		n += v
	}
	return n, nil
}

// drainStats is what a drain saw.
type drainStats struct {
	Polls, Received, Deleted, Failed, InvokeErrors int
	Elapsed                                        time.Duration
}

// drain runs one goroutine per poller until ready (nil: at once) reports
// true and then the queue holds no message, visible or in flight, at two
// checks in a row; it fails the test at the deadline. Pollers must not be
// shared between goroutines.
func (s *stack) drain(pollers []*localesm.Poller, within time.Duration, ready func() bool) drainStats {
	s.t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	run, stop := context.WithCancel(ctx)
	var mu sync.Mutex
	var st drainStats
	var errs []error
	var wg sync.WaitGroup
	for _, p := range pollers {
		wg.Go(func() {
			for run.Err() == nil {
				res, err := p.Poll(run)
				mu.Lock()
				st.Polls++
				st.Received += res.Received
				st.Deleted += res.Deleted
				st.Failed += res.Failed
				if res.InvokeErr != nil {
					st.InvokeErrors++
				}
				if err != nil && run.Err() == nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if res.Received == 0 || err != nil {
					select {
					case <-run.Done():
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
		})
	}
	empty := 0
	for empty < 2 {
		select {
		case <-ctx.Done():
			stop()
			wg.Wait()
			d, _ := s.queueDepth(context.Background())
			s.t.Fatalf("queue not drained within %s: %d messages left; stats %+v; SQS errors %v", within, d, st, errs)
		case <-time.After(250 * time.Millisecond):
		}
		if ready != nil && !ready() {
			continue
		}
		d, err := s.queueDepth(ctx)
		switch {
		case err != nil:
			s.t.Logf("queue depth: %v", err)
		case d == 0:
			empty++
		default:
			empty = 0
		}
	}
	stop()
	wg.Wait()
	st.Elapsed = time.Since(start)
	if len(errs) > 0 {
		// Deletes of messages whose receipt handle went stale, say; the
		// redelivery is then a duplicate and the checks below still hold.
		s.t.Logf("SQS errors during the drain (%d): %v", len(errs), errs[0])
	}
	return st
}

// dlqMessages receives every message of the DLQ (once: they stay invisible
// for a minute).
func (s *stack) dlqMessages() []sqstypes.Message {
	s.t.Helper()
	var all []sqstypes.Message
	for range 100 {
		out, err := s.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.dlqURL),
			MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageAttributeNames: []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
		if err != nil {
			s.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		all = append(all, out.Messages...)
	}
	return all
}

// eventStatus is the status of an event's record in the state table (""
// if there is none); claims are keyed by the event's identity.
func (s *stack) eventStatus(ev goalevents.Event) string {
	id := ev.Identity()
	s.t.Helper()
	out, err := s.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{state.KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: state.EventPrefix + id}}})
	if err != nil {
		s.t.Fatal(err)
	}
	if v, ok := out.Item["status"].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// service is an in-process consumer against the stack, as functions/apply
// wires it, with the given per-call time-out and quota.
func (s *stack) service(callTimeout time.Duration, q func(*quota.Options), logs io.Writer) *apply.Service {
	s.t.Helper()
	client, err := gainsight.New(gainsight.Options{BaseURL: s.URL, AccessKey: gainsight.StaticAccessKey(s.sim.AccessKey),
		HTTPClient: &http.Client{Timeout: callTimeout}})
	if err != nil {
		s.t.Fatal(err)
	}
	if logs == nil {
		logs = io.Discard
	}
	return &apply.Service{
		Gainsight: client,
		Store:     state.New(s.db, s.table),
		Quota:     quota.New(s.db, s.table, q),
		DLQ:       s.sqs,
		DLQURL:    s.dlqURL,
		Picklist:  &apply.Picklist{},
		Metrics:   emf.New(io.Discard, "apply"),
		Log:       slog.New(slog.NewJSONHandler(logs, nil)),
		Margin:    time.Second,
	}
}

// inproc invokes an apply.Service the way Lambda would: the SQS event as
// JSON in, a deadline, the partial batch response as JSON out.
type inproc struct {
	svc     *apply.Service
	timeout time.Duration // the simulated function timeout
	// acked, if set, is told how many messages each invoke acknowledged.
	acked func(int)
}

func (f *inproc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var e events.SQSEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	resp, err := f.svc.Handle(ctx, e)
	if err != nil {
		return nil, err
	}
	if f.acked != nil {
		f.acked(len(e.Records) - len(resp.BatchItemFailures))
	}
	return json.Marshal(resp)
}

// front stands before the simulator. It accepts one access key (rotate
// it with setKey) and forwards requests carrying it with the simulator's
// own key, others with a revoked one (the simulator answers 401). It also
// injects faults itself, so that it knows which calls took effect: a
// seeded random mix at a rate, and one-shot faults for the first request
// whose body contains a marker. A fault without AfterApply answers without
// reaching the simulator; one with AfterApply lets the simulator apply the
// call and then answers with the fault instead (the outcome is unknown to
// the caller). Every call that took effect is logged (writes).
type front struct {
	sim     *gt.Server
	closing chan struct{}

	mu       sync.Mutex
	key      string
	rate     float64
	mix      []faultShare
	rng      *rand.Rand
	once     []bodyFault
	injected map[string]int
	calls    int // authorised requests
	writes   []write
	seq      int
	// held, when set, is closed by the next goal create or update that
	// takes effect, whose answer then waits for its client to go away
	// (holdWrite).
	held chan struct{}
}

// holdWrite arms the front: the next goal create or update takes effect
// on the simulator, closes the returned channel and then answers nothing
// until its client goes away (a killed function) or the front closes.
// disarm drops the hold if no write came.
func (f *front) holdWrite() (held <-chan struct{}, disarm func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(chan struct{})
	f.held = c
	return c, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.held == c {
			f.held = nil
		}
	}
}

// write is a call that took effect on the simulator.
type write struct {
	At   time.Time // when the simulator answered
	Body []byte
	ID   string // the simulator's request id
}

// faultShare is one kind of fault in the random mix, with its weight.
type faultShare struct {
	name   string
	weight float64
	fault  gt.Fault
}

// bodyFault fails the first request whose body contains marker.
type bodyFault struct {
	marker string
	fault  gt.Fault
}

func newFront(sim *gt.Server) *front {
	return &front{sim: sim, key: sim.AccessKey, injected: map[string]int{}, closing: make(chan struct{})}
}

func (f *front) setKey(k string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.key = k
}

// setFaults makes a share rate of authorised requests fail with a fault
// drawn from mix by weight, from a generator seeded with seed.
func (f *front) setFaults(rate float64, seed uint64, mix ...faultShare) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate, f.mix, f.rng = rate, mix, rand.New(rand.NewPCG(seed, seed^0x5eed))
}

func (f *front) failOnce(marker string, fault gt.Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.once = append(f.once, bodyFault{marker, fault})
}

// counts returns the faults injected by kind, and the authorised calls.
func (f *front) counts() (map[string]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.injected))
	for k, v := range f.injected {
		out[k] = v
	}
	return out, f.calls
}

func (f *front) effective() []write {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	ok := r.Header.Get("accesskey") == f.key
	var fault *gt.Fault
	if ok {
		f.calls++
		name := ""
		for i, o := range f.once {
			if bytes.Contains(body, []byte(o.marker)) {
				fault, name = &o.fault, "once:"+o.marker
				f.once = slices.Delete(f.once, i, i+1)
				break
			}
		}
		if fault == nil && f.rng != nil && f.rng.Float64() < f.rate {
			x := f.rng.Float64() * totalWeight(f.mix)
			for _, m := range f.mix {
				if x < m.weight {
					fault, name = &m.fault, m.name
					break
				}
				x -= m.weight
			}
		}
		if fault != nil {
			f.injected[name]++
		}
	} else {
		f.injected["unauthorized"]++
	}
	f.mu.Unlock()
	if ok {
		r.Header.Set("accesskey", f.sim.AccessKey)
	} else {
		r.Header.Set("accesskey", "revoked-key")
	}

	if fault == nil || fault.AfterApply {
		rec := httptest.NewRecorder()
		f.sim.Handler().ServeHTTP(rec, r)
		var held chan struct{}
		if rec.Code == http.StatusOK {
			f.mu.Lock()
			f.writes = append(f.writes, write{At: time.Now(), Body: body, ID: rec.Header().Get("X-Request-Id")})
			if f.held != nil && fault == nil && (strings.HasSuffix(r.URL.Path, "/create") || strings.HasSuffix(r.URL.Path, "/update")) {
				held, f.held = f.held, nil
			}
			f.mu.Unlock()
		}
		if held != nil {
			close(held)
			select {
			case <-r.Context().Done():
			case <-f.closing:
			}
			return
		}
		if fault == nil {
			for k, vs := range rec.Header() {
				w.Header()[k] = vs
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
	}
	f.mu.Lock()
	f.seq++
	reqID := fmt.Sprintf("front-fault-%06d", f.seq)
	f.mu.Unlock()
	switch {
	case fault.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case fault.Hang:
		select {
		case <-r.Context().Done():
		case <-f.closing:
		}
		return
	}
	status := fault.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	for k, vs := range fault.Header {
		w.Header()[k] = vs
	}
	msg := "injected fault: " + http.StatusText(status) + " " + reqID
	env, _ := json.Marshal(map[string]any{"result": false, "errorCode": "GS_FAULT", "errorDesc": http.StatusText(status),
		"requestId": reqID, "data": nil, "message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(env)
}

func totalWeight(mix []faultShare) float64 {
	t := 0.0
	for _, m := range mix {
		t += m.weight
	}
	return t
}

// The fault mix of the fault tests: 5xx, 429 and time-outs, some of them
// after the call took effect (the answer is lost, the outcome unknown).
var faultMix = []faultShare{
	{"503", 6, gt.FaultUnavailable},
	{"500", 3, gt.FaultInternal},
	{"502", 2, gt.FaultBadGateway},
	{"429", 7, gt.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": []string{"1"}}}},
	{"timeout", 5, gt.FaultHang},
	{"drop", 2, gt.FaultDrop},
	{"503-after-apply", 3, gt.Fault{Status: http.StatusServiceUnavailable, AfterApply: true}},
	{"timeout-after-apply", 2, gt.Fault{Hang: true, AfterApply: true}},
}

// scenario is the events of a fault run: records × versions of goal
// upserts, each version a full goal named "<record> v<version>" so that
// any of them can create the goal and the goal tells which one it holds.
type scenario struct {
	source  string
	records []string
	byID    map[string]planned
	// bad are the event ids designed to be refused (unknown status).
	bad map[string]bool
}

type planned struct {
	ev      goalevents.Event
	record  string
	version int
}

func newScenario(source string, records, versions int, bad ...[2]int) *scenario {
	sc := &scenario{source: source, byID: map[string]planned{}, bad: map[string]bool{}}
	for r := range records {
		rec := fmt.Sprintf("r%02d", r)
		sc.records = append(sc.records, rec)
		for v := 1; v <= versions; v++ {
			ev := sc.event(rec, v)
			sc.byID[ev.ID] = planned{ev: ev, record: rec, version: v}
		}
	}
	for _, b := range bad {
		p := sc.byID[sc.id(sc.records[b[0]], b[1])]
		p.ev.Data.Fields["StatusName"] = "Lost Forever"
		sc.bad[p.ev.ID] = true
		sc.byID[p.ev.ID] = p
	}
	return sc
}

func (sc *scenario) id(rec string, v int) string { return fmt.Sprintf("%s:%s:v%d", sc.source, rec, v) }

func (sc *scenario) event(rec string, v int) goalevents.Event {
	f := fullGoal(fmt.Sprintf("%s v%d", rec, v))
	f["cust_string_value__gc"] = fmt.Sprintf("v%d", v)
	return goalevents.Event{SpecVersion: "1.0", ID: sc.id(rec, v), Source: sc.source, Type: goalevents.GoalUpserted,
		Subject: rec, Time: t0.Add(time.Duration(v) * time.Minute), DataContentType: "application/json",
		Data: goalevents.Data{ExternalID: rec, Fields: f}}
}

// versions returns the events of every record with the given versions, in
// record order.
func (sc *scenario) versions(vs ...int) []goalevents.Event {
	var out []goalevents.Event
	for _, rec := range sc.records {
		for _, v := range vs {
			out = append(out, sc.byID[sc.id(rec, v)].ev)
		}
	}
	return out
}

func (sc *scenario) key(rec string) string { return sc.source + ":" + rec }

var sentName = regexp.MustCompile(`"Name":"(r\d+) v(\d+)"`)

// verify checks the end state of a run:
//   - every DLQ message carries its reason (error_code) and is one of the
//     events designed to be refused, and every such event is there;
//   - every other event's record is COMPLETE in the state table (applied,
//     merged, or acknowledged as stale or duplicate);
//   - every record has exactly one goal, and it holds the newest version
//     of the record that is not in the DLQ;
//   - the versions written to each record's goal (the bodies of the calls
//     that took effect, in order) never go back: no older value ever
//     overwrote a newer one, not even for a moment.
func (sc *scenario) verify(t *testing.T, s *stack, dlq []sqstypes.Message) {
	t.Helper()
	inDLQ := map[string]sqstypes.Message{}
	for _, m := range dlq {
		var ev goalevents.Event
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
			t.Errorf("DLQ message %s is not an event: %v", aws.ToString(m.MessageId), err)
			continue
		}
		if attr(m, apply.AttrErrorCode) == "" {
			t.Errorf("event %s is in the DLQ without a reason (redriven after maxReceiveCount?): attributes %v, system %v",
				ev.ID, m.MessageAttributes, m.Attributes)
		}
		if _, dup := inDLQ[ev.ID]; dup {
			t.Errorf("event %s is in the DLQ twice", ev.ID)
		}
		inDLQ[ev.ID] = m
	}
	for id := range sc.bad {
		m, ok := inDLQ[id]
		if !ok {
			t.Errorf("refused event %s is not in the DLQ (status %q)", id, s.eventStatus(sc.byID[id].ev))
			continue
		}
		if c := attr(m, apply.AttrErrorCode); c != "INVALID_STATUS_NAME" {
			t.Errorf("refused event %s: error_code %q", id, c)
		}
		if attr(m, apply.AttrErrorMessage) == "" || attr(m, apply.AttrAttempts) == "" {
			t.Errorf("refused event %s: attributes %v", id, m.MessageAttributes)
		}
	}
	newest := map[string]int{}
	for id, p := range sc.byID {
		if _, ok := inDLQ[id]; ok {
			if !sc.bad[id] {
				t.Errorf("event %s is in the DLQ (%s: %s) but was never meant to fail", id,
					attr(inDLQ[id], apply.AttrErrorCode), attr(inDLQ[id], apply.AttrErrorMessage))
			}
			continue
		}
		if st := s.eventStatus(p.ev); st != state.StatusComplete {
			t.Errorf("event %s: neither in the DLQ nor complete (status %q)", id, st)
		}
		newest[p.record] = max(newest[p.record], p.version)
	}

	count := map[string]int{}
	for _, g := range s.sim.Goals() {
		if k, _ := g.Fields[apply.DefaultExternalIDField].(string); strings.HasPrefix(k, sc.source+":") {
			count[k]++
		}
	}
	for _, rec := range sc.records {
		key := sc.key(rec)
		if count[key] != 1 {
			t.Errorf("record %s has %d goals in Gainsight", key, count[key])
		}
		g, ok := s.sim.GoalByExternalID(key)
		if want := fmt.Sprintf("%s v%d", rec, newest[rec]); !ok || g.Name != want {
			t.Errorf("record %s: goal %q, want %q (the newest event)", key, g.Name, want)
		}
	}

	writes := s.front.effective()
	slices.SortStableFunc(writes, func(a, b write) int { return a.At.Compare(b.At) })
	last := map[string]int{}
	for _, w := range writes {
		for _, m := range sentName.FindAllSubmatch(w.Body, -1) {
			rec, v := string(m[1]), atoi(string(m[2]))
			if os.Getenv("GOALRELAY_DUMP") != "" {
				t.Logf("%s %s v%d request %s", w.At.Format(time.StampMicro), rec, v, w.ID)
			}
			if v < last[rec] {
				t.Errorf("record %s: v%d written at %s after v%d had taken effect (request %s)", rec, v, w.At.Format(time.StampMicro), last[rec], w.ID)
			}
			last[rec] = max(last[rec], v)
		}
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// syncBuffer collects output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// binaries builds the apply bootstrap (as for Lambda, host architecture)
// and aws-lambda-rie once per test binary, into binDir.
var binaries = sync.OnceValues(func() ([2]string, error) {
	dir, err := os.MkdirTemp("", "goalrelay-apply-rie-")
	if err != nil {
		return [2]string{}, err
	}
	binDir = dir
	emu, boot, err := rie.BuildFunction(context.Background(), "./functions/apply", dir)
	return [2]string{emu, boot}, err
})

// binDir holds the binaries; TestMain removes it.
var binDir string

// bootstrapEnv is the apply function's environment against the stack.
func (s *stack) bootstrapEnv(extra ...string) []string {
	env := append(moto.Env(),
		"GAINSIGHT_BASE_URL="+s.URL,
		"GAINSIGHT_ACCESS_KEY_SECRET_ID="+s.secretID,
		"DLQ_URL="+s.dlqURL,
		"STATE_TABLE="+s.table,
		"GAINSIGHT_CALLS_PER_MINUTE=1000",
		"GAINSIGHT_CALLS_PER_DAY=100000",
		"GAINSIGHT_QUOTA_WINDOW=1s",
		"GAINSIGHT_TIMEOUT=2s",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
	)
	return append(env, extra...)
}

// startBootstrap runs the apply bootstrap under aws-lambda-rie with env;
// timeout is the function timeout in seconds.
func startBootstrap(t testing.TB, env []string, timeout int, out io.Writer) *rie.Function {
	t.Helper()
	fn, err := launchBootstrap(env, timeout, out)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// launchBootstrap is startBootstrap for goroutines other than the test's.
func launchBootstrap(env []string, timeout int, out io.Writer) (*rie.Function, error) {
	bins, err := binaries()
	if err != nil {
		return nil, err
	}
	return rie.Start(context.Background(), rie.Config{Emulator: bins[0], Bootstrap: bins[1], Name: "goalrelay-apply",
		Timeout: timeout, Env: env, Output: out, MaxLife: 5 * time.Minute})
}
