package quota_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/quota"
)

// estimator returns a Limiter for Observe and Estimate only (no table).
func estimator(opt func(*quota.Options)) *quota.Limiter {
	return quota.New(nil, "unused", func(o *quota.Options) {
		if opt != nil {
			opt(o)
		}
	})
}

// reply is what gainsight.Options.OnResponse reports for a call sent at
// sent on our clock, taking rtt, to a server whose clock is ours plus
// offset and stamps its whole-second Date halfway through.
func reply(sent time.Time, rtt, offset time.Duration) (time.Time, time.Time, time.Time) {
	return sent, sent.Add(rtt), sent.Add(rtt / 2).Add(offset).Truncate(time.Second)
}

func TestEstimateBeforeObservations(t *testing.T) {
	l := estimator(nil)
	if e := l.Estimate(); e.Guard != guard || e.Samples != 0 {
		t.Fatalf("estimate %+v, want the SkewGuard %s", e, guard)
	}
	l = estimator(func(o *quota.Options) { o.SkewGuard = 2 * time.Second })
	if g := l.Estimate().Guard; g != 2*time.Second {
		t.Fatalf("guard %s, want the configured SkewGuard", g)
	}
}

// The request time is the p99 of the recent replies: one slow reply in
// 128 does not count, two do.
func TestEstimateRequestP99(t *testing.T) {
	l := estimator(nil)
	at := start
	for i := range 128 {
		rtt := 40 * time.Millisecond
		if i == 64 {
			rtt = 900 * time.Millisecond
		}
		l.Observe(at, at.Add(rtt), time.Time{})
		at = at.Add(100 * time.Millisecond)
	}
	e := l.Estimate()
	if e.Request != 40*time.Millisecond {
		t.Fatalf("request p99 %s, want 40ms", e.Request)
	}
	if want := 40*time.Millisecond + guard; e.Guard != want { // no Date: offset 0; margin Window/600
		t.Fatalf("guard %s, want %s", e.Guard, want)
	}
	l.Observe(at, at.Add(900*time.Millisecond), time.Time{})
	if e := l.Estimate(); e.Request != 900*time.Millisecond {
		t.Fatalf("request p99 %s after a second slow reply, want 900ms", e.Request)
	}
	// The ring holds 128: after 128 more fast replies the slow ones are gone.
	for range 128 {
		l.Observe(at, at.Add(40*time.Millisecond), time.Time{})
		at = at.Add(100 * time.Millisecond)
	}
	if e := l.Estimate(); e.Request != 40*time.Millisecond || e.Samples != 128 {
		t.Fatalf("estimate %+v after the slow replies left the ring", e)
	}
}

// Whole-second Date headers pin the offset to about a request time once
// the replies have come at different sub-second phases; the guard is
// p99 request + |offset| + margin.
func TestEstimateOffsetFromDate(t *testing.T) {
	for _, offset := range []time.Duration{-1500 * time.Millisecond, 150 * time.Millisecond, 2300 * time.Millisecond} {
		t.Run(offset.String(), func(t *testing.T) {
			l := estimator(nil)
			rtt := 40 * time.Millisecond
			at := start
			l.Observe(reply(at, rtt, offset))
			if e := l.Estimate(); e.OffsetHigh-e.OffsetLow < time.Second-rtt {
				t.Fatalf("one reply pins the offset to %s..%s, narrower than a second allows", e.OffsetLow, e.OffsetHigh)
			}
			for range 40 {
				at = at.Add(1237 * time.Millisecond) // phases all over the second
				l.Observe(reply(at, rtt, offset))
			}
			e := l.Estimate()
			if e.OffsetLow > offset || e.OffsetHigh < offset {
				t.Fatalf("offset %s outside the estimate %s..%s", offset, e.OffsetLow, e.OffsetHigh)
			}
			if w := e.OffsetHigh - e.OffsetLow; w > rtt+30*time.Millisecond {
				t.Fatalf("offset estimate %s..%s is %s wide, want about the request time %s", e.OffsetLow, e.OffsetHigh, w, rtt)
			}
			if want := rtt + e.Offset + guard; e.Guard != want || e.Offset < offset.Abs() {
				t.Fatalf("guard %s, want %s (offset %s)", e.Guard, want, e.Offset)
			}
		})
	}
}

// A clock step: intervals that contradict the newer ones are dropped, so
// the estimate follows the new offset at once.
func TestEstimateClockStep(t *testing.T) {
	l := estimator(nil)
	rtt := 20 * time.Millisecond
	at := start
	for range 40 {
		at = at.Add(1237 * time.Millisecond)
		l.Observe(reply(at, rtt, 0))
	}
	for range 40 {
		at = at.Add(1237 * time.Millisecond)
		l.Observe(reply(at, rtt, -3*time.Second))
	}
	if e := l.Estimate(); e.OffsetLow > -3*time.Second || e.OffsetHigh < -3*time.Second || e.OffsetHigh > -2*time.Second {
		t.Fatalf("after the step: offset %s..%s, want about -3s", e.OffsetLow, e.OffsetHigh)
	}
}

// Observations older than 15 windows before the newest are ignored; the
// guard is clamped to MaxSkewGuard.
func TestEstimateAgeAndClamp(t *testing.T) {
	l := estimator(nil)
	l.Observe(start, start.Add(20*time.Second), time.Time{})
	if e := l.Estimate(); e.Guard != 15*time.Second { // Window/4
		t.Fatalf("guard %s, want the cap 15s", e.Guard)
	}
	later := start.Add(16 * time.Minute)
	l.Observe(later, later.Add(50*time.Millisecond), time.Time{})
	if e := l.Estimate(); e.Request != 50*time.Millisecond {
		t.Fatalf("request p99 %s, want the old 20 s reply aged out", e.Request)
	}
	l = estimator(func(o *quota.Options) { o.ConstantGuard = true })
	l.Observe(start, start.Add(20*time.Second), time.Time{})
	if g := l.Estimate().Guard; g != guard {
		t.Fatalf("ConstantGuard: guard %s, want %s", g, guard)
	}
}

// autoClock advances itself by each wait (After fires at once), so a
// backlog runs in no real time.
type autoClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *autoClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *autoClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *autoClock) After(d time.Duration) <-chan time.Time {
	c.advance(max(d, 0))
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

// fixedWindows is Gainsight's quota: limit calls per window of its own
// clock, by arrival; a call over it is a 429.
type fixedWindows struct {
	limit  int
	window time.Duration
	n      map[time.Time]int
	n429   int
}

func (g *fixedWindows) arrive(at time.Time) bool {
	w := at.Truncate(g.window)
	if g.n[w] >= g.limit {
		g.n429++
		return false
	}
	g.n[w]++
	return true
}

// A backlog at the tenant's exact limit (10 calls a minute both sides),
// Gainsight's clock 1.5 s behind ours, requests of 40 ms (20 ms each way).
// With the constant 100 ms guard the first call of our next minute
// arrives in Gainsight's previous, full one: a 429. With the guard sized
// from the calls' replies, every call lands in the window it was counted
// in: no 429, every full window of Gainsight used to the last call.
func TestGuardAtExactLimitWithOffset(t *testing.T) {
	for _, tc := range []struct {
		name     string
		constant bool
	}{{"constant", true}, {"adaptive", false}} {
		t.Run(tc.name, func(t *testing.T) {
			const limit = 10
			offset, oneWay := -1500*time.Millisecond, 20*time.Millisecond
			clock := &autoClock{now: w0.Add(30 * time.Second)}
			client, table := newTable(t)
			lim := quota.New(client, table, func(o *quota.Options) {
				o.PerMinute, o.Now, o.After, o.ConstantGuard = limit, clock.Now, clock.After, tc.constant
			})
			g := &fixedWindows{limit: limit, window: time.Minute, n: map[time.Time]int{}}
			ctx := context.Background()
			for range 6 * limit {
				if err := lim.Take(ctx); err != nil {
					t.Fatal(err)
				}
				sent := clock.Now()
				arrival := sent.Add(oneWay + offset) // Gainsight's clock
				ok := g.arrive(arrival)
				clock.advance(2 * oneWay)
				lim.Observe(sent, clock.Now(), arrival.Truncate(time.Second))
				if !ok {
					if err := lim.Penalize(ctx, time.Second); err != nil {
						t.Fatal(err)
					}
				}
			}
			t.Logf("%s: guard %s, 429s %d, Gainsight windows %v", tc.name, lim.Estimate().Guard, g.n429, g.n)
			if tc.constant {
				if g.n429 == 0 {
					t.Fatal("the constant guard drew no 429: the scenario does not test the offset")
				}
				return
			}
			if g.n429 != 0 {
				t.Fatalf("%d 429s with the adaptive guard", g.n429)
			}
			full := 0
			for w, n := range g.n {
				if !w.Before(w0) && w.Before(clock.Now().Add(offset).Truncate(time.Minute)) {
					full++
					if n < limit {
						t.Errorf("Gainsight's window %s held %d calls, want %d", w.Format(time.TimeOnly), n, limit)
					}
				}
			}
			if full < 4 {
				t.Fatalf("only %d full windows checked", full)
			}
		})
	}
}
