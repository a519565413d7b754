package apply_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
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

// seeUpdate runs see before every goal update is sent.
type seeUpdate struct {
	apply.Gainsight
	see func()
}

func (s *seeUpdate) UpdateGoal(ctx context.Context, r *gainsight.UpdateGoalRequest) (*gainsight.UpdateGoalResponse, error) {
	s.see()
	return s.Gainsight.UpdateGoal(ctx, r)
}

// TestMergedWriteKeptBeforeItIsSent: the merged update of versions 4 and 5
// is on the goal record before it leaves, so that a consumer killed (or
// stalled past its record lock) while the call is out leaves it there for
// the next unit, with nothing left to run after the call; the applied
// version then removes it. Kept only after a failure, the record holds
// nothing while the call is out.
func TestMergedWriteKeptBeforeItIsSent(t *testing.T) {
	e, ctx := knownGoal(t)
	v4 := goalEvent("v4", "901", 4, map[string]any{"Name": "four", "StatusName": "At Risk"})
	v5 := goalEvent("v5", "901", 5, map[string]any{"Name": "five"})
	var seen *state.PendingWrite
	e.svc.Gainsight = &seeUpdate{Gainsight: e.svc.Gainsight, see: func() { seen = e.storedGoal(key901).Pending }}
	if failed := e.handle(ctx, e.batch(v4, v5)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	if seen == nil || !seen.Version.Equal(v5.Time) || !slices.Equal(slices.Sorted(slices.Values(seen.EventIDs)), []string{"v4", "v5"}) {
		t.Fatalf("while the update was out the record kept %+v, want the merged write of v4 and v5", seen)
	}
	if p := e.storedGoal(key901).Pending; p != nil {
		t.Errorf("pending write left after the version was recorded: %+v", p)
	}
}

// TestRefusedMergedWriteIsNotKept: a merged update Gainsight refuses for
// good (an unknown CTA) goes to the DLQ and leaves no pending write behind:
// a later event of the goal is applied on its own, not merged under the
// refused values (which would send it to the DLQ too).
func TestRefusedMergedWriteIsNotKept(t *testing.T) {
	e, ctx := knownGoal(t)
	v4 := goalEvent("v4", "901", 4, map[string]any{"Name": "four"})
	v5 := goalEvent("v5", "901", 5, map[string]any{"Name": "five"})
	v5.Data.Associate = &goalevents.Associations{CTA: []string{"1I00NOSUCHCTA"}}
	if failed := e.handle(ctx, e.batch(v4, v5)); len(failed) != 0 {
		t.Fatalf("failed = %v, want both dead-lettered; logs:\n%s", failed, e.logs)
	}
	if n := len(e.dlq()); n != 2 {
		t.Fatalf("%d in the DLQ, want 2; logs:\n%s", n, e.logs)
	}
	if p := e.storedGoal(key901).Pending; p != nil {
		t.Fatalf("a refused write is kept as pending: version %s, events %v", p.Version, p.EventIDs)
	}
	v6 := goalEvent("v6", "901", 6, map[string]any{"Name": "six"})
	if failed := e.handle(ctx, e.batch(v6)); len(failed) != 0 {
		t.Fatalf("version 6 failed: %v; logs:\n%s", failed, e.logs)
	}
	if n := len(e.dlq()); n != 0 {
		t.Errorf("version 6 went to the DLQ too (%d)", n)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "six" {
		t.Errorf("goal %q, want six", g.Name)
	}
}
