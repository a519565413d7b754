package apply_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
)

// memStore is an in-memory apply.Store. Begin always grants a fresh claim
// (it keeps no event records), so one batch can be handled again and
// again and every time takes the full path: claim, goal read, call,
// version write, completion.
type memStore struct {
	mu    sync.Mutex
	goals map[string]state.Goal
	locks map[string]string // record key → owner
}

func newMemStore() *memStore {
	return &memStore{goals: map[string]state.Goal{}, locks: map[string]string{}}
}

func (m *memStore) Begin(_ context.Context, id string, lease time.Duration) (state.Claim, error) {
	return state.Claim{EventID: id, Attempt: 1, LeaseUntil: time.Now().Add(lease)}, nil
}
func (m *memStore) Complete(context.Context, state.Claim, time.Duration, state.Story) error {
	return nil
}
func (m *memStore) Release(context.Context, state.Claim, state.Story) error { return nil }
func (m *memStore) NoteEvent(context.Context, string, state.Story) error    { return nil }
func (m *memStore) Extend(_ context.Context, c state.Claim, lease time.Duration) (state.Claim, error) {
	c.LeaseUntil = time.Now().Add(lease)
	return c, nil
}
func (m *memStore) ExtendLock(context.Context, string, string, time.Duration) error { return nil }

func (m *memStore) LockGoal(_ context.Context, key, owner string, _ time.Duration) (state.Goal, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o, held := m.locks[key]; held && o != owner {
		return state.Goal{}, false, &state.LockedError{RecordKey: key, Owner: o}
	}
	m.locks[key] = owner
	g, ok := m.goals[key]
	return g, ok, nil
}

// GetGoal makes memStore an apply.GoalReader, as *state.Store is.
func (m *memStore) GetGoal(_ context.Context, key string) (state.Goal, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.goals[key]
	return g, ok, nil
}

func (m *memStore) UnlockGoal(_ context.Context, key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[key] == owner {
		delete(m.locks, key)
	}
	return nil
}

func (m *memStore) PutGoalApplied(_ context.Context, key, gsid string, v time.Time, id string, kept state.Kept) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.goals[key]
	g.Pending = nil
	if gsid != "" {
		g.Gsid = gsid
	}
	if kept.Name != "" {
		g.Kept.Name = kept.Name
	}
	if kept.StatusName != "" || kept.StatusID != "" {
		g.Kept.StatusName, g.Kept.StatusID = kept.StatusName, kept.StatusID
	}
	g.RecordKey, g.Version, g.LastEventID, g.CreatePending = key, v, id, false
	m.goals[key] = g
	return nil
}

func (m *memStore) SetGsid(_ context.Context, key, gsid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.goals[key]
	g.RecordKey, g.Gsid, g.CreatePending = key, gsid, false
	m.goals[key] = g
	return nil
}

func (m *memStore) ForgetGsid(_ context.Context, key, gsid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g := m.goals[key]; g.Gsid == gsid {
		g.Gsid = ""
		m.goals[key] = g
	}
	return nil
}

func (m *memStore) MarkCreating(_ context.Context, key, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.goals[key]
	g.RecordKey, g.CreatePending, g.CreateEventID = key, true, id
	m.goals[key] = g
	return nil
}

func (m *memStore) PutPendingWrite(_ context.Context, key, _ string, p state.PendingWrite) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.goals[key]
	g.RecordKey, g.Pending = key, &p
	m.goals[key] = g
	return nil
}

func (m *memStore) ClearPendingWrite(_ context.Context, key, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.goals[key]
	g.Pending = nil
	m.goals[key] = g
	return nil
}

func (m *memStore) ClearCreating(_ context.Context, key, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.goals[key]
	g.CreatePending, g.CreateEventID = false, ""
	m.goals[key] = g
	return nil
}

// freeQuota never makes anyone wait.
type freeQuota struct{}

func (freeQuota) Take(context.Context) error                    { return nil }
func (freeQuota) Penalize(context.Context, time.Duration) error { return nil }

// nopDLQ accepts every message.
type nopDLQ struct{}

func (nopDLQ) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return &sqs.SendMessageOutput{}, nil
}

// fakeGainsight answers goal and picklist calls at once; the other
// methods are not used by goal events (nil embedded interface).
type fakeGainsight struct {
	apply.Gainsight
	n int
}

func (f *fakeGainsight) UpdateGoal(_ context.Context, r *gainsight.UpdateGoalRequest) (*gainsight.UpdateGoalResponse, error) {
	return &gainsight.UpdateGoalResponse{RequestID: "req", Record: gainsight.Goal{Gsid: r.Record.Gsid}}, nil
}

func (f *fakeGainsight) CreateGoal(context.Context, *gainsight.CreateGoalRequest) (*gainsight.CreateGoalResponse, error) {
	f.n++
	return &gainsight.CreateGoalResponse{RequestID: "req", Goal: gainsight.Goal{Gsid: fmt.Sprintf("1G%034d", f.n)}}, nil
}

func (f *fakeGainsight) FetchGoals(context.Context, *gainsight.FetchGoalsRequest) (*gainsight.FetchGoalsResponse, error) {
	return &gainsight.FetchGoalsResponse{RequestID: "req"}, nil
}

func (f *fakeGainsight) Picklist(_ context.Context, r *gainsight.PicklistRequest) (*gainsight.PicklistResponse, error) {
	if r.PicklistCategory == gainsight.PicklistGoalStatus {
		return &gainsight.PicklistResponse{Picklists: []gainsight.Picklist{{Name: "On Track"}, {Name: "At Risk"}, {Name: "Achieved"}}}, nil
	}
	return &gainsight.PicklistResponse{Picklists: []gainsight.Picklist{{Name: "Adoption"}, {Name: "Default"}}}, nil
}

// benchBatch is ten goal.upserted events of ten known goals, as the SQS
// event the poller builds, with the fields of events/testdata (no
// associations or metrics, which the simulator would validate).
func benchBatch() events.SQSEvent {
	var e events.SQSEvent
	for i := range 10 {
		ev := goalevents.Event{SpecVersion: "1.0", ID: fmt.Sprintf("hubspot:62515:deal:%d:1764237600000", 900+i),
			Source: "hubspot/portal/62515", Type: goalevents.GoalUpserted, Subject: fmt.Sprint(900 + i), Time: t0,
			DataContentType: "application/json", Data: goalevents.Data{ExternalID: fmt.Sprint(900 + i), Fields: map[string]any{
				"Name": "Reach 80% seat adoption", "StatusName": "On Track", "DueDate": "2026-12-31",
				"Description": "Seats in use across all IBM teams", "EntityType": "COMPANY", "CompanyName": "IBM",
				"GoalTypeName": "Adoption", "crm_stage__gc": "won"}}}
		b, _ := json.Marshal(ev)
		e.Records = append(e.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: string(b), EventSource: "aws:sqs",
			ReceiptHandle: "rh", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:goals.fifo", AWSRegion: "us-east-1",
			Attributes: map[string]string{"MessageGroupId": ev.RecordKey(), "MessageDeduplicationId": ev.ID,
				"ApproximateReceiveCount": "1", "SequenceNumber": fmt.Sprint(1000 + i), "SentTimestamp": "1764237600000"}})
	}
	return e
}

// replay is an http.RoundTripper: while recording it serves requests from
// the simulator's handler in memory and keeps the last answer per method
// and path; then it answers every request with the kept answer, without
// a network or the simulator.
type replay struct {
	sim       http.Handler
	recording bool
	answers   map[string]*httptest.ResponseRecorder
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	k := req.Method + " " + req.URL.Path
	if r.recording {
		rec := httptest.NewRecorder()
		r.sim.ServeHTTP(rec, req)
		r.answers[k] = rec
	} else if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	rec, ok := r.answers[k]
	if !ok {
		return nil, fmt.Errorf("replay: no answer recorded for %s", k)
	}
	return &http.Response{StatusCode: rec.Code, Header: rec.Header().Clone(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		ContentLength: int64(rec.Body.Len()), Request: req}, nil
}

// BenchmarkHandle measures the consumer's CPU per event, excluding the
// network: Service.Handle on a batch of ten goal.upserted events of ten
// known goals (one update call each), with an in-memory store, quota and
// DLQ, JSON logs and EMF metrics written to io.Discard.
//
//   - fakes: Gainsight is a fake apply.Gainsight (no JSON on the Gainsight
//     side at all);
//   - client: the real gainsight.Client over a transport that replays the
//     simulator's recorded answers (request encoding and answer decoding
//     included, no network).
func BenchmarkHandle(b *testing.B) {
	newService := func(g apply.Gainsight) *apply.Service {
		return &apply.Service{Gainsight: g, Store: newMemStore(), Quota: freeQuota{}, DLQ: nopDLQ{}, DLQURL: "dlq",
			Picklist: &apply.Picklist{}, Metrics: emf.New(io.Discard, "apply"),
			Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Margin: time.Second}
	}
	run := func(b *testing.B, svc *apply.Service) {
		batch := benchBatch()
		ctx := context.Background()
		// Warm up: the first batch creates the goals (one fetch, ten
		// creates)
		// and loads the picklist; every later one is ten updates.
		for range 2 {
			if resp, err := svc.Handle(ctx, batch); err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatalf("warm-up: %v %+v", err, resp)
			}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			resp, err := svc.Handle(ctx, batch)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatalf("%v %+v", err, resp)
			}
		}
		b.StopTimer()
		runtime.ReadMemStats(&after)
		n := float64(b.N * len(batch.Records))
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/event")
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/event")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/event")
	}

	b.Run("fakes", func(b *testing.B) {
		run(b, newService(&fakeGainsight{}))
	})

	b.Run("client", func(b *testing.B) {
		sim := gt.NewServer(b, func(o *gt.Options) { o.CallsPerMinute, o.CallsPerDay = -1, -1 })
		rt := &replay{sim: sim.Handler(), recording: true, answers: map[string]*httptest.ResponseRecorder{}}
		client, err := gainsight.New(gainsight.Options{BaseURL: sim.URL, AccessKey: gainsight.StaticAccessKey(sim.AccessKey),
			HTTPClient: &http.Client{Transport: rt}})
		if err != nil {
			b.Fatal(err)
		}
		svc := newService(client)
		// Record the simulator's answers (creates, picklist, then
		// updates), then replay them.
		for range 2 {
			if resp, err := svc.Handle(context.Background(), benchBatch()); err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatalf("recording: %v %+v", err, resp)
			}
		}
		rt.recording = false
		run(b, svc)
	})
}
