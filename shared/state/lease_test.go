package state_test

import (
	"errors"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/state"
)

func TestExtendKeepsAShortLeaseAlive(t *testing.T) {
	c := newClock()
	s, _, _ := newStore(t, c)
	ctx := t.Context()
	const lease = 40 * time.Second

	cl, err := s.Begin(ctx, ev, lease)
	if err != nil {
		t.Fatal(err)
	}
	// Renewed every 20 s, the claim outlives many leases.
	for range 5 {
		c.Advance(20 * time.Second)
		if cl, err = s.Extend(ctx, cl, lease); err != nil {
			t.Fatalf("extend: %v", err)
		}
		if !cl.LeaseUntil.Equal(c.Now().Add(lease).Truncate(time.Millisecond)) {
			t.Errorf("LeaseUntil = %s, want now + %s", cl.LeaseUntil, lease)
		}
		if _, err := s.Begin(ctx, ev, lease); !errors.Is(err, state.ErrBusy) {
			t.Fatalf("another consumer's Begin while renewed: %v, want ErrBusy", err)
		}
	}
	// Not renewed: free one lease after the last renewal, taken over.
	c.Advance(lease)
	next, err := s.Begin(ctx, ev, lease)
	if err != nil || !next.Resumed {
		t.Fatalf("Begin after the lease ran out = %+v, %v; want a resumed claim", next, err)
	}
	// The old claim can no longer renew; the new one can, and not after
	// it completed.
	if _, err := s.Extend(ctx, cl, lease); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("old claim's Extend = %v, want ErrLeaseLost", err)
	}
	if _, err := s.Extend(ctx, next, lease); err != nil {
		t.Errorf("new claim's Extend: %v", err)
	}
	if err := s.Complete(ctx, next, 0, state.Story{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Extend(ctx, next, lease); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("Extend after Complete = %v, want ErrLeaseLost", err)
	}
}

func TestExtendLockNeverTakesALock(t *testing.T) {
	c := newClock()
	s, _, _ := newStore(t, c)
	ctx := t.Context()
	const lease = 40 * time.Second

	if _, _, err := s.LockGoal(ctx, rec, "a", lease); err != nil {
		t.Fatal(err)
	}
	c.Advance(30 * time.Second)
	if err := s.ExtendLock(ctx, rec, "a", lease); err != nil {
		t.Fatalf("holder extends: %v", err)
	}
	c.Advance(30 * time.Second) // 60 s after the lock, 30 s after the renewal
	if _, _, err := s.LockGoal(ctx, rec, "b", lease); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("b locks a renewed lock: %v, want ErrLocked", err)
	}
	if err := s.ExtendLock(ctx, rec, "b", lease); !errors.Is(err, state.ErrLockLost) {
		t.Errorf("non-holder extends: %v, want ErrLockLost", err)
	}
	// A renewal after the unlock leaves the record unlocked.
	if err := s.UnlockGoal(ctx, rec, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.ExtendLock(ctx, rec, "a", lease); !errors.Is(err, state.ErrLockLost) {
		t.Errorf("extend after unlock: %v, want ErrLockLost", err)
	}
	if _, _, err := s.LockGoal(ctx, rec, "b", lease); err != nil {
		t.Errorf("b locks after a's unlock: %v", err)
	}
}
