package apply_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
)

// TestBlipHealsInTheSameInvocation: a 503 on the update of a known goal is
// tried again at once; the message is acknowledged on its first delivery
// after two update calls. Without the inline retry it goes back to the
// queue.
func TestBlipHealsInTheSameInvocation(t *testing.T) {
	e, ctx := knownGoal(t)
	e.sim.FailNext(1, gt.FaultUnavailable)
	if failed := e.handle(ctx, e.batch(goalEvent("e2", "901", 1, map[string]any{"Name": "y"}))); len(failed) != 0 {
		t.Fatalf("failed = %v, want none; logs:\n%s", failed, e.logs)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "y" {
		t.Errorf("name = %q, want y", g.Name)
	}
	if n := e.calls(gt.EndpointGoalUpdate); n != 2 {
		t.Errorf("%d update calls, want 2 (the 503 and the retry)", n)
	}
	mustContain(t, e.logs.String(), "trying again in this invocation")
}

// TestLostCreateAnswerHealsInline: the create takes effect but its answer
// is lost (a 502 after applying). The inline attempt reads the record's
// create marker, finds the goal by its external id and updates it: one
// goal, acknowledged on the first delivery.
func TestLostCreateAnswerHealsInline(t *testing.T) {
	e := newEnv(t)
	e.warm()
	// The unit's calls: the batch Fetch, then the create.
	e.svc.Gainsight = &failNth{Gainsight: e.svc.Gainsight, sim: e.sim, n: 2,
		fault: gt.Fault{Status: http.StatusBadGateway, AfterApply: true}}
	if failed := e.handle(t.Context(), e.batch(goalEvent("e1", "901", 0, fullGoal("once")))); len(failed) != 0 {
		t.Fatalf("failed = %v, want none; logs:\n%s", failed, e.logs)
	}
	if n := goalsFor(e, key901); n != 1 {
		t.Errorf("%d goals for one CRM record, want 1", n)
	}
	st := e.sim.Stats().ByEndpoint
	if st[gt.EndpointGoalCreate] != 1 || st[gt.EndpointGoalFetch] != 2 || st[gt.EndpointGoalUpdate] != 1 {
		t.Errorf("calls %v; want the batch Fetch, the create, the inline attempt's Fetch and an update", st)
	}
}

// TestInlineRetriesAreBounded: with Gainsight failing every call, each
// unit is tried at most 1+DefaultInlineRetries times and the batch spends
// at most InlineRetryBudget retries: four known goals cost 4+5 calls and
// all four messages go back to the queue.
func TestInlineRetriesAreBounded(t *testing.T) {
	e := newEnv(t)
	e.warm()
	ctx := t.Context()
	recs := []string{"901", "902", "903", "904"}
	var first, second []goalevents.Event
	for _, r := range recs {
		first = append(first, goalEvent("a"+r, r, 0, fullGoal("v0-"+r)))
		second = append(second, goalEvent("b"+r, r, 1, map[string]any{"Name": "v1"}))
	}
	if failed := e.handle(ctx, e.batch(first...)); len(failed) != 0 {
		t.Fatalf("set-up failed: %v", failed)
	}
	e.sim.ResetStats()
	e.sim.FailNext(100, gt.FaultUnavailable)
	failed := e.handle(ctx, e.batch(second...))
	if len(failed) != len(recs) {
		t.Errorf("failed = %v, want all %d", failed, len(recs))
	}
	if got, want := e.sim.Stats().Requests, len(recs)+apply.InlineRetryBudget; got != want {
		t.Errorf("%d requests, want %d (one per unit and the batch's retry budget)", got, want)
	}
	if n := strings.Count(e.logs.String(), "trying again in this invocation"); n != apply.InlineRetryBudget {
		t.Errorf("%d inline retries logged, want %d", n, apply.InlineRetryBudget)
	}
}

// TestNoInlineRetryForRefusals: a 429, and a 503 that names its wait
// (Retry-After), hold every consumer back through the quota instead of
// being tried again at once: one call each.
func TestNoInlineRetryForRefusals(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault gt.Fault
	}{
		{"429", gt.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": []string{"1"}}}},
		{"503 with Retry-After", gt.Fault{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": []string{"1"}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, ctx := knownGoal(t)
			e.sim.FailNext(1, c.fault)
			if failed := e.handle(ctx, e.batch(goalEvent("e2", "901", 1, map[string]any{"Name": "y"}))); len(failed) != 1 {
				t.Fatalf("failed = %v, want the message", failed)
			}
			if n := e.sim.Stats().Requests; n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// TestCopiesInOneBatchApplyOnce: the same event twice in one batch (a CRM
// retry past the FIFO deduplication window) is applied once; the copy is
// acknowledged as a duplicate instead of waiting out the first copy's
// claim. When the first copy is retried, the copy comes back with it.
func TestCopiesInOneBatchApplyOnce(t *testing.T) {
	e, ctx := knownGoal(t)
	ev := goalEvent("e2", "901", 1, map[string]any{"Name": "y"})
	b := e.batch(ev, ev)
	if failed := e.handle(ctx, b); len(failed) != 0 {
		t.Fatalf("failed = %v, want none; logs:\n%s", failed, e.logs)
	}
	if n := e.calls(gt.EndpointGoalUpdate); n != 1 {
		t.Errorf("%d update calls, want 1", n)
	}
	mustContain(t, e.logs.String(), `"message_id":"`+b.Records[1].MessageId+`","outcome":"duplicate"`)

	e.svc.InlineRetries = -1
	e.sim.FailNext(1, gt.FaultUnavailable)
	again := goalEvent("e3", "901", 2, map[string]any{"Name": "z"})
	b = e.batch(again, again)
	if failed := e.handle(ctx, b); len(failed) != 2 {
		t.Errorf("failed = %v, want both copies", failed)
	}
}

// foreignWrite fails the first update with a 503 after another consumer
// (whose lock this attempt's ran out to) has recorded a newer version of
// the record.
type foreignWrite struct {
	apply.Gainsight
	write func()
	once  sync.Once
}

func (f *foreignWrite) UpdateGoal(ctx context.Context, r *gainsight.UpdateGoalRequest) (*gainsight.UpdateGoalResponse, error) {
	failed := false
	f.once.Do(func() { f.write(); failed = true })
	if failed {
		return nil, &gainsight.APIError{Status: http.StatusServiceUnavailable, Message: "injected"}
	}
	return f.Gainsight.UpdateGoal(ctx, r)
}

// TestNoInlineRetryOverAnotherWrite: the record was written by another
// consumer between the failed attempt and the inline one; the unit goes
// back to the queue instead of writing its older event over the newer one.
func TestNoInlineRetryOverAnotherWrite(t *testing.T) {
	e, ctx := knownGoal(t)
	ev := goalEvent("e2", "901", 1, map[string]any{"Name": "y"})
	store := state.New(e.db, e.table)
	e.svc.Gainsight = &foreignWrite{Gainsight: e.svc.Gainsight, write: func() {
		g := e.storedGoal(key901)
		if err := store.PutGoalApplied(ctx, key901, g.Gsid, ev.Time.Add(time.Minute), "newer", state.Kept{}); err != nil {
			t.Error(err)
		}
	}}
	if failed := e.handle(ctx, e.batch(ev)); len(failed) != 1 {
		t.Fatalf("failed = %v, want the message back on the queue; logs:\n%s", failed, e.logs)
	}
	if n := e.calls(gt.EndpointGoalUpdate); n != 0 {
		t.Errorf("%d updates reached Gainsight after the newer write, want 0", n)
	}
}

// knownGoal is an env whose record 901 has a goal in Gainsight, with the
// simulator's counts reset.
func knownGoal(t *testing.T) (*env, context.Context) {
	e := newEnv(t)
	e.warm()
	ctx := t.Context()
	if failed := e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("x")))); len(failed) != 0 {
		t.Fatalf("set-up failed: %v", failed)
	}
	e.sim.ResetStats()
	return e, ctx
}

// TestPicklistLoadIsRetriedInline: the first call of a cold consumer is
// the picklist's load, made before the batch Fetch and, when that failed,
// again before the group's first event; a 503 on both is tried again at
// once too.
func TestPicklistLoadIsRetriedInline(t *testing.T) {
	e := newEnv(t)
	e.sim.FailNext(2, gt.FaultUnavailable)
	if failed := e.handle(t.Context(), e.batch(goalEvent("e1", "901", 0, fullGoal("x")))); len(failed) != 0 {
		t.Fatalf("failed = %v, want none; logs:\n%s", failed, e.logs)
	}
	if _, ok := e.sim.GoalByExternalID(key901); !ok {
		t.Error("the goal was not created")
	}
}
