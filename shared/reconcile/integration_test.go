package reconcile_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/reconcile"
	"github.com/goalrelay/goalrelay/shared/state"
)

// TestKilledSweepResumesOnMoto: the watermark in a real state table and
// the events on a real FIFO queue (moto_server). A run killed after its
// second page leaves 200 events queued and the watermark at the 200th
// deal; the next run lists from there and queues the last 50: 250 events
// on the queue, each once.
func TestKilledSweepResumesOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	m := awstest.NewMoto(t)
	cfg := awstest.Config(t, m)
	ctx := t.Context()
	db := dynamodb.NewFromConfig(cfg)
	if err := state.CreateTable(ctx, db, "state"); err != nil {
		t.Fatal(err)
	}
	sq := sqs.NewFromConfig(cfg)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("events.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	s, r := newHubSpot(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()
	putDeals(s, 1000, 250, base)
	marks := &reconcile.Watermarks{DB: db, Table: "state"}
	kctx, kill := context.WithCancel(ctx)
	defer kill()
	sw := &reconcile.Sweeper{Publisher: queue.NewPublisher(sq, aws.ToString(q.QueueUrl)), Mapper: mapping.Default(), Watermarks: marks,
		OnPage: func(p reconcile.Progress) {
			if p.Pages == 2 {
				kill()
			}
		}}
	run := reconcile.Run{Source: portal, Object: "deal", Reader: r, Since: base.Add(-time.Minute)}
	if p, err := sw.Sweep(kctx, run); !errors.Is(err, context.Canceled) || p.Events != 200 {
		t.Fatalf("killed run: %+v, %v", p, err)
	}
	wm, ok, err := marks.Get(ctx, portal)
	if err != nil || !ok || !wm.At.Equal(base.Add(199*time.Millisecond)) || !slices.Equal(wm.IDs, []string{"1199"}) {
		t.Fatalf("stored watermark %+v, %v, %v", wm, ok, err)
	}
	searches := s.Count("/search", true)
	sw.OnPage = nil
	p, err := sw.Sweep(ctx, run)
	if err != nil || p.Events != 50 || p.Listed != 51 || p.Skipped != 1 || !p.Complete {
		t.Fatalf("resumed run: %+v, %v; want 51 listed from the watermark, 50 queued", p, err)
	}
	if n := s.Count("/search", true) - searches; n != 1 {
		t.Errorf("the resumed run searched %d times, want 1", n)
	}
	if wm, _, _ := marks.Get(ctx, portal); !wm.At.Equal(p.Until) {
		t.Errorf("watermark %s after a complete run, want %s", wm.At, p.Until)
	}

	seen := map[string]int{}
	for range 100 {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []sqsAttrName{"MessageDeduplicationId"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, msg := range out.Messages {
			seen[msg.Attributes["MessageDeduplicationId"]]++
			_, _ = sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: msg.ReceiptHandle})
		}
	}
	if len(seen) != 250 {
		t.Errorf("%d distinct events on the queue, want 250", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s queued %d times", id, n)
		}
	}
}

// TestWatermarksNeverMoveBack: a run that writes a watermark behind the
// stored one (another run got further) gets ErrOvertaken.
func TestWatermarksNeverMoveBack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	m := awstest.NewMoto(t)
	db := dynamodb.NewFromConfig(awstest.Config(t, m))
	if err := state.CreateTable(t.Context(), db, "state"); err != nil {
		t.Fatal(err)
	}
	w := &reconcile.Watermarks{DB: db, Table: "state"}
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)
	if _, ok, err := w.Get(t.Context(), "k"); ok || err != nil {
		t.Fatalf("empty table: %v %v", ok, err)
	}
	for _, c := range []struct {
		at   time.Time
		ids  []string
		want error
	}{
		{t0, []string{"1", "2"}, nil},
		{t0, []string{"1", "2", "3"}, nil},
		{t0.Add(time.Second), nil, nil},
		{t0, []string{"4"}, reconcile.ErrOvertaken},
	} {
		if err := w.Put(t.Context(), "k", reconcile.Watermark{At: c.at, IDs: c.ids}); !errors.Is(err, c.want) && err != c.want {
			t.Errorf("Put(%s, %v) = %v, want %v", c.at, c.ids, err, c.want)
		}
	}
	got, ok, err := w.Get(t.Context(), "k")
	if err != nil || !ok || !got.At.Equal(t0.Add(time.Second)) || len(got.IDs) != 0 || got.Updated.IsZero() {
		t.Errorf("Get = %+v, %v, %v", got, ok, err)
	}
}

type sqsAttrName = sqstypes.MessageSystemAttributeName
