package state_test

import (
	"errors"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/state"
)

// Every CRM time from year 1 to 9999 round-trips through the stored
// version, and last-write-wins holds across the int64-nanosecond range
// (1678–2262) that the version once overflowed.
func TestVersionRange(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto_server")
	}
	s, _, _ := newStore(t, newClock())
	times := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), // 0001-01-01T00:00:00Z itself is the zero time: "no version"
		time.Date(1, 6, 1, 12, 0, 0, 0, time.UTC),
		time.Date(1677, 9, 21, 0, 12, 43, 145224191, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC),
		time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC),
		time.Date(2262, 4, 11, 23, 47, 16, 854775808, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for i, v := range times {
		rec := "roundtrip:" + v.Format(time.RFC3339Nano)
		if err := s.PutGoalVersion(t.Context(), rec, "", v, "e"); err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		g, ok, err := s.GetGoal(t.Context(), rec)
		if err != nil || !ok || !g.Version.Equal(v) {
			t.Errorf("%d: %v read back as %v (%v, %v)", i, v, g.Version, ok, err)
		}
	}
	// In order, each later time is accepted and every earlier one is then
	// stale: the stored numbers order like the times.
	const rec = "ordered:1"
	for i, v := range times {
		if err := s.PutGoalVersion(t.Context(), rec, "", v, "e"+v.String()); err != nil {
			t.Fatalf("%v after %v: %v", v, times[max(i-1, 0)], err)
		}
		for _, older := range times[:i] {
			if err := s.PutGoalVersion(t.Context(), rec, "", older, "old"); !errors.Is(err, state.ErrStale) {
				t.Fatalf("%v after %v = %v, want ErrStale", older, v, err)
			}
		}
	}
}
