package apply_test

import (
	"testing"
	"time"
)

// A forged event dated 2300 is dead-lettered as FUTURE_EVENT_TIME without a
// call; it does not become the goal's version, so the genuine change that
// follows it is applied.
func TestFutureEventIsDeadLettered(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if failed := e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("created")))); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	forged := goalEvent("forged", "901", 0, map[string]any{"Name": "forged"})
	forged.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	before := e.sim.Stats().Calls
	if failed := e.handle(ctx, e.batch(forged)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if got := e.sim.Stats().Calls - before; got != 0 {
		t.Errorf("the forged event made %d calls", got)
	}
	dlq := e.dlq()
	if len(dlq) != 1 {
		t.Fatalf("DLQ holds %d messages, want the forged one", len(dlq))
	}
	if code := attr(dlq[0], "error_code"); code != "FUTURE_EVENT_TIME" {
		t.Errorf("DLQ error_code = %q, want FUTURE_EVENT_TIME", code)
	}
	if id := attr(dlq[0], "event_id"); id != "forged" {
		t.Errorf("DLQ event_id = %q, want forged", id)
	}
	if failed := e.handle(ctx, e.batch(goalEvent("e2", "901", 1, map[string]any{"Name": "genuine"}))); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "genuine" {
		t.Errorf("goal name = %q after a forged future event and a genuine change, want genuine", g.Name)
	}

	// Within the skew it is applied (a CRM clock slightly ahead).
	soon := goalEvent("e3", "901", 0, map[string]any{"Name": "soon"})
	soon.Time = time.Now().Add(4 * time.Minute)
	if failed := e.handle(ctx, e.batch(soon)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.Name != "soon" {
		t.Errorf("an event 4 minutes ahead (skew 5m) was not applied: %q", g.Name)
	}
}

// Claims are keyed by source and id: an event of another source that
// carries a HubSpot event's id does not make the genuine one a duplicate.
func TestClaimsAreKeyedBySourceAndID(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	squatter := goalEvent("hubspot:62515:deal:901:1764237600000", "901", 0, fullGoal("squatter"))
	squatter.Source = "acme/crm"
	if failed := e.handle(ctx, e.batch(squatter)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	genuine := goalEvent("hubspot:62515:deal:901:1764237600000", "901", 0, fullGoal("genuine"))
	if failed := e.handle(ctx, e.batch(genuine)); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	g, ok := e.sim.GoalByExternalID(key901)
	if !ok || g.Name != "genuine" {
		t.Errorf("HubSpot's goal = %+v, %v: its event was taken for a duplicate of another source's", g, ok)
	}
}
