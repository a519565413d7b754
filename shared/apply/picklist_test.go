package apply_test

import (
	"strings"
	"testing"
	"time"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
)

// sharedPicklist gives e's service a picklist shared through its state
// table, and returns a function that builds another consumer on the same
// table and tenant whose picklist starts cold, as after a cold start.
func sharedPicklist(e *env, now func() time.Time) (cold func() *apply.Service) {
	store := state.New(e.db, e.table)
	e.svc.Picklist = &apply.Picklist{Shared: store, Tenant: e.sim.URL}
	e.svc.Now = now
	return func() *apply.Service {
		other := *e.svc
		other.Picklist = &apply.Picklist{Shared: store, Tenant: e.sim.URL}
		return &other
	}
}

// mustApplyOn runs ev on svc and fails the test if it failed.
func (e *env) mustApplyOn(svc *apply.Service, ev goalevents.Event) {
	e.t.Helper()
	if failed := e.handleOn(svc, ev); len(failed) != 0 {
		e.t.Fatalf("%s: failed %v; logs:\n%s", ev.ID, failed, e.logs)
	}
}

// TestColdConsumerTakesTheSharedPicklist: a consumer that starts cold
// checks names and resolves goal types with the picklist another consumer
// loaded, without a call of its own; a copy older than the TTL is loaded
// again, and the new load is shared in turn.
func TestColdConsumerTakesTheSharedPicklist(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	clock := &autoClock{now: time.Now()}
	cold := sharedPicklist(e, clock.Now)
	typed := func(name string) map[string]any {
		f := fullGoal(name)
		f["GoalTypeName"] = "Adoption"
		return f
	}
	e.mustApplyOn(e.svc, goalEvent("e1", "901", 0, typed("first")))
	if n := e.calls(gt.EndpointPicklist); n != 2 {
		t.Fatalf("first consumer: %d picklist calls, want 2", n)
	}

	e.mustApplyOn(cold(), goalEvent("e2", "902", 0, typed("second")))
	if n := e.calls(gt.EndpointPicklist); n != 2 {
		t.Errorf("a cold consumer made %d picklist calls, want none (the shared copy)", n-2)
	}
	if g, ok := e.sim.GoalByExternalID(strings.Replace(key901, "901", "902", 1)); !ok || g.GoalTypeName != "Adoption" {
		t.Errorf("cold consumer's goal: %+v (found %v), want type Adoption", g, ok)
	}
	bad := fullGoal("bad")
	bad["StatusName"] = "Lost Forever"
	if resp, err := cold().Handle(ctx, e.batch(goalEvent("e3", "903", 0, bad))); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("bad status: err=%v failed=%v", err, resp.BatchItemFailures)
	}
	if n := e.calls(gt.EndpointPicklist); n != 2 {
		t.Errorf("an unknown name on a cold consumer reloaded a copy younger than MinRefresh: %d calls", n-2)
	}
	if dl := e.dlq(); len(dl) != 1 || attr(dl[0], apply.AttrErrorCode) != "INVALID_STATUS_NAME" {
		t.Errorf("DLQ = %d messages, want the bad status's INVALID_STATUS_NAME", len(dl))
	}

	clock.Set(clock.Now().Add(16 * time.Minute))
	e.mustApplyOn(cold(), goalEvent("e4", "904", 0, typed("after the TTL")))
	if n := e.calls(gt.EndpointPicklist); n != 4 {
		t.Fatalf("a copy older than the TTL: %d picklist calls in all, want 4", n)
	}
	e.mustApplyOn(cold(), goalEvent("e5", "905", 0, typed("shared again")))
	if n := e.calls(gt.EndpointPicklist); n != 4 {
		t.Errorf("the reload was not shared: %d picklist calls in all, want 4", n)
	}
}

// TestStalePicklistAnswersWhileReloadsFail: when the reload of an expired
// picklist fails, a name the copy knows is still checked against it and
// the goal written, and no reload is tried again for a while; a name it
// does not know waits for a load (retry, never the DLQ).
func TestStalePicklistAnswersWhileReloadsFail(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	clock := &autoClock{now: time.Now()}
	sharedPicklist(e, clock.Now)
	e.svc.InlineRetries = -1
	e.mustApplyOn(e.svc, goalEvent("e1", "901", 0, fullGoal("first")))

	clock.Set(clock.Now().Add(16 * time.Minute))
	e.sim.FailNext(1, gt.FaultUnavailable) // the statuses' reload
	before := e.calls(gt.EndpointPicklist)
	e.mustApplyOn(e.svc, goalEvent("e2", "901", 1, fullGoal("second")))
	if n := e.calls(gt.EndpointPicklist) - before; n != 1 {
		t.Errorf("%d picklist calls, want the failed reload only: the copy answers for the known status", n)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "second" {
		t.Errorf("goal name %q, want second: a failed reload blocked a known status", g.Name)
	}
	mustContain(t, e.logs.String(), "picklist reload failed")
	calls := e.calls(gt.EndpointPicklist)
	e.mustApplyOn(e.svc, goalEvent("e3", "901", 2, fullGoal("third")))
	if n := e.calls(gt.EndpointPicklist); n != calls {
		t.Errorf("%d reloads right after a failed one, want none for a while", n-calls)
	}

	unknown := fullGoal("new status")
	unknown["StatusName"] = "Renegotiating"
	e.sim.AddStatus("Renegotiating", true)
	e.sim.FailNext(2, gt.FaultUnavailable) // the loads before the batch Fetch and before the group
	resp, err := e.svc.Handle(ctx, e.batch(goalEvent("e4", "901", 3, unknown)))
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("unknown name while the reload fails: err=%v failed=%v, want a retry", err, resp.BatchItemFailures)
	}
	if dl := e.dlq(); len(dl) != 0 {
		t.Errorf("a stale copy sent an unknown name to the DLQ")
	}
	e.mustApplyOn(e.svc, goalEvent("e4", "901", 3, unknown))
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "new status" {
		t.Errorf("goal name %q after the reload, want the new status's", g.Name)
	}

	clock.Set(clock.Now().Add(25 * time.Hour))
	e.sim.FailNext(2, gt.FaultUnavailable) // both loads
	updates := e.calls(gt.EndpointGoalUpdate)
	resp, err = e.svc.Handle(ctx, e.batch(goalEvent("e5", "901", 4, fullGoal("too stale"))))
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Errorf("err=%v failed=%v, want a retry", err, resp.BatchItemFailures)
	}
	if n := e.calls(gt.EndpointGoalUpdate) - updates; n != 0 {
		t.Errorf("a copy older than StaleFor answered: %d goal updates sent, want none", n)
	}
}

// TestFutureSharedPicklistIsNotTaken: a shared copy stamped in the future
// (a consumer whose clock is far ahead) would look fresh for too long; a
// cold consumer loads the picklist from Gainsight instead.
func TestFutureSharedPicklistIsNotTaken(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	clock := &autoClock{now: time.Now()}
	cold := sharedPicklist(e, clock.Now)
	future := state.SharedPicklist{Loaded: clock.Now().Add(time.Hour), Statuses: map[string]string{"on track": "1I00BOGUS"}, Types: map[string]string{}}
	if err := state.New(e.db, e.table).PutPicklist(ctx, e.sim.URL, future); err != nil {
		t.Fatal(err)
	}
	fields := fullGoal("typed")
	fields["GoalTypeName"] = "Adoption"
	e.mustApplyOn(cold(), goalEvent("e1", "901", 0, fields))
	if n := e.calls(gt.EndpointPicklist); n != 2 {
		t.Errorf("%d picklist calls, want 2: the future copy was taken", n)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.GoalTypeName != "Adoption" {
		t.Errorf("goal type %q, want Adoption", g.GoalTypeName)
	}
}
