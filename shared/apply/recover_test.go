package apply_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// TestGoalDeletedInGainsightIsRecreated: the state keeps the Gsid of a goal
// somebody deleted in Gainsight. An event with the fields to create it
// creates it again in the same attempt; a thin one cannot and goes to the
// DLQ as CANNOT_CREATE, not as Gainsight's "Invalid Gsid".
func TestGoalDeletedInGainsightIsRecreated(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if failed := e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("first")))); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	old := e.storedGoal(key901).Gsid
	if old == "" || !e.sim.RemoveGoal(old) {
		t.Fatalf("created goal %q not found in the simulator", old)
	}

	e.sim.ResetStats()
	q := &countingQuota{Quota: e.svc.Quota}
	e.svc.Quota = q
	if failed := e.handle(ctx, e.batch(goalEvent("e2", "901", 1, fullGoal("again")))); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	if dl := e.dlq(); len(dl) != 0 {
		t.Fatalf("dead-lettered: %s %s", attr(dl[0], apply.AttrErrorCode), attr(dl[0], apply.AttrErrorMessage))
	}
	if n := goalsFor(e, key901); n != 1 {
		t.Fatalf("%d goals with external id %s, want 1", n, key901)
	}
	g, _ := e.sim.GoalByExternalID(key901)
	if g.Name != "again" || g.Gsid == old {
		t.Errorf("goal = %s %q, want a new goal named again", g.Gsid, g.Name)
	}
	if s := e.storedGoal(key901); s.Gsid != g.Gsid {
		t.Errorf("state gsid = %q, want the new goal's %q", s.Gsid, g.Gsid)
	}
	// The failed update, the fetch by external id and the create, each
	// with its unit of quota.
	st := e.sim.Stats()
	if st.ByEndpoint[gt.EndpointGoalUpdate] != 1 || st.ByEndpoint[gt.EndpointGoalFetch] != 1 || st.ByEndpoint[gt.EndpointGoalCreate] != 1 {
		t.Errorf("calls = %v, want one update, one fetch, one create", st.ByEndpoint)
	}
	if n := q.taken.Load(); n != int64(st.Calls) {
		t.Errorf("%d units of quota taken for %d calls", n, st.Calls)
	}

	// Deleted again; a thin change cannot recreate it.
	e.sim.RemoveGoal(g.Gsid)
	if failed := e.handle(ctx, e.batch(goalEvent("e3", "901", 2, map[string]any{"DueDate": "2027-03-31"}))); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	dl := e.dlq()
	if len(dl) != 1 {
		t.Fatalf("DLQ holds %d messages, want 1", len(dl))
	}
	if c := attr(dl[0], apply.AttrErrorCode); c != "CANNOT_CREATE" {
		t.Errorf("error code = %q (%s), want CANNOT_CREATE", c, attr(dl[0], apply.AttrErrorMessage))
	}
	if n := goalsFor(e, key901); n != 0 {
		t.Errorf("%d goals after a thin event, want none", n)
	}
	if s := e.storedGoal(key901); s.Gsid != "" {
		t.Errorf("state still holds the deleted gsid %q", s.Gsid)
	}
}

// countingQuota counts the units taken.
type countingQuota struct {
	apply.Quota
	taken atomic.Int64
}

func (q *countingQuota) Take(ctx context.Context) error {
	q.taken.Add(1)
	return q.Quota.Take(ctx)
}

// failFetchOnce fails the first goal Fetch as a lost connection would.
type failFetchOnce struct {
	apply.Gainsight
	failed atomic.Bool
}

func (f *failFetchOnce) FetchGoals(ctx context.Context, r *gainsight.FetchGoalsRequest) (*gainsight.FetchGoalsResponse, error) {
	if f.failed.CompareAndSwap(false, true) {
		return nil, errors.New("connection reset")
	}
	return f.Gainsight.FetchGoals(ctx, r)
}

// TestRecoveryInterruptedIsRetried: the Fetch after the "Invalid Gsid"
// fails; the event is retried, the state has forgotten the deleted Gsid,
// and the redelivery creates the goal once.
func TestRecoveryInterruptedIsRetried(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("first"))))
	old := e.storedGoal(key901).Gsid
	e.sim.RemoveGoal(old)
	client := e.svc.Gainsight
	e.svc.Gainsight = &failFetchOnce{Gainsight: client}
	ev := goalEvent("e2", "901", 1, fullGoal("again"))
	if failed := e.handle(ctx, e.batch(ev)); len(failed) != 1 {
		t.Fatalf("failed = %v, want the event retried", failed)
	}
	if s := e.storedGoal(key901); s.Gsid != "" {
		t.Errorf("state gsid = %q after the interrupted recovery, want none", s.Gsid)
	}
	if failed := e.handle(ctx, e.batch(ev)); len(failed) != 0 {
		t.Fatalf("redelivery failed = %v; logs:\n%s", failed, e.logs)
	}
	if n := goalsFor(e, key901); n != 1 {
		t.Errorf("%d goals with external id %s, want 1", n, key901)
	}
	g, _ := e.sim.GoalByExternalID(key901)
	if s := e.storedGoal(key901); s.Gsid != g.Gsid || g.Name != "again" {
		t.Errorf("state gsid %q, goal %s %q", s.Gsid, g.Gsid, g.Name)
	}
}

// TestGoalRecreatedByHandIsAdopted: the goal was deleted in Gainsight and
// somebody made a new one with the external id; a thin change updates it.
func TestGoalRecreatedByHandIsAdopted(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("first"))))
	e.sim.RemoveGoal(e.storedGoal(key901).Gsid)
	byHand := e.seedGoal("by hand", key901)
	if failed := e.handle(ctx, e.batch(goalEvent("e2", "901", 1, map[string]any{"DueDate": "2027-05-31"}))); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if dl := e.dlq(); len(dl) != 0 {
		t.Fatalf("dead-lettered: %s", attr(dl[0], apply.AttrErrorMessage))
	}
	if g, _ := e.sim.Goal(byHand); g.DueDate != "2027-05-31" {
		t.Errorf("goal made by hand: due %q", g.DueDate)
	}
	if s := e.storedGoal(key901); s.Gsid != byHand {
		t.Errorf("state gsid = %q, want %q", s.Gsid, byHand)
	}
}

// TestCRMDeleteOfAGoalDeletedInGainsightIsIgnored: a CRM delete that
// would close a goal already deleted in Gainsight has nothing to close.
func TestCRMDeleteOfAGoalDeletedInGainsightIsIgnored(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("first"))))
	e.sim.RemoveGoal(e.storedGoal(key901).Gsid)
	del := goalEvent("d1", "901", 1, map[string]any{"StatusName": "Not Achieved"})
	del.Type = goalevents.GoalDeleted
	if failed := e.handle(ctx, e.batch(del)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if dl := e.dlq(); len(dl) != 0 {
		t.Fatalf("dead-lettered: %s", attr(dl[0], apply.AttrErrorMessage))
	}
	if n := goalsFor(e, key901); n != 0 {
		t.Errorf("%d goals, want none", n)
	}
	if s := e.storedGoal(key901); s.Gsid != "" {
		t.Errorf("state still holds gsid %q", s.Gsid)
	}
}
