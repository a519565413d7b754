package apply_test

import (
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
)

// storedGoal reads the state table's record of key.
func (e *env) storedGoal(key string) state.Goal {
	e.t.Helper()
	g, _, err := state.New(e.db, e.table).GetGoal(e.t.Context(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// seedGoal creates a goal with the external id straight through the API,
// as another integration or a person would, and returns its Gsid.
func (e *env) seedGoal(name, externalID string) string {
	e.t.Helper()
	resp, err := e.svc.Gainsight.CreateGoal(e.t.Context(), &gainsight.CreateGoalRequest{
		Record: gainsight.GoalRecord{Name: name, StatusName: "At Risk", EntityType: "COMPANY", CompanyName: "IBM",
			Fields: map[string]any{apply.DefaultExternalIDField: externalID}},
		Lookups: gainsight.CompanyLookups(),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.Goal.Gsid
}

// TestTwoGoalsWithOneExternalIDGoToDLQ: Gainsight holds two goals for one
// CRM record. No write; the event goes to the DLQ naming both.
func TestTwoGoalsWithOneExternalIDGoToDLQ(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	a, b := e.seedGoal("one", key901), e.seedGoal("two", key901)
	e.sim.ResetStats()
	if failed := e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fullGoal("x")))); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	dl := e.dlq()
	if len(dl) != 1 {
		t.Fatalf("DLQ holds %d messages, want 1", len(dl))
	}
	if c := attr(dl[0], apply.AttrErrorCode); c != "AMBIGUOUS_EXTERNAL_ID" {
		t.Errorf("error code = %q (%s), want AMBIGUOUS_EXTERNAL_ID", c, attr(dl[0], apply.AttrErrorMessage))
	}
	msg := attr(dl[0], apply.AttrErrorMessage)
	mustContain(t, msg, a)
	mustContain(t, msg, b)
	if c, u := e.calls(gt.EndpointGoalCreate), e.calls(gt.EndpointGoalUpdate); c+u != 0 {
		t.Errorf("%d creates and %d updates, want none", c, u)
	}
	if s := e.storedGoal(key901); s.Gsid != "" {
		t.Errorf("state adopted gsid %q", s.Gsid)
	}
}

// TestAmbiguousExternalIDNamesAtMostFive bounds the message.
func TestAmbiguousExternalIDNamesAtMostFive(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, e.seedGoal("dup", key901))
	}
	e.handle(t.Context(), e.batch(goalEvent("e1", "901", 0, map[string]any{"Name": "x"})))
	dl := e.dlq()
	if len(dl) != 1 || attr(dl[0], apply.AttrErrorCode) != "AMBIGUOUS_EXTERNAL_ID" {
		t.Fatalf("DLQ = %d messages", len(dl))
	}
	msg := attr(dl[0], apply.AttrErrorMessage)
	named := 0
	for _, id := range ids {
		if strings.Contains(msg, id) {
			named++
		}
	}
	if named != 5 {
		t.Errorf("message names %d Gsids, want 5: %s", named, msg)
	}
}
