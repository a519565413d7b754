package apply_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

var newGoalEvents = flag.Int("newgoals.events", 300, "BenchmarkNewGoals: events per drain, one per new record")

// BenchmarkNewGoals drains a backlog of goal.upserted events of records
// Gainsight has never seen (one event per record, -newgoals.events of
// them) through one consumer, in batches of ten in queue order, against
// the simulator (no quota limit) with an in-memory state table. Every
// round uses new records. Reported (medians over the rounds):
// calls/event, the Gainsight calls per event (each batch of new goals
// costs one Fetch and a create each: 1.1; it was 2, a Fetch and a create
// each); fetches/event and creates/event.
func BenchmarkNewGoals(b *testing.B) {
	n := *newGoalEvents
	sim := gt.NewServer(b, func(o *gt.Options) { o.CallsPerMinute, o.CallsPerDay = -1, -1 })
	client, err := gainsight.New(gainsight.Options{BaseURL: sim.URL, AccessKey: gainsight.StaticAccessKey(sim.AccessKey),
		HTTPClient: sim.Client()})
	if err != nil {
		b.Fatal(err)
	}
	svc := &apply.Service{Gainsight: client, Store: newMemStore(), Quota: freeQuota{}, DLQ: nopDLQ{}, DLQURL: "dlq",
		Picklist: &apply.Picklist{}, Metrics: emf.New(io.Discard, "apply"),
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Margin: time.Second}
	ctx := context.Background()
	// Warm up the picklist cache (two calls) and the connections.
	warm := goalEvent("warm", "warm", 0, fullGoal("warm-up"))
	warm.Source = "hubspot/portal/newgoals"
	if resp, err := svc.Handle(ctx, sqsBatch(warm)); err != nil || len(resp.BatchItemFailures) > 0 {
		b.Fatalf("warm-up: %v %+v", err, resp)
	}

	var perEvent, fetches, creates []float64
	round := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		round++
		evs := make([]goalevents.Event, 0, n)
		for i := range n {
			deal := fmt.Sprintf("r%d-%04d", round, i)
			ev := goalEvent("new-"+deal, deal, 1, fullGoal("new "+deal))
			ev.Source = "hubspot/portal/newgoals"
			evs = append(evs, ev)
		}
		q := &backlog{msgs: sqsBatch(evs...).Records}
		before := sim.Stats()
		b.StartTimer()
		acked, handles := 0, 0
		for acked < n {
			msgs := q.take()
			if len(msgs) == 0 {
				b.Fatalf("round %d: backlog empty with %d of %d acknowledged", round, acked, n)
			}
			if handles++; handles > 10*n {
				b.Fatalf("round %d: %d of %d acknowledged after %d batches", round, acked, n, handles)
			}
			resp, err := svc.Handle(ctx, events.SQSEvent{Records: msgs})
			if err != nil {
				b.Fatal(err)
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
			acked += len(msgs) - len(again)
		}
		b.StopTimer()
		after := sim.Stats()
		perEvent = append(perEvent, float64(after.Calls-before.Calls)/float64(n))
		fetches = append(fetches, float64(after.ByEndpoint[gt.EndpointGoalFetch]-before.ByEndpoint[gt.EndpointGoalFetch])/float64(n))
		creates = append(creates, float64(after.ByEndpoint[gt.EndpointGoalCreate]-before.ByEndpoint[gt.EndpointGoalCreate])/float64(n))
		b.StartTimer()
	}
	b.ReportMetric(median(perEvent), "calls/event")
	b.ReportMetric(median(fetches), "fetches/event")
	b.ReportMetric(median(creates), "creates/event")
}
