package apply_test

import (
	"net/http"
	"testing"

	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// TestSplitAfterALostMergedWrite: versions 4 and 5 of a goal are merged
// into one update whose answer is lost (it took effect: the goal holds
// version 5's name); both go back to the queue, and the next batch holds
// version 4 alone (a batch boundary split the group). That batch must send
// the merged values again, not version 4's older name, and version 5 then
// applies on top. Without the pending write, the goal goes back to
// version 4's name until version 5 comes.
func TestSplitAfterALostMergedWrite(t *testing.T) {
	e, ctx := knownGoal(t)
	e.svc.InlineRetries = -1 // the lost answer reaches the queue
	v4 := goalEvent("v4", "901", 4, map[string]any{"Name": "four", "StatusName": "At Risk"})
	v5 := goalEvent("v5", "901", 5, map[string]any{"Name": "five"})
	e.svc.Gainsight = &failNth{Gainsight: e.svc.Gainsight, sim: e.sim, n: 1,
		fault: gt.Fault{Status: http.StatusBadGateway, AfterApply: true}}
	if failed := e.handle(ctx, e.batch(v4, v5)); len(failed) != 2 {
		t.Fatalf("failed = %v, want both (the answer was lost); logs:\n%s", failed, e.logs)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "five" {
		t.Fatalf("the lost write did not take effect: %q", g.Name)
	}
	e.sim.ResetStats()
	if failed := e.handle(ctx, e.batch(v4)); len(failed) != 0 {
		t.Fatalf("version 4 alone failed: %v; logs:\n%s", failed, e.logs)
	}
	g, _ := e.sim.GoalByExternalID(key901)
	if g.Name != "five" || g.StatusName != "At Risk" {
		t.Errorf("after version 4 alone the goal is %q, %q; want the merged five, At Risk", g.Name, g.StatusName)
	}
	if n := e.calls(gt.EndpointGoalUpdate); n != 1 {
		t.Errorf("%d updates, want 1", n)
	}
	if s := e.storedGoal(key901); s.Pending != nil || s.Version.IsZero() || !s.Version.Equal(v5.Time) {
		t.Errorf("state after the replay: version %s, pending %v; want version 5 and no pending write", s.Version, s.Pending)
	}
	if failed := e.handle(ctx, e.batch(v5)); len(failed) != 0 {
		t.Fatalf("version 5 failed: %v", failed)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "five" {
		t.Errorf("after version 5 the goal is %q, want five", g.Name)
	}
}

// TestLostWriteThenRefusalKeepsPending: the merged update of versions 4
// and 5 takes effect but its answer is lost; the inline retry's update is
// refused with a 429. The unit fails on the 429, which wrote nothing, but
// the first attempt may have: the merged write must be kept, so that
// version 4 alone, split from 5 by a batch boundary, sends it again rather
// than its older name. Judging by the last attempt's error alone drops it.
func TestLostWriteThenRefusalKeepsPending(t *testing.T) {
	e, ctx := knownGoal(t)
	v4 := goalEvent("v4", "901", 4, map[string]any{"Name": "four", "StatusName": "At Risk"})
	v5 := goalEvent("v5", "901", 5, map[string]any{"Name": "five"})
	e.sim.FailNext(1, gt.Fault{Status: http.StatusBadGateway, AfterApply: true})
	e.sim.FailNext(1, gt.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"1"}}})
	if failed := e.handle(ctx, e.batch(v4, v5)); len(failed) != 2 {
		t.Fatalf("failed = %v, want both (the retry met a 429); logs:\n%s", failed, e.logs)
	}
	if n := e.calls(gt.EndpointGoalUpdate); n != 2 {
		t.Fatalf("%d updates, want 2 (the lost one and the inline retry); logs:\n%s", n, e.logs)
	}
	if s := e.storedGoal(key901); s.Pending == nil || !s.Pending.Version.Equal(v5.Time) {
		t.Fatalf("no pending write for the lost merged update: %+v", s.Pending)
	}
	if failed := e.handle(ctx, e.batch(v4)); len(failed) != 0 {
		t.Fatalf("version 4 alone failed: %v; logs:\n%s", failed, e.logs)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "five" || g.StatusName != "At Risk" {
		t.Errorf("after version 4 alone the goal is %q, %q; want the merged five, At Risk", g.Name, g.StatusName)
	}
}
