package apply_test

import (
	"testing"

	"github.com/goalrelay/goalrelay/shared/apply"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// lastUpdateRecord is the record of the last goal update the simulator
// received.
func (e *env) lastUpdateRecord() map[string]any {
	e.t.Helper()
	reqs := e.sim.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Endpoint != gt.EndpointGoalUpdate {
			continue
		}
		body, _ := reqs[i].Body.(map[string]any)
		list, _ := body["requests"].([]any)
		if len(list) != 1 {
			e.t.Fatalf("update body %v", reqs[i].Body)
		}
		r, _ := list[0].(map[string]any)
		rec, _ := r["record"].(map[string]any)
		return rec
	}
	e.t.Fatal("no goal update was sent")
	return nil
}

// TestThinUpdateCarriesKeptNameAndStatus: an update must not leave Name
// and StatusName empty; a one-property change gets the values goalrelay
// last applied.
func TestThinUpdateCarriesKeptNameAndStatus(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("Reach 80% adoption"))))
	if failed := e.handle(ctx, e.batch(goalEvent("e2", "901", 1, map[string]any{"DueDate": "2027-01-31"}))); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	rec := e.lastUpdateRecord()
	if rec["Name"] != "Reach 80% adoption" || rec["StatusName"] != "On Track" || rec["DueDate"] != "2027-01-31" {
		t.Errorf("update record = %v, want the kept Name and StatusName", rec)
	}
	// A rename and a status change are kept too.
	e.handle(ctx, e.batch(goalEvent("e3", "901", 2, map[string]any{"Name": "Reach 90% adoption"})))
	e.handle(ctx, e.batch(goalEvent("e4", "901", 3, map[string]any{"StatusName": "At Risk"})))
	e.handle(ctx, e.batch(goalEvent("e5", "901", 4, map[string]any{"DueDate": "2027-02-28"})))
	rec = e.lastUpdateRecord()
	if rec["Name"] != "Reach 90% adoption" || rec["StatusName"] != "At Risk" {
		t.Errorf("update record = %v, want the renamed Name and the new status", rec)
	}
	if s := e.storedGoal(key901); s.Kept.Name != "Reach 90% adoption" || s.Kept.StatusName != "At Risk" {
		t.Errorf("state keeps %q / %q", s.Kept.Name, s.Kept.StatusName)
	}
	if dl := e.dlq(); len(dl) != 0 {
		t.Errorf("dead-lettered: %s", attr(dl[0], apply.AttrErrorMessage))
	}
}

// TestThinUpdateOfAFoundGoalCarriesFetchedNameAndStatus: a goal goalrelay
// did not create is found by the Fetch, which also reads its Name and
// status for the update.
func TestThinUpdateOfAFoundGoalCarriesFetchedNameAndStatus(t *testing.T) {
	e := newEnv(t)
	gsid := e.seedGoal("made by hand", key901)
	if failed := e.handle(t.Context(), e.batch(goalEvent("e1", "901", 0, map[string]any{"DueDate": "2027-01-31"}))); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	rec := e.lastUpdateRecord()
	if rec["Gsid"] != gsid || rec["Name"] != "made by hand" || (rec["StatusName"] != "At Risk" && rec["StatusId"] != e.sim.StatusID("At Risk")) {
		t.Errorf("update record = %v, want the fetched Name and status", rec)
	}
}
