package state_test

import (
	"errors"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/state"
)

func TestPutGoalAppliedKeepsNameAndStatus(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	ctx := t.Context()
	steps := []struct {
		kept state.Kept
		want state.Kept
	}{
		{state.Kept{Name: "n1", StatusName: "On Track"}, state.Kept{Name: "n1", StatusName: "On Track"}},
		{state.Kept{}, state.Kept{Name: "n1", StatusName: "On Track"}},                     // a thin event keeps both
		{state.Kept{Name: "n2"}, state.Kept{Name: "n2", StatusName: "On Track"}},           // a rename
		{state.Kept{StatusID: "1I00X"}, state.Kept{Name: "n2", StatusID: "1I00X"}},         // status by Gsid forgets the name
		{state.Kept{StatusName: "At Risk"}, state.Kept{Name: "n2", StatusName: "At Risk"}}, // and back
	}
	for i, st := range steps {
		if err := s.PutGoalApplied(ctx, rec, "1CG0A", t0.Add(time.Duration(i)*time.Second), "e", st.kept); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		g, _, err := s.GetGoal(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		if g.Kept != st.want || g.Gsid != "1CG0A" {
			t.Errorf("step %d: kept %+v gsid %q, want %+v", i, g.Kept, g.Gsid, st.want)
		}
	}
	// A stale write keeps nothing.
	err := s.PutGoalApplied(ctx, rec, "", t0, "old", state.Kept{Name: "stale"})
	if !errors.Is(err, state.ErrStale) {
		t.Fatalf("older write: %v, want ErrStale", err)
	}
	if g, _, _ := s.GetGoal(ctx, rec); g.Kept.Name != "n2" {
		t.Errorf("a stale write changed the kept name to %q", g.Kept.Name)
	}
	// The lock sees what is kept.
	g, _, err := s.LockGoal(ctx, rec, "me", time.Minute)
	if err != nil || g.Kept.Name != "n2" || g.Kept.StatusName != "At Risk" {
		t.Errorf("LockGoal = %+v, %v", g.Kept, err)
	}
}
