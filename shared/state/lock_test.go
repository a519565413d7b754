package state_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/state"
)

func TestLockGoal(t *testing.T) {
	c := newClock()
	s, _, _ := newStore(t, c)
	ctx := t.Context()

	g, ok, err := s.LockGoal(ctx, rec, "a", time.Minute)
	if err != nil || ok || g.Gsid != "" {
		t.Fatalf("first lock = %+v, %v, %v; want an empty, unseen record", g, ok, err)
	}
	// Another owner is refused while the lease runs; the holder may lock again.
	_, _, err = s.LockGoal(ctx, rec, "b", time.Minute)
	var locked *state.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, state.ErrLocked) || locked.Owner != "a" || !locked.Until.Equal(c.Now().Add(time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("second owner: %v, want a LockedError naming a until the lease ends", err)
	}
	if _, _, err := s.LockGoal(ctx, rec, "a", time.Minute); err != nil {
		t.Fatalf("holder relocks: %v", err)
	}

	// The record's state comes back with the lock.
	if err := s.PutGoalVersion(ctx, rec, "1CG0A", t0, "e1"); err != nil {
		t.Fatal(err)
	}
	// b cannot unlock a's lock; a can.
	if err := s.UnlockGoal(ctx, rec, "b"); err != nil {
		t.Fatalf("unlock by a non-holder: %v", err)
	}
	if _, _, err := s.LockGoal(ctx, rec, "b", time.Minute); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("the non-holder's unlock released the lock: %v", err)
	}
	if err := s.UnlockGoal(ctx, rec, "a"); err != nil {
		t.Fatal(err)
	}
	g, ok, err = s.LockGoal(ctx, rec, "b", time.Minute)
	if err != nil || !ok || g.Gsid != "1CG0A" || !g.Version.Equal(t0) || g.LastEventID != "e1" {
		t.Fatalf("lock after unlock = %+v, %v, %v", g, ok, err)
	}

	// A holder that died: its lease expires and another owner takes over.
	c.Advance(time.Minute)
	if _, _, err := s.LockGoal(ctx, rec, "c", time.Minute); err != nil {
		t.Fatalf("lock after the lease expired: %v", err)
	}
	// The lock does not disturb the goal record's other writes.
	if err := s.PutGoalVersion(ctx, rec, "1CG0A", t0.Add(time.Second), "e2"); err != nil {
		t.Fatal(err)
	}
	if g, _, _ := s.GetGoal(ctx, rec); g.LastEventID != "e2" {
		t.Errorf("goal = %+v", g)
	}
}

func TestLockGoalRace(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.LockGoal(t.Context(), rec, fmt.Sprint("owner-", i), time.Minute)
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, state.ErrLocked):
				t.Errorf("LockGoal: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d owners took the lock, want 1", won)
	}
}

func TestForgetGsid(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	ctx := t.Context()
	if err := s.PutGoalVersion(ctx, rec, "1CG0A", t0, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetGsid(ctx, rec, "1CG0OTHER"); err != nil {
		t.Fatal(err)
	}
	if g, _, _ := s.GetGoal(ctx, rec); g.Gsid != "1CG0A" {
		t.Fatalf("another gsid was forgotten: %+v", g)
	}
	if err := s.ForgetGsid(ctx, rec, "1CG0A"); err != nil {
		t.Fatal(err)
	}
	g, _, _ := s.GetGoal(ctx, rec)
	if g.Gsid != "" || !g.Version.Equal(t0) {
		t.Errorf("after ForgetGsid: %+v; want no gsid and the version kept", g)
	}
}
