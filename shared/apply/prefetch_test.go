package apply_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// fetchSpy records the external ids every goal Fetch asked for, and runs
// after, once, right after the first Fetch answered (the batch Fetch):
// another consumer's work in the window between the batch Fetch and the
// unit's record lock.
type fetchSpy struct {
	apply.Gainsight
	mu    sync.Mutex
	asked [][]string
	after func()
}

func (f *fetchSpy) FetchGoals(ctx context.Context, r *gainsight.FetchGoalsRequest) (*gainsight.FetchGoalsResponse, error) {
	var ids []string
	if r.Where != nil {
		for _, c := range r.Where.Conditions {
			if c.FieldName == apply.DefaultExternalIDField {
				for _, v := range c.Value {
					ids = append(ids, fmt.Sprint(v))
				}
			}
		}
	}
	sort.Strings(ids)
	resp, err := f.Gainsight.FetchGoals(ctx, r)
	f.mu.Lock()
	f.asked = append(f.asked, ids)
	after := f.after
	f.after = nil
	f.mu.Unlock()
	if after != nil {
		after()
	}
	return resp, err
}

func (f *fetchSpy) fetches() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.asked...)
}

func dealKey(deal string) string { return "hubspot/portal/62515:" + deal }

// warm loads the picklist cache (two calls) and resets the counts.
func (e *env) warm() {
	e.t.Helper()
	if failed := e.handle(e.t.Context(), e.batch(goalEvent("warm", "800", 0, fullGoal("warm-up")))); len(failed) != 0 {
		e.t.Fatalf("warm-up failed: %v; logs:\n%s", failed, e.logs)
	}
	e.sim.ResetStats()
}

// TestBatchOfNewGoalsCostsOneFetch: ten events of ten new records cost one
// Fetch for all of them and a create each: 11 calls, not 20.
func TestBatchOfNewGoalsCostsOneFetch(t *testing.T) {
	e := newEnv(t)
	e.warm()
	var evs []goalevents.Event
	for i := range 10 {
		deal := fmt.Sprint(1000 + i)
		evs = append(evs, goalEvent("n"+deal, deal, 1, fullGoal("new "+deal)))
	}
	if failed := e.handle(t.Context(), e.batch(evs...)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	st := e.sim.Stats()
	if f, c := e.calls(gt.EndpointGoalFetch), e.calls(gt.EndpointGoalCreate); f != 1 || c != 10 || st.Calls != 11 {
		t.Errorf("%d fetches, %d creates, %d calls in all; want 1, 10 and 11 (1.1 per event)", f, c, st.Calls)
	}
	for i := range 10 {
		key := dealKey(fmt.Sprint(1000 + i))
		if n := goalsFor(e, key); n != 1 {
			t.Errorf("%s: %d goals", key, n)
		}
		if g := e.storedGoal(key); g.Gsid == "" || g.CreatePending {
			t.Errorf("%s: state %+v, want the created Gsid", key, g)
		}
	}
}

// TestBatchFetchCoversNewRecordsOnly: known goals cost their update alone;
// the one Fetch asks for the new records only.
func TestBatchFetchCoversNewRecordsOnly(t *testing.T) {
	e := newEnv(t)
	var known []goalevents.Event
	for i := range 5 {
		deal := fmt.Sprint(1100 + i)
		known = append(known, goalEvent("k"+deal, deal, 0, fullGoal("known "+deal)))
	}
	if failed := e.handle(t.Context(), e.batch(known...)); len(failed) != 0 {
		t.Fatalf("seeding failed = %v", failed)
	}
	spy := &fetchSpy{Gainsight: e.svc.Gainsight}
	e.svc.Gainsight = spy
	e.sim.ResetStats()
	// Even positions: the five known records; odd ones: five new.
	var want []string
	var batch []goalevents.Event
	for i := range 10 {
		deal, fields := fmt.Sprint(1100+i/2), map[string]any{"DueDate": "2027-01-31"}
		if i%2 == 1 {
			deal, fields = fmt.Sprint(1200+i), fullGoal("new "+fmt.Sprint(1200+i))
			want = append(want, dealKey(deal))
		}
		batch = append(batch, goalEvent(fmt.Sprintf("b%d", i), deal, 2, fields))
	}
	if failed := e.handle(t.Context(), e.batch(batch...)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	sort.Strings(want)
	asked := spy.fetches()
	if len(asked) != 1 || fmt.Sprint(asked[0]) != fmt.Sprint(want) {
		t.Errorf("fetches asked for %v; want one for the new records %v", asked, want)
	}
	f, c, u := e.calls(gt.EndpointGoalFetch), e.calls(gt.EndpointGoalCreate), e.calls(gt.EndpointGoalUpdate)
	if f != 1 || c != 5 || u != 5 || e.sim.Stats().Calls != 11 {
		t.Errorf("%d fetches, %d creates, %d updates, %d calls; want 1, 5, 5 and 11", f, c, u, e.sim.Stats().Calls)
	}
}

// TestBatchFetchFindsTwoGoalsForOneRecord: the one Fetch finds two goals
// with one external id: that event goes to the DLQ as
// AMBIGUOUS_EXTERNAL_ID naming both, the others are created.
func TestBatchFetchFindsTwoGoalsForOneRecord(t *testing.T) {
	e := newEnv(t)
	e.warm()
	a, b := e.seedGoal("one", dealKey("1301")), e.seedGoal("two", dealKey("1301"))
	e.sim.ResetStats()
	evs := []goalevents.Event{
		goalEvent("x0", "1300", 1, fullGoal("fine 1300")),
		goalEvent("x1", "1301", 1, fullGoal("ambiguous")),
		goalEvent("x2", "1302", 1, fullGoal("fine 1302")),
	}
	if failed := e.handle(t.Context(), e.batch(evs...)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	dl := e.dlq()
	if len(dl) != 1 || attr(dl[0], apply.AttrErrorCode) != apply.CodeAmbiguousExternalID {
		t.Fatalf("DLQ = %d messages, want one AMBIGUOUS_EXTERNAL_ID", len(dl))
	}
	msg := attr(dl[0], apply.AttrErrorMessage)
	mustContain(t, msg, a)
	mustContain(t, msg, b)
	mustContain(t, msg, dealKey("1301"))
	if f, c, u := e.calls(gt.EndpointGoalFetch), e.calls(gt.EndpointGoalCreate), e.calls(gt.EndpointGoalUpdate); f != 1 || c != 2 || u != 0 {
		t.Errorf("%d fetches, %d creates, %d updates; want 1, 2, 0", f, c, u)
	}
	for _, d := range []string{"1300", "1302"} {
		if n := goalsFor(e, dealKey(d)); n != 1 {
			t.Errorf("%s: %d goals", d, n)
		}
	}
	if n := goalsFor(e, dealKey("1301")); n != 2 {
		t.Errorf("1301: %d goals, want the two seeded", n)
	}
}

// TestLostCreateInABatchIsNotDuplicated: in a batch of new records the
// answer to one create is lost after it took effect; the redelivery of the
// batch finds that record's create marker, leaves it out of the batch
// Fetch and resolves it by its own Fetch after the record lock: one goal.
func TestLostCreateInABatchIsNotDuplicated(t *testing.T) {
	e := newEnv(t)
	e.svc.InlineRetries = -1 // the redelivery's path
	e.svc.Lanes = -1         // the nth call is the first record's create only one group at a time
	e.warm()
	evs := []goalevents.Event{
		goalEvent("l0", "1400", 1, fullGoal("lost answer")),
		goalEvent("l1", "1401", 1, fullGoal("fine 1401")),
		goalEvent("l2", "1402", 1, fullGoal("fine 1402")),
	}
	// Call 1 is the batch Fetch, call 2 the first create.
	plain := e.svc.Gainsight
	e.svc.Gainsight = &failNth{Gainsight: plain, sim: e.sim, n: 2,
		fault: gt.Fault{Status: http.StatusBadGateway, AfterApply: true}}
	b := e.batch(evs...)
	failed := e.handle(t.Context(), b)
	if len(failed) != 1 || failed[0] != b.Records[0].MessageId {
		t.Fatalf("failed = %v, want the first message only; logs:\n%s", failed, e.logs)
	}
	if g := e.storedGoal(dealKey("1400")); !g.CreatePending || g.Gsid != "" {
		t.Fatalf("state after the lost answer = %+v, want a pending create", g)
	}
	e.svc.Gainsight = plain
	e.sim.ResetStats()
	if failed := e.handle(t.Context(), b); len(failed) != 0 {
		t.Fatalf("redelivery failed = %v; logs:\n%s", failed, e.logs)
	}
	for _, d := range []string{"1400", "1401", "1402"} {
		if n := goalsFor(e, dealKey(d)); n != 1 {
			t.Errorf("%s: %d goals", d, n)
		}
	}
	// The pending record's own Fetch and its update; the other two are
	// duplicates (no call).
	if f, c, u := e.calls(gt.EndpointGoalFetch), e.calls(gt.EndpointGoalCreate), e.calls(gt.EndpointGoalUpdate); f != 1 || c != 0 || u != 1 {
		t.Errorf("redelivery: %d fetches, %d creates, %d updates; want 1, 0, 1", f, c, u)
	}
	if g := e.storedGoal(dealKey("1400")); g.Gsid == "" || g.CreatePending {
		t.Errorf("state after the redelivery = %+v", g)
	}
}

// TestRecordCreatedBetweenBatchFetchAndUnit: another consumer creates the
// goal of a record after this consumer's batch Fetch found none and before
// its unit locks the record. The unit finds the Gsid in the state and
// updates that goal: no duplicate.
func TestRecordCreatedBetweenBatchFetchAndUnit(t *testing.T) {
	e := newEnv(t)
	e.warm()
	other := *e.svc
	mine := goalEvent("mine", "1500", 2, fullGoal("newer"))
	spy := &fetchSpy{Gainsight: e.svc.Gainsight, after: func() {
		if failed := e.handleOn(&other, goalEvent("theirs", "1500", 1, fullGoal("older"))); len(failed) != 0 {
			t.Errorf("the other consumer failed: %v", failed)
		}
	}}
	e.svc.Gainsight = spy
	if failed := e.handle(t.Context(), e.batch(mine, goalEvent("more", "1501", 2, fullGoal("another")))); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	if n := goalsFor(e, dealKey("1500")); n != 1 {
		t.Fatalf("%d goals for one record; logs:\n%s", n, e.logs)
	}
	if g, _ := e.sim.GoalByExternalID(dealKey("1500")); g.Name != "newer" {
		t.Errorf("goal name = %q, want this consumer's update", g.Name)
	}
	if n := goalsFor(e, dealKey("1501")); n != 1 {
		t.Errorf("1501: %d goals", n)
	}
}

// TestRecordLeftPendingBetweenBatchFetchAndUnit: another consumer starts
// the create of a record after this consumer's batch Fetch found none, the
// create takes effect and its answer is lost (the create marker stays).
// The batch Fetch's "none" is older than that create: the unit sees the
// marker under its lock, resolves the record by its own Fetch and updates
// the goal it finds: no duplicate.
func TestRecordLeftPendingBetweenBatchFetchAndUnit(t *testing.T) {
	e := newEnv(t)
	e.svc.InlineRetries = -1 // the redelivery's path
	e.warm()
	other := *e.svc
	// The other consumer's calls: its batch Fetch, then the create whose
	// answer is lost.
	other.Gainsight = &failNth{Gainsight: e.svc.Gainsight, sim: e.sim, n: 2,
		fault: gt.Fault{Status: http.StatusBadGateway, AfterApply: true}}
	mine := goalEvent("mine", "1600", 2, fullGoal("newer"))
	spy := &fetchSpy{Gainsight: e.svc.Gainsight, after: func() {
		if failed := e.handleOn(&other, goalEvent("theirs", "1600", 1, fullGoal("older"))); len(failed) != 1 {
			t.Errorf("the other consumer failed %v; want its message (lost answer)", failed)
		}
	}}
	e.svc.Gainsight = spy
	if failed := e.handle(t.Context(), e.batch(mine)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	if n := goalsFor(e, dealKey("1600")); n != 1 {
		t.Fatalf("%d goals for one record; logs:\n%s", n, e.logs)
	}
	if g, _ := e.sim.GoalByExternalID(dealKey("1600")); g.Name != "newer" {
		t.Errorf("goal name = %q, want this consumer's update", g.Name)
	}
	if asked := spy.fetches(); len(asked) != 2 {
		t.Errorf("fetches %v; want the batch Fetch and the unit's own", asked)
	}
}

// handleOn runs a batch of evs on svc (another consumer sharing the
// simulator and the state table) and returns the ids of the failed
// messages.
func (e *env) handleOn(svc *apply.Service, evs ...goalevents.Event) []string {
	e.t.Helper()
	resp, err := svc.Handle(e.t.Context(), e.batch(evs...))
	if err != nil {
		e.t.Fatalf("Handle: %v", err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// TestGoalDeletedBetweenBatchFetchAndUnit: the batch Fetch finds the
// record's goal (seeded outside goalrelay), which is deleted in Gainsight
// before the unit updates it. The "Invalid Gsid" answer makes the unit
// forget the Gsid it took from the batch Fetch and resolve the record by
// its own Fetch, then create the goal: one goal, the event applied.
func TestGoalDeletedBetweenBatchFetchAndUnit(t *testing.T) {
	e := newEnv(t)
	e.warm()
	old := e.seedGoal("seeded", dealKey("1700"))
	spy := &fetchSpy{Gainsight: e.svc.Gainsight, after: func() {
		if !e.sim.RemoveGoal(old) {
			t.Error("the seeded goal was not removed")
		}
	}}
	e.svc.Gainsight = spy
	e.sim.ResetStats()
	if failed := e.handle(t.Context(), e.batch(goalEvent("g1", "1700", 1, fullGoal("after delete")))); len(failed) != 0 || len(e.dlq()) != 0 {
		t.Fatalf("failed = %v or dead-lettered; logs:\n%s", failed, e.logs)
	}
	g, ok := e.sim.GoalByExternalID(dealKey("1700"))
	if !ok || g.Gsid == old || g.Name != "after delete" || goalsFor(e, dealKey("1700")) != 1 {
		t.Fatalf("goal = %+v (%v), want one new goal named %q", g, ok, "after delete")
	}
	if s := e.storedGoal(dealKey("1700")); s.Gsid != g.Gsid {
		t.Errorf("state gsid = %q, want %q", s.Gsid, g.Gsid)
	}
	// Batch Fetch, the update refused, the unit's own Fetch, the create.
	if f, u, c := e.calls(gt.EndpointGoalFetch), e.calls(gt.EndpointGoalUpdate), e.calls(gt.EndpointGoalCreate); f != 2 || u != 1 || c != 1 {
		t.Errorf("%d fetches, %d updates, %d creates; want 2, 1, 1", f, u, c)
	}
}
