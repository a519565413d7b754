package quota_test

import (
	"errors"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/quota"
)

// strike takes a unit and reports a 429 without Retry-After for it.
func (f fixture) strike(t *testing.T) quota.Verdict {
	t.Helper()
	f.takeN(t, 1)
	v, err := f.lim.RateLimited(t.Context(), 0)
	if err != nil {
		t.Fatalf("RateLimited: %v", err)
	}
	return v
}

// daySpent checks that Take refuses at once with the day-spent error and
// returns it.
func (f fixture) daySpent(t *testing.T) *quota.LimitError {
	t.Helper()
	err := f.lim.Take(t.Context())
	var le *quota.LimitError
	if !errors.Is(err, quota.ErrDailyExhausted) || !errors.As(err, &le) || le.Limit != quota.LimitDaySpent {
		t.Fatalf("Take = %v, want ErrDailyExhausted with limit %s", err, quota.LimitDaySpent)
	}
	if w := f.clock.Waiting(); len(w) != 0 {
		t.Errorf("Take waits on a spent day: timers %v", w)
	}
	return le
}

// Two 429s without Retry-After, each in a fresh minute window, in two
// minute windows: the day is marked spent for every consumer until the
// next UTC day, one probe an hour goes through, and DayBack clears it.
func TestRateLimitedMarksTheDaySpent(t *testing.T) {
	f := newFixture(t, start, nil)
	other := quota.New(f.client, f.table, func(o *quota.Options) { o.Now, o.After = f.clock.Now, f.clock.After })

	if v := f.strike(t); !v.Strike || v.Marked || v.DaySpent != nil {
		t.Fatalf("first 429 = %+v, want a strike only", v)
	}
	// The window is penalised: the next unit is in the next window.
	next := w0.Add(time.Minute + guard)
	f.clock.Set(next)
	v := f.strike(t)
	if !v.Strike || !v.Marked || v.DaySpent == nil {
		t.Fatalf("second 429 = %+v, want the day marked", v)
	}
	wantProbe := next.Add(time.Hour)
	wantReset := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC).Add(guard)
	if !v.DaySpent.Probe.Equal(wantProbe) || !v.DaySpent.Resets.Equal(wantReset) {
		t.Errorf("DaySpent = %+v, want probe %s, resets %s", v.DaySpent, wantProbe, wantReset)
	}

	// Every consumer is refused, without waiting, with the same times.
	f.clock.Set(next.Add(10 * time.Second))
	for _, l := range []*quota.Limiter{f.lim, other} {
		f := f
		f.lim = l
		le := f.daySpent(t)
		if !le.Probe.Equal(wantProbe) || !le.Resets.Equal(wantReset) {
			t.Errorf("LimitError = %+v", le)
		}
	}
	r, err := f.lim.Remaining(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !r.DaySpentByOthers || r.DayLeft != 0 || !r.NextProbe.Equal(wantProbe) {
		t.Errorf("Remaining = %+v, want the day spent, next probe %s", r, wantProbe)
	}
	// Another 429 (a call taken before the mark) reports the mark without
	// marking again.
	if v, err := other.RateLimited(t.Context(), 0); err != nil || v.Marked || v.DaySpent == nil {
		t.Errorf("a later 429 = %+v, %v; want the mark reported, not made", v, err)
	}

	// At the probe time exactly one consumer gets a unit, the probe.
	f.clock.Set(wantProbe)
	p1, err1 := f.lim.TakeProbe(t.Context())
	p2, err2 := other.TakeProbe(t.Context())
	if err1 != nil || !p1 {
		t.Fatalf("first TakeProbe at the probe time = %v, %v; want the probe", p1, err1)
	}
	var le *quota.LimitError
	if !errors.As(err2, &le) || le.Limit != quota.LimitDaySpent || p2 {
		t.Fatalf("second TakeProbe = %v, %v; want the day-spent error", p2, err2)
	}
	if want := wantProbe.Add(time.Hour); !le.Probe.Equal(want) {
		t.Errorf("next probe %s, want %s", le.Probe, want)
	}
	// The probe met a 429 again: still marked, no new mark.
	if v, err := f.lim.RateLimited(t.Context(), 0); err != nil || v.Marked || v.DaySpent == nil {
		t.Errorf("the probe's 429 = %+v, %v", v, err)
	}
	f.clock.Set(wantProbe.Add(time.Minute + guard))
	f.daySpent(t)

	// The next probe is answered: DayBack clears the mark and its strikes.
	f.clock.Set(wantProbe.Add(time.Hour))
	if p, err := f.lim.TakeProbe(t.Context()); err != nil || !p {
		t.Fatalf("TakeProbe = %v, %v; want the probe", p, err)
	}
	if err := f.lim.DayBack(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p, err := other.TakeProbe(t.Context()); err != nil || p {
		t.Fatalf("TakeProbe after DayBack = %v, %v; want an ordinary unit", p, err)
	}
	// One 429 after DayBack is a first strike again, not a mark.
	f.clock.Set(wantProbe.Add(time.Hour + time.Minute + guard))
	if v := f.strike(t); !v.Strike || v.Marked {
		t.Errorf("429 after DayBack = %+v, want a first strike", v)
	}
}

// The mark ends with the UTC day.
func TestDaySpentMarkEndsWithTheDay(t *testing.T) {
	at := time.Date(2026, 11, 27, 23, 50, 10, 0, time.UTC)
	f := newFixture(t, at, nil)
	f.strike(t)
	f.clock.Set(at.Add(time.Minute))
	if v := f.strike(t); !v.Marked {
		t.Fatalf("second 429 = %+v, want the mark", v)
	}
	le := f.daySpent(t)
	f.clock.Set(le.Resets)
	if p, err := f.lim.TakeProbe(t.Context()); err != nil || p {
		t.Fatalf("TakeProbe on the next day = %v, %v; want an ordinary unit", p, err)
	}
}

// What is not a strike, or not a pair of strikes.
func TestRateLimitedDoesNotMarkTheDay(t *testing.T) {
	tests := []struct {
		name string
		// run reports 429s (and moves the clock); the day must stay unmarked.
		run func(t *testing.T, f fixture)
	}{
		{name: "with Retry-After, in two windows", run: func(t *testing.T, f fixture) {
			for i := range 2 {
				f.clock.Set(start.Add(time.Duration(i) * time.Minute))
				f.takeN(t, 1)
				if v, err := f.lim.RateLimited(t.Context(), 5*time.Second); err != nil || v.Strike || v.Marked {
					t.Fatalf("RateLimited = %+v, %v", v, err)
				}
			}
		}},
		{name: "two in one window", run: func(t *testing.T, f fixture) {
			f.strike(t)
			f.clock.Set(start.Add(time.Second))
			if v, err := f.lim.RateLimited(t.Context(), 0); err != nil || v.Strike || v.Marked {
				t.Fatalf("RateLimited = %+v, %v", v, err)
			}
		}},
		{name: "a busy window, then a fresh one", run: func(t *testing.T, f fixture) {
			// 45 of 90 units taken: not fresh.
			f.takeN(t, quota.DefaultPerMinute/2)
			if v, err := f.lim.RateLimited(t.Context(), 0); err != nil || v.Strike {
				t.Fatalf("RateLimited in a busy window = %+v, %v", v, err)
			}
			f.clock.Set(w0.Add(time.Minute + guard))
			if v := f.strike(t); !v.Strike || v.Marked {
				t.Fatalf("RateLimited in the fresh window = %+v, want a first strike", v)
			}
		}},
		{name: "strikes more than 15 minutes apart", run: func(t *testing.T, f fixture) {
			f.strike(t)
			f.clock.Set(w0.Add(16*time.Minute + guard))
			if v := f.strike(t); !v.Strike || v.Marked {
				t.Fatalf("late strike = %+v, want a first strike", v)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, start, nil)
			tt.run(t, f)
			r, err := f.lim.Remaining(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if r.DaySpentByOthers {
				t.Errorf("Remaining = %+v: the day is marked", r)
			}
			f.clock.Set(f.clock.Now().Add(2 * time.Minute).Truncate(time.Minute).Add(time.Second))
			if err := f.lim.Take(t.Context()); err != nil {
				t.Errorf("Take in a later window: %v", err)
			}
		})
	}
}

// The probe waits for a Retry-After that runs, like any unit.
func TestProbeHonoursRetryAfter(t *testing.T) {
	f := newFixture(t, start, nil)
	f.strike(t)
	f.clock.Set(w0.Add(time.Minute + guard))
	v := f.strike(t)
	probe := v.DaySpent.Probe
	f.clock.Set(probe.Add(-time.Minute))
	// A 503 with Retry-After 2 minutes, noted just before the probe.
	if err := f.lim.Penalize(t.Context(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(probe)
	ch := make(chan error, 1)
	go func() {
		p, err := f.lim.TakeProbe(t.Context())
		if err == nil && !p {
			err = errors.New("not the probe")
		}
		ch <- err
	}()
	until := probe.Add(time.Minute + guard)
	for {
		w := f.clock.awaitWaiting(t, 1)
		if w[0].After(until) {
			t.Fatalf("waits until %s, past %s", w[0], until)
		}
		f.clock.Set(w[0])
		if w[0].Equal(until) {
			break
		}
	}
	if err := receive(t, ch); err != nil {
		t.Fatalf("TakeProbe after the Retry-After: %v", err)
	}
}

// Consumers that all find the probe due at once: exactly one gets it.
func TestOneProbeAmongConcurrentConsumers(t *testing.T) {
	f := newFixture(t, start, nil)
	f.strike(t)
	f.clock.Set(w0.Add(time.Minute + guard))
	probe := f.strike(t).DaySpent.Probe
	f.clock.Set(probe)
	const consumers = 8
	type res struct {
		probe bool
		err   error
	}
	ch := make(chan res, consumers)
	for range consumers {
		go func() {
			l := quota.New(f.client, f.table, func(o *quota.Options) { o.Now, o.After = f.clock.Now, f.clock.After })
			p, err := l.TakeProbe(t.Context())
			ch <- res{p, err}
		}()
	}
	probes := 0
	for range consumers {
		select {
		case r := <-ch:
			switch {
			case r.err == nil && r.probe:
				probes++
			case errors.Is(r.err, quota.ErrDailyExhausted):
			default:
				t.Errorf("TakeProbe = %v, %v", r.probe, r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("TakeProbe did not return")
		}
	}
	if probes != 1 {
		t.Errorf("%d probes, want 1", probes)
	}
}
