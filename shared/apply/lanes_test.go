package apply_test

import (
	"context"
	"testing"
	"time"

	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// TestSlowGroupDoesNotHoldTheBatch: Gainsight never answers one of two
// updates of a batch (different records, so different groups). The other
// is applied meanwhile in its own lane; worked on one after another, it
// would wait for the hung call until the deadline and go back unattempted.
func TestSlowGroupDoesNotHoldTheBatch(t *testing.T) {
	e := newEnv(t)
	e.warm()
	ctx := t.Context()
	if failed := e.handle(ctx, e.batch(goalEvent("a0", "901", 0, fullGoal("a0")), goalEvent("b0", "902", 0, fullGoal("b0")))); len(failed) != 0 {
		t.Fatalf("set-up failed: %v", failed)
	}
	e.sim.FailNext(1, gt.FaultHang)
	hctx, cancel := context.WithTimeout(ctx, 4*time.Second) // calls cut off at 3 s (the env's 1 s margin)
	defer cancel()
	b := e.batch(goalEvent("a1", "901", 1, map[string]any{"Name": "a1"}), goalEvent("b1", "902", 1, map[string]any{"Name": "b1"}))
	failed := e.handle(hctx, b)
	if len(failed) != 1 {
		t.Fatalf("failed = %v, want only the message whose call hung; logs:\n%s", failed, e.logs)
	}
	a, _ := e.sim.GoalByExternalID(key901)
	other, _ := e.sim.GoalByExternalID("hubspot/portal/62515:902")
	if (a.Name == "a1") == (other.Name == "b1") {
		t.Errorf("goals %q and %q: want exactly one updated", a.Name, other.Name)
	}
}
