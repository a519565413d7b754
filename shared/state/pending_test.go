package state_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/state"
)

// TestPendingWriteUntilApplied: a pending write is kept on the record by
// the lock's owner only, removed when a version is recorded, and bounded.
func TestPendingWriteUntilApplied(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	ctx := t.Context()
	p := state.PendingWrite{Version: t0.Add(5 * time.Second), EventIDs: []string{"v4", "v5"}, Event: []byte(`{"id":"v5"}`)}
	if err := s.PutPendingWrite(ctx, rec, "me", p); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("without the lock: %v, want ErrLocked", err)
	}
	if _, _, err := s.LockGoal(ctx, rec, "me", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPendingWrite(ctx, rec, "me", p); err != nil {
		t.Fatal(err)
	}
	g, _, err := s.GetGoal(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if g.Pending == nil || !g.Pending.Version.Equal(p.Version) || !bytes.Equal(g.Pending.Event, p.Event) {
		t.Fatalf("pending = %+v, want %+v", g.Pending, p)
	}
	got := slices.Sorted(slices.Values(g.Pending.EventIDs))
	if !slices.Equal(got, []string{"v4", "v5"}) {
		t.Errorf("event ids %v", got)
	}
	if err := s.PutGoalApplied(ctx, rec, "1CG0A", p.Version, "v5", state.Kept{}); err != nil {
		t.Fatal(err)
	}
	if g, _, _ := s.GetGoal(ctx, rec); g.Pending != nil {
		t.Errorf("pending write left after the version was recorded: %+v", g.Pending)
	}
	big := p
	big.Event = make([]byte, state.MaxPendingEvent+1)
	if err := s.PutPendingWrite(ctx, rec, "me", big); err == nil {
		t.Error("a pending write above MaxPendingEvent was kept")
	}
}

// TestClearPendingWrite: only the lock's owner removes a pending write.
func TestClearPendingWrite(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	ctx := t.Context()
	p := state.PendingWrite{Version: t0.Add(5 * time.Second), EventIDs: []string{"v4", "v5"}, Event: []byte(`{"id":"v5"}`)}
	if _, _, err := s.LockGoal(ctx, rec, "me", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPendingWrite(ctx, rec, "me", p); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearPendingWrite(ctx, rec, "other"); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("another owner: %v, want ErrLocked", err)
	}
	if g, _, _ := s.GetGoal(ctx, rec); g.Pending == nil {
		t.Fatal("another owner removed the pending write")
	}
	if err := s.ClearPendingWrite(ctx, rec, "me"); err != nil {
		t.Fatal(err)
	}
	if g, _, _ := s.GetGoal(ctx, rec); g.Pending != nil {
		t.Errorf("pending write left: %+v", g.Pending)
	}
}
