package apply_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

var (
	drainEvents = flag.Int("drain.events", 600, "BenchmarkDrain: events per drain (one per known goal)")
	drainLimit  = flag.Int("drain.limit", 20, "BenchmarkDrain: calls per window, simulator and limiter alike")
	drainWindow = flag.Duration("drain.window", time.Second, "BenchmarkDrain: the quota window (Gainsight's minute, scaled down)")
	drainState  = flag.String("drain.state", "memory", "BenchmarkDrain: where the consumers keep the state table: memory, or moto (like the quota)")
)

// BenchmarkDrain drains a backlog of goal.upserted events for known goals
// (one update call each) with 1, 2 and 4 concurrent in-process consumers
// (apply.Service, each taking batches of ten from a shared in-memory FIFO
// backlog) against the simulator at a scaled-down quota: -drain.limit
// calls per -drain.window (default 20 per second) in both the simulator
// and the limiter (no headroom: the hardest case for zero 429s). The
// limiter is the real one on moto_server, its table shared by all
// consumers.
//
// The backlog is not an SQS queue on moto, and the state table is in
// memory unless -drain.state=moto: moto_server (Python, one request at a
// time behind awstest's proxy) cannot keep up with 20 events a second.
// A receive from a FIFO queue holding 600 messages takes 0.3–0.5 s there,
// and the state table's four writes per event 30–100 ms together, all
// serialised; that would measure moto, not the limiter.
//
// Reported (medians over the iterations): x-of-min, the drain time (from
// the window boundary where it starts to the last acknowledgement) over
// the theoretical minimum, calls ÷ allowed rate; 429s, the simulator's
// quota refusals; calls/event; s/drain. The calls of each window are made
// at its start, so the last window takes well under a window: a perfect
// drain of 600 calls at 20 per second ends after about 29.0 of 30 s, 0.97.
// quota-use is the calls over the calls the windows the drain spanned
// allowed: 1 when every window was used in full.
func BenchmarkDrain(b *testing.B) {
	for _, consumers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("consumers=%d", consumers), func(b *testing.B) { benchDrain(b, drainCase{consumers: consumers}) })
	}
}

// backlog is an in-memory FIFO of messages with distinct groups: take
// hands out up to ten, and failed ones go back to the end.
type backlog struct {
	mu   sync.Mutex
	msgs []events.SQSMessage
}

func (q *backlog) take() []events.SQSMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := min(10, len(q.msgs))
	out := q.msgs[:k:k]
	q.msgs = q.msgs[k:]
	return out
}

func (q *backlog) putBack(m []events.SQSMessage) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, m...)
}

// drainCase is one run of benchDrain: the consumers, and changes to the
// simulator's and the limiter's options; observe wires each consumer's
// client to its limiter (gainsight.Options.OnResponse), as the apply
// function does.
type drainCase struct {
	consumers int
	sim       func(*gt.Options)
	limiter   func(*quota.Options)
	observe   bool
}

func benchDrain(b *testing.B, dc drainCase) {
	consumers := dc.consumers
	n, limit, window := *drainEvents, *drainLimit, *drainWindow
	s := newStack(b, stackConfig{Visibility: 5, MaxReceive: 10,
		Sim: func(o *gt.Options) {
			o.CallsPerMinute, o.CallsPerDay = limit, 1000000
			o.MinuteWindow, o.DayWindow = window, 24*time.Hour
			if dc.sim != nil {
				dc.sim(o)
			}
		}})
	ctx := context.Background()

	// Seed: n goals in the simulator and their Gsids in the state, plus
	// one warm-up goal per consumer; the simulator's quota is lifted
	// meanwhile.
	s.sim.SetQuota(-1, -1)
	client, err := gainsight.New(gainsight.Options{BaseURL: s.sim.URL, AccessKey: gainsight.StaticAccessKey(s.sim.AccessKey),
		HTTPClient: s.sim.Client()})
	if err != nil {
		b.Fatal(err)
	}
	var store apply.Store = newMemStore()
	if *drainState == "moto" {
		store = state.New(s.db, s.table)
	}
	sc := &scenario{source: "hubspot/portal/drain"}
	for i := range n + consumers {
		rec := fmt.Sprintf("d%04d", i)
		sc.records = append(sc.records, rec)
		fields := fullGoal(rec + " seed")
		fields[apply.DefaultExternalIDField] = sc.key(rec)
		resp, err := client.CreateGoal(ctx, &gainsight.CreateGoalRequest{Record: gainsight.GoalRecord{Fields: fields},
			Lookups: gainsight.Lookups{"CompanyId": gainsight.NameLookup("company", "CompanyName")}})
		if err != nil {
			b.Fatalf("seed %s: %v", rec, err)
		}
		if err := store.SetGsid(ctx, sc.key(rec), resp.Goal.Gsid); err != nil {
			b.Fatal(err)
		}
	}

	limiter := func(o *quota.Options) {
		o.PerMinute, o.PerDay, o.Window = limit, 1000000, window
		if dc.limiter != nil {
			dc.limiter(o)
		}
	}
	var svcs []*apply.Service
	for i := range consumers {
		svc := s.service(10*time.Second, limiter, nil)
		svc.Store = store
		if dc.observe {
			gc, err := gainsight.New(gainsight.Options{BaseURL: s.URL, AccessKey: gainsight.StaticAccessKey(s.sim.AccessKey),
				HTTPClient: &http.Client{Timeout: 10 * time.Second}, OnResponse: svc.ObserveResponse})
			if err != nil {
				b.Fatal(err)
			}
			svc.Gainsight = gc
		}
		// Warm up the picklist cache (two calls) and the connections.
		warm := goalEvent(fmt.Sprintf("warm-%d", i), sc.records[n+i], 0, map[string]any{"StatusName": "On Track"})
		warm.Source = sc.source
		if resp, err := svc.Handle(ctx, sqsBatch(warm)); err != nil || len(resp.BatchItemFailures) > 0 {
			b.Fatalf("warm-up: %v %+v", err, resp)
		}
		svcs = append(svcs, svc)
	}
	s.sim.SetQuota(limit, 1000000)

	var ratios, n429s, perEvent, secs, use, minUse, guards, commits, requests, offsets []float64
	round := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		round++
		evs := make([]goalevents.Event, 0, n)
		for i := range n {
			rec := sc.records[i]
			ev := goalEvent(fmt.Sprintf("drain-%d-%s", round, rec), rec, round, map[string]any{"Name": fmt.Sprintf("%s round %d", rec, round)})
			ev.Source = sc.source
			evs = append(evs, ev)
		}
		q := &backlog{msgs: sqsBatch(evs...).Records}
		var acked atomic.Int64
		var lastAck atomic.Int64 // unix nanoseconds
		before := s.sim.Stats()
		s.sim.ResetRequests()
		// Start on a window boundary: the minimum counts whole windows.
		now := time.Now()
		start := now.Truncate(window).Add(window)
		time.Sleep(start.Sub(now))
		b.StartTimer()

		minimum := time.Duration(float64(n) / float64(limit) * float64(window))
		runCtx, stop := context.WithTimeout(ctx, 3*minimum+30*time.Second)
		var wg sync.WaitGroup
		for _, svc := range svcs {
			wg.Go(func() {
				for runCtx.Err() == nil && acked.Load() < int64(n) {
					msgs := q.take()
					if len(msgs) == 0 {
						time.Sleep(5 * time.Millisecond)
						continue
					}
					hctx, cancel := context.WithTimeout(runCtx, 60*time.Second)
					resp, err := svc.Handle(hctx, events.SQSEvent{Records: msgs})
					cancel()
					if err != nil {
						q.putBack(msgs)
						continue
					}
					failed := map[string]bool{}
					for _, f := range resp.BatchItemFailures {
						failed[f.ItemIdentifier] = true
					}
					var again []events.SQSMessage
					for _, m := range msgs {
						if failed[m.MessageId] {
							again = append(again, m)
						}
					}
					q.putBack(again)
					if k := len(msgs) - len(again); k > 0 {
						acked.Add(int64(k))
						lastAck.Store(time.Now().UnixNano())
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		stop()
		if got := acked.Load(); got < int64(n) {
			b.Fatalf("round %d: %d of %d events acknowledged by the deadline", round, got, n)
		}
		after := s.sim.Stats()
		elapsed := time.Unix(0, lastAck.Load()).Sub(start)
		calls := after.Calls - before.Calls
		ideal := time.Duration(float64(calls) / float64(limit) * float64(window))
		ratios = append(ratios, elapsed.Seconds()/ideal.Seconds())
		n429s = append(n429s, float64(after.RateLimited-before.RateLimited))
		perEvent = append(perEvent, float64(calls)/float64(n))
		secs = append(secs, elapsed.Seconds())
		windows := math.Ceil(elapsed.Seconds() / window.Seconds())
		use = append(use, float64(calls)/(windows*float64(limit)))
		minUse = append(minUse, leastWindowUse(s.sim.Requests(), window, limit))
		if l, ok := svcs[0].Quota.(*quota.Limiter); ok {
			e := l.Estimate()
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			guards, commits, requests, offsets = append(guards, ms(e.Guard)), append(commits, ms(e.Commit)),
				append(requests, ms(e.Request)), append(offsets, ms(e.Offset))
		}
		if os.Getenv("GOALRELAY_DUMP") != "" {
			dumpWindows(b, s, window, start)
		}
		b.StartTimer()
	}
	b.ReportMetric(median(ratios), "x-of-min")
	b.ReportMetric(median(n429s), "429s")
	b.ReportMetric(median(perEvent), "calls/event")
	b.ReportMetric(median(secs), "s/drain")
	b.ReportMetric(median(use), "quota-use")
	if dc.sim != nil || dc.limiter != nil || dc.observe {
		b.ReportMetric(median(minUse), "min-window-use")
		b.ReportMetric(median(guards), "guard-ms")
		b.ReportMetric(median(commits), "p99-commit-ms")
		b.ReportMetric(median(requests), "p99-request-ms")
		b.ReportMetric(median(offsets), "offset-ms")
	}
}

// leastWindowUse is the smallest share of its limit that a full window of
// the simulator's (its own clock) admitted: every window after the first
// and before the last in which a call arrived (those two the drain spans
// in part).
func leastWindowUse(reqs []gt.RequestLog, window time.Duration, limit int) float64 {
	admitted := map[time.Time]int{}
	var first, last time.Time
	for _, r := range reqs {
		if r.Endpoint == "" {
			continue
		}
		w := r.Time.Truncate(window)
		if first.IsZero() || w.Before(first) {
			first = w
		}
		if w.After(last) {
			last = w
		}
		if r.Status != http.StatusTooManyRequests {
			admitted[w]++
		}
	}
	least := 1.0
	for w := first.Add(window); w.Before(last); w = w.Add(window) {
		least = min(least, float64(admitted[w])/float64(limit))
	}
	return least
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// dumpWindows logs, per window, the calls the simulator admitted and
// refused (by arrival time) and the limiter's counter for the window.
func dumpWindows(b *testing.B, s *stack, window time.Duration, since time.Time) {
	type w struct {
		ok, refused int
		first, last time.Duration
	}
	wins := map[time.Time]*w{}
	for _, r := range s.sim.Requests() {
		if r.Time.Before(since) {
			continue
		}
		k := r.Time.Truncate(window)
		x := wins[k]
		if x == nil {
			x = &w{first: time.Hour}
			wins[k] = x
		}
		if r.Status == http.StatusTooManyRequests {
			x.refused++
			b.Logf("429 at %s (+%s in its window)", r.Time.Format(time.StampMicro), r.Time.Sub(k))
		} else {
			x.ok++
		}
		x.first, x.last = min(x.first, r.Time.Sub(k)), max(x.last, r.Time.Sub(k))
	}
	keys := make([]time.Time, 0, len(wins))
	for k := range wins {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Before(keys[j]) })
	l := quota.New(s.db, s.table, func(o *quota.Options) { o.Window = window })
	for _, k := range keys {
		out, _ := s.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
			Key: map[string]ddbtypes.AttributeValue{state.KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: l.MinuteKey(k)}}})
		n := ""
		if v, ok := out.Item["n"].(*ddbtypes.AttributeValueMemberN); ok {
			n = v.Value
		}
		x := wins[k]
		b.Logf("window %s: %d admitted, %d refused, first +%s last +%s; limiter counted %s", k.Format(time.StampMilli), x.ok, x.refused, x.first, x.last, n)
	}
}

// sqsBatch wraps events as a FIFO SQS batch, in order.
func sqsBatch(evs ...goalevents.Event) events.SQSEvent {
	var e events.SQSEvent
	for i, ev := range evs {
		body, _ := json.Marshal(ev)
		e.Records = append(e.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: string(body), EventSource: "aws:sqs",
			Attributes: map[string]string{"MessageGroupId": ev.RecordKey(), "MessageDeduplicationId": ev.ID, "ApproximateReceiveCount": "1"}})
	}
	return e
}
