package state_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/state"
)

const rec = "hubspot/portal/62515:901"

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 123456789, time.UTC)

func TestGetGoalMissing(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	g, ok, err := s.GetGoal(t.Context(), rec)
	if err != nil || ok {
		t.Fatalf("GetGoal = %+v, %v, %v; want not found", g, ok, err)
	}
}

func TestPutGoalVersion(t *testing.T) {
	type put struct {
		gsid    string
		version time.Time
		event   string
		wantErr error
	}
	tests := []struct {
		name string
		puts []put
		want state.Goal
	}{
		{
			name: "first write",
			puts: []put{{"1S01", t0, "e1", nil}},
			want: state.Goal{Gsid: "1S01", Version: t0, LastEventID: "e1"},
		},
		{
			name: "newer wins",
			puts: []put{{"1S01", t0, "e1", nil}, {"", t0.Add(time.Nanosecond), "e2", nil}},
			want: state.Goal{Gsid: "1S01", Version: t0.Add(time.Nanosecond), LastEventID: "e2"},
		},
		{
			name: "equal version is accepted (retry of the same change)",
			puts: []put{{"1S01", t0, "e1", nil}, {"1S01", t0, "e1", nil}},
			want: state.Goal{Gsid: "1S01", Version: t0, LastEventID: "e1"},
		},
		{
			name: "older is stale and changes nothing",
			puts: []put{{"1S01", t0, "e1", nil}, {"1S01", t0.Add(-time.Nanosecond), "e0", state.ErrStale}},
			want: state.Goal{Gsid: "1S01", Version: t0, LastEventID: "e1"},
		},
		{
			name: "stale wins over a gsid conflict",
			puts: []put{{"1S01", t0, "e1", nil}, {"1S99", t0.Add(-time.Hour), "e0", state.ErrStale}},
			want: state.Goal{Gsid: "1S01", Version: t0, LastEventID: "e1"},
		},
		{
			name: "another gsid conflicts",
			puts: []put{{"1S01", t0, "e1", nil}, {"1S99", t0.Add(time.Hour), "e2", state.ErrGsidConflict}},
			want: state.Goal{Gsid: "1S01", Version: t0, LastEventID: "e1"},
		},
		{
			name: "version without gsid, gsid later",
			puts: []put{{"", t0, "e1", nil}, {"1S01", t0.Add(time.Second), "e2", nil}},
			want: state.Goal{Gsid: "1S01", Version: t0.Add(time.Second), LastEventID: "e2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s, _, _ := newStore(t, c)
			for i, p := range tt.puts {
				err := s.PutGoalVersion(t.Context(), rec, p.gsid, p.version, p.event)
				if !errors.Is(err, p.wantErr) || (err != nil) != (p.wantErr != nil) {
					t.Fatalf("put %d: err = %v, want %v", i, err, p.wantErr)
				}
			}
			got, ok, err := s.GetGoal(t.Context(), rec)
			if err != nil || !ok {
				t.Fatalf("GetGoal: %v, %v", ok, err)
			}
			tt.want.RecordKey = rec
			tt.want.UpdatedAt = c.Now()
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("goal (-want +got):\n%s", d)
			}
		})
	}
}

func TestPutGoalVersionConflictError(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	if err := s.SetGsid(t.Context(), rec, "1S01"); err != nil {
		t.Fatal(err)
	}
	err := s.PutGoalVersion(t.Context(), rec, "1S02", t0, "e1")
	var ce *state.GsidConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *GsidConflictError", err)
	}
	if want := (&state.GsidConflictError{RecordKey: rec, Stored: "1S01", Attempted: "1S02"}); *ce != *want {
		t.Errorf("conflict = %+v, want %+v", ce, want)
	}
}

func TestPutGoalVersionRejectsZeroVersion(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	if err := s.PutGoalVersion(t.Context(), rec, "1S01", time.Time{}, "e1"); err == nil {
		t.Fatal("PutGoalVersion with a zero version succeeded")
	}
}

func TestGsid(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	ctx := t.Context()
	if err := s.SetGsid(ctx, rec, "1S01"); err != nil {
		t.Fatalf("SetGsid: %v", err)
	}
	if err := s.SetGsid(ctx, rec, "1S01"); err != nil {
		t.Fatalf("SetGsid same gsid again: %v", err)
	}
	err := s.SetGsid(ctx, rec, "1S02")
	var ce *state.GsidConflictError
	if !errors.As(err, &ce) || !errors.Is(err, state.ErrGsidConflict) || ce.Stored != "1S01" || ce.Attempted != "1S02" {
		t.Fatalf("SetGsid other gsid: err = %v, want conflict with stored 1S01", err)
	}
	if err := s.ReplaceGsid(ctx, rec, "1S09", "1S03"); !errors.As(err, &ce) || ce.Stored != "1S01" {
		t.Fatalf("ReplaceGsid from a wrong old gsid: err = %v, want conflict with stored 1S01", err)
	}
	if err := s.ReplaceGsid(ctx, rec, "1S01", "1S03"); err != nil {
		t.Fatalf("ReplaceGsid: %v", err)
	}
	g, _, err := s.GetGoal(ctx, rec)
	if err != nil || g.Gsid != "1S03" {
		t.Fatalf("GetGoal = %+v, %v; want gsid 1S03", g, err)
	}
}

// Two writers resolve different Gsids for one record at the same time:
// exactly one wins, and the loser learns the winner's Gsid.
func TestSetGsidRace(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	gsids := []string{"1SA", "1SB", "1SC", "1SD", "1SE", "1SF"}
	errs := make([]error, len(gsids))
	done := make(chan int)
	for i, g := range gsids {
		go func() { errs[i] = s.SetGsid(t.Context(), rec, g); done <- i }()
	}
	for range gsids {
		<-done
	}
	stored, _, err := s.GetGoal(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	wins := 0
	for i, err := range errs {
		var ce *state.GsidConflictError
		switch {
		case err == nil:
			wins++
			if gsids[i] != stored.Gsid {
				t.Errorf("winner %s but stored %s", gsids[i], stored.Gsid)
			}
		case errors.As(err, &ce):
			if ce.Stored != stored.Gsid {
				t.Errorf("loser %s told stored %s, stored is %s", gsids[i], ce.Stored, stored.Gsid)
			}
		default:
			t.Errorf("SetGsid(%s): %v", gsids[i], err)
		}
	}
	if wins != 1 {
		t.Errorf("%d winners, want 1", wins)
	}
}

func TestCreatePending(t *testing.T) {
	type step struct {
		name string
		do   func(*state.Store) error
		// want after the step
		pending bool
		eventID string
	}
	tests := []struct {
		name    string
		steps   []step
		wantErr error // of the last step
	}{
		{
			name: "create resolved by SetGsid",
			steps: []step{
				{"mark", func(s *state.Store) error { return s.MarkCreating(t.Context(), rec, "e1") }, true, "e1"},
				{"set", func(s *state.Store) error { return s.SetGsid(t.Context(), rec, "1S01") }, false, ""},
			},
		},
		{
			name: "create resolved by PutGoalVersion with a gsid",
			steps: []step{
				{"mark", func(s *state.Store) error { return s.MarkCreating(t.Context(), rec, "e1") }, true, "e1"},
				{"version only", func(s *state.Store) error { return s.PutGoalVersion(t.Context(), rec, "", t0, "e1") }, true, "e1"},
				{"with gsid", func(s *state.Store) error { return s.PutGoalVersion(t.Context(), rec, "1S01", t0, "e1") }, false, ""},
			},
		},
		{
			name: "another event replaces the marker; only its owner clears it",
			steps: []step{
				{"mark e1", func(s *state.Store) error { return s.MarkCreating(t.Context(), rec, "e1") }, true, "e1"},
				{"mark e2", func(s *state.Store) error { return s.MarkCreating(t.Context(), rec, "e2") }, true, "e2"},
				{"clear e1", func(s *state.Store) error { return s.ClearCreating(t.Context(), rec, "e1") }, true, "e2"},
				{"clear e2", func(s *state.Store) error { return s.ClearCreating(t.Context(), rec, "e2") }, false, ""},
				{"clear again", func(s *state.Store) error { return s.ClearCreating(t.Context(), rec, "e2") }, false, ""},
			},
		},
		{
			name: "no create once the gsid is known",
			steps: []step{
				{"set", func(s *state.Store) error { return s.SetGsid(t.Context(), rec, "1S01") }, false, ""},
				{"mark", func(s *state.Store) error { return s.MarkCreating(t.Context(), rec, "e1") }, false, ""},
			},
			wantErr: state.ErrGsidConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s, _, _ := newStore(t, c)
			for i, st := range tt.steps {
				c.Advance(time.Second)
				err := st.do(s)
				if i == len(tt.steps)-1 && tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("%s: err = %v, want %v", st.name, err, tt.wantErr)
					}
				} else if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				g, _, err := s.GetGoal(t.Context(), rec)
				if err != nil {
					t.Fatal(err)
				}
				if g.CreatePending != st.pending || g.CreateEventID != st.eventID {
					t.Errorf("after %s: pending %v by %q, want %v by %q", st.name, g.CreatePending, g.CreateEventID, st.pending, st.eventID)
				}
				if g.CreatePending && !g.CreateStartedAt.After(newClock().Now()) {
					t.Errorf("after %s: CreateStartedAt = %v", st.name, g.CreateStartedAt)
				}
			}
		})
	}
}

func TestMarkCreatingConflictNamesGsid(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	if err := s.PutGoalVersion(t.Context(), rec, "1S01", t0, "e1"); err != nil {
		t.Fatal(err)
	}
	err := s.MarkCreating(t.Context(), rec, "e2")
	var ce *state.GsidConflictError
	if !errors.As(err, &ce) || ce.Stored != "1S01" || ce.Attempted != "" {
		t.Fatalf("MarkCreating = %v, want conflict naming 1S01", err)
	}
}
