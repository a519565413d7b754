package apply_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/quota"
)

// autoClock is a clock for the limiter, the simulator and the service
// alike: a timer moves it forward at once, so a wait for the next minute
// window costs no real time.
type autoClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *autoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *autoClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *autoClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// deferLog is a Deferrer that records the deferrals it is asked for
// (visibility changes of more than deferFrom, not the in-flight
// visibility nor a backoff), one map per Handle: message id → visibility
// timeout. Its queue's visibility timeout is 720 s.
type deferLog struct {
	mu  sync.Mutex
	got map[string]time.Duration
}

const deferFrom = 2 * time.Minute

func (d *deferLog) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{"VisibilityTimeout": "720"}}, nil
}

func (d *deferLog) GetQueueUrl(_ context.Context, in *sqs.GetQueueUrlInput, _ ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	return &sqs.GetQueueUrlOutput{QueueUrl: aws.String("http://queue.invalid/" + aws.ToString(in.QueueName))}, nil
}

func (d *deferLog) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.got == nil {
		d.got = map[string]time.Duration{}
	}
	var out sqs.ChangeMessageVisibilityBatchOutput
	for _, en := range in.Entries {
		if v := time.Duration(en.VisibilityTimeout) * time.Second; v > deferFrom {
			d.got[aws.ToString(en.Id)] = v
		}
		out.Successful = append(out.Successful, sqstypes.ChangeMessageVisibilityBatchResultEntry{Id: en.Id})
	}
	return &out, nil
}

// take returns and forgets what was recorded.
func (d *deferLog) take() map[string]time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	got := d.got
	d.got = nil
	return got
}

// received makes b look like the n-th delivery from a queue, with receipt
// handles and the queue's ARN (deferral needs both).
func received(b events.SQSEvent, queue string, n int) {
	for i := range b.Records {
		r := &b.Records[i]
		r.ReceiptHandle = fmt.Sprintf("rh-%s-%d", r.MessageId, n)
		r.EventSourceARN = "arn:aws:sqs:us-east-1:123456789012:" + queue
		r.Attributes["ApproximateReceiveCount"] = strconv.Itoa(n)
	}
}

// dayEnv is an env whose limiter, simulator and service share one clock
// that starts at at, with deferrals recorded.
func dayEnv(t *testing.T, at time.Time, simOpt func(*gt.Options)) (*env, *autoClock, *deferLog) {
	t.Helper()
	clock := &autoClock{now: at}
	e := newEnv(t, func(o *gt.Options) {
		o.Now = clock.Now
		simOpt(o)
	})
	e.svc.Quota = quota.New(e.db, e.table, func(o *quota.Options) { o.Now, o.After = clock.Now, clock.After })
	e.svc.Now = clock.Now
	e.svc.Picklist = nil
	// One group at a time: the tests count the 429s of each window on
	// the simulated clock, call by call.
	e.svc.Lanes = -1
	d := &deferLog{}
	e.svc.Defer = d
	return e, clock, d
}

// TestDaySpentByAnotherIntegrationIsDeferred: another integration spends
// the tenant's day, and Gainsight answers every call with a 429 without
// Retry-After. The consumer marks the day spent after two such 429s in two
// minute windows, defers every message (first until the next hourly probe,
// later until the next UTC day) instead of letting them come back every
// visibility timeout towards the DLQ, probes once an hour, and applies
// them all once the day is back.
func TestDaySpentByAnotherIntegrationIsDeferred(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 10, 0, time.UTC)
	const tenantDay = 20
	e, clock, deferred := dayEnv(t, at, func(o *gt.Options) { o.CallsPerDay, o.RateLimitNoRetryAfter = tenantDay, true })
	ctx := t.Context()

	spendDay(t, e, tenantDay)

	b := e.batch(goalEvent("e1", "901", 0, fullGoal("a")), goalEvent("e2", "902", 0, fullGoal("b")),
		goalEvent("e3", "903", 0, fullGoal("c")))
	ids := []string{b.Records[0].MessageId, b.Records[1].MessageId, b.Records[2].MessageId}
	nextDay := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

	// deliver hands the batch over as the n-th receive and checks that
	// every message failed (none acknowledged, none dead-lettered) and was
	// deferred by about want (±2 minutes).
	deliver := func(n int, want time.Duration) {
		t.Helper()
		received(b, "daily-spent.fifo", n)
		failed := e.handle(ctx, b)
		if len(failed) != len(ids) {
			t.Fatalf("receive %d: failed = %v, want all of %v; logs:\n%s", n, failed, ids, e.logs)
		}
		got := deferred.take()
		for _, id := range ids {
			d, ok := got[id]
			if !ok {
				t.Errorf("receive %d: message %s was not deferred (deferred: %v); it would come back every visibility timeout and reach the DLQ", n, id, got)
				continue
			}
			if d < want-2*time.Minute || d > want+2*time.Minute {
				t.Errorf("receive %d: message %s deferred by %s, want about %s", n, id, d, want)
			}
		}
		if dl := e.dlq(); len(dl) != 0 {
			t.Fatalf("receive %d: %d messages in the DLQ", n, len(dl))
		}
	}

	// First receive: two 429s without Retry-After in two minute windows
	// mark the day; the next probe is an hour later.
	deliver(1, time.Hour)
	if got := e.sim.Stats().RateLimited; got != 2 {
		t.Errorf("429s on the first receive = %d, want 2 (one per minute window)", got)
	}
	// Second receive, at the probe: one call goes through (another 429),
	// the rest wait; all wait for the next probe.
	clock.Set(clock.Now().Add(time.Hour))
	deliver(2, time.Hour)
	if got := e.sim.Stats().RateLimited; got != 3 {
		t.Errorf("429s after the probe = %d, want 3", got)
	}
	// Third receive, half an hour later: no probe is due (no call); a
	// message received twice already waits for the next UTC day (at most
	// 12 hours, SQS's limit).
	clock.Set(clock.Now().Add(30 * time.Minute))
	deliver(3, min(nextDay.Sub(clock.Now()), 12*time.Hour))
	if got := e.sim.Stats().RateLimited; got != 3 {
		t.Errorf("429s between probes = %d, want still 3", got)
	}
	mustContain(t, e.metrics.String(), `"DaySpentByOthers":1`)

	// The next UTC day: everything applies.
	clock.Set(nextDay.Add(5 * time.Second))
	received(b, "daily-spent.fifo", 4)
	if failed := e.handle(ctx, b); len(failed) != 0 {
		t.Fatalf("next day: failed = %v; logs:\n%s", failed, e.logs)
	}
	for _, deal := range []string{"901", "902", "903"} {
		if _, ok := e.sim.GoalByExternalID("hubspot/portal/62515:" + deal); !ok {
			t.Errorf("goal %s not created", deal)
		}
	}
	if dl := e.dlq(); len(dl) != 0 {
		t.Fatalf("%d messages in the DLQ", len(dl))
	}
}

// TestDayBackAtProbe: the tenant's day comes back before the UTC day ends
// (here the simulator's "day" is two hours long, as when the tenant's
// limit is raised at noon): the first probe after that succeeds, clears the
// mark, and the rest applies at once.
func TestDayBackAtProbe(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 10, 0, time.UTC)
	const tenantDay = 20
	e, clock, deferred := dayEnv(t, at, func(o *gt.Options) {
		o.CallsPerDay, o.DayWindow, o.RateLimitNoRetryAfter = tenantDay, 2*time.Hour, true
	})
	ctx := t.Context()
	spendDay(t, e, tenantDay)
	b := e.batch(goalEvent("e1", "901", 0, fullGoal("a")), goalEvent("e2", "902", 0, fullGoal("b")))

	received(b, "daily-back.fifo", 1)
	if failed := e.handle(ctx, b); len(failed) != 2 {
		t.Fatalf("failed = %v, want both", failed)
	}
	if got := deferred.take(); len(got) != 2 {
		t.Fatalf("deferred %v, want both", got)
	}
	// 11:01: the probe meets the same spent day.
	clock.Set(clock.Now().Add(time.Hour))
	received(b, "daily-back.fifo", 2)
	if failed := e.handle(ctx, b); len(failed) != 2 {
		t.Fatalf("at the first probe: failed = %v, want both", failed)
	}
	if got := deferred.take(); len(got) != 2 {
		t.Fatalf("at the first probe: deferred %v, want both", got)
	}
	// 12:01: the tenant's window reset at 12:00; the probe succeeds and
	// everything applies.
	clock.Set(clock.Now().Add(time.Hour))
	received(b, "daily-back.fifo", 3)
	if failed := e.handle(ctx, b); len(failed) != 0 {
		t.Fatalf("after the day came back: failed = %v; logs:\n%s", failed, e.logs)
	}
	if got := deferred.take(); len(got) != 0 {
		t.Errorf("deferred %v after the day came back", got)
	}
	if err := e.svc.Quota.Take(ctx); err != nil {
		t.Errorf("Take after the probe succeeded: %v", err)
	}
	mustContain(t, e.logs.String(), "daily quota back")
}

// spendDay is another integration spending n calls of the tenant's day.
func spendDay(t *testing.T, e *env, n int) {
	t.Helper()
	other, err := gainsight.New(gainsight.Options{BaseURL: e.sim.URL, AccessKey: gainsight.StaticAccessKey(e.sim.AccessKey),
		HTTPClient: e.sim.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := other.Picklist(t.Context(), &gainsight.PicklistRequest{EntityIDs: []string{gainsight.EntityAll}}); err != nil {
			t.Fatalf("other integration's call %d: %v", i, err)
		}
	}
}

// TestBusyMinute429IsNotADayMark: an ordinary 429 in a busy minute, with
// Retry-After, is handled as before: the message is retried (not
// deferred), every consumer waits for the window, and the day is not
// marked.
func TestBusyMinute429IsNotADayMark(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 10, 0, time.UTC)
	e, _, deferred := dayEnv(t, at, func(o *gt.Options) { o.CallsPerMinute = 2 })
	ctx := t.Context()
	// Two new goals cost one Fetch for both and a create each: the second
	// event's create is the tenant's third call in the minute.
	b := e.batch(goalEvent("e1", "901", 0, fullGoal("a")), goalEvent("e2", "902", 0, fullGoal("b")))
	received(b, "daily-busy.fifo", 1)
	failed := e.handle(ctx, b)
	if len(failed) != 1 || failed[0] != b.Records[1].MessageId {
		t.Fatalf("failed = %v, want the second message; logs:\n%s", failed, e.logs)
	}
	if got := deferred.take(); len(got) != 0 {
		t.Errorf("deferred %v after an ordinary 429", got)
	}
	mustContain(t, e.metrics.String(), `"Gainsight429":1`)
	if s := e.metrics.String(); strings.Contains(s, "DaySpentByOthers") {
		t.Errorf("metrics %s", s)
	}
	// The redelivery waits for the window (no real time) and applies.
	received(b, "daily-busy.fifo", 2)
	if failed := e.handle(ctx, b); len(failed) != 0 {
		t.Fatalf("redelivery failed = %v; logs:\n%s", failed, e.logs)
	}
	if _, ok := e.sim.GoalByExternalID("hubspot/portal/62515:902"); !ok {
		t.Error("the second goal was not created")
	}
	if err := e.svc.Quota.Take(ctx); err != nil {
		t.Errorf("Take after an ordinary 429: %v", err)
	}
}
