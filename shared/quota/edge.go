package quota

import (
	"slices"
	"sync"
	"time"
)

// edgeSamples is how many recent observations of each kind the estimate
// keeps (a ring each): bounded memory, and the oldest give way to new ones.
const edgeSamples = 128

// edgeMaxAge: observations older than this many windows before the newest
// one are ignored, so that a spike of latency or an old clock step ages
// out even when calls are few.
const edgeMaxAge = 15

// Estimate is the limiter's current view of the window edges (see
// Limiter.Estimate).
type Estimate struct {
	// Guard is the dead zone on each side of a window boundary in use now.
	Guard time.Duration
	// Commit is the p99 of the time from the instant a unit is counted at
	// (the window is chosen) to the end of its transaction; Request the
	// p99 of the calls' request times (send to reply, Observe). Their sum
	// bounds how late after the count a call reaches Gainsight.
	Commit, Request time.Duration
	// OffsetLow and OffsetHigh bound Gainsight's clock minus ours, from
	// the Date headers; Offset is the larger magnitude. Zero without
	// Date observations.
	OffsetLow, OffsetHigh, Offset time.Duration
	// Samples is the number of observations (Observe calls) kept.
	Samples int
}

type durSample struct {
	at time.Time
	d  time.Duration
}

// offSample is the interval of clock offsets (Gainsight's minus ours) that
// one reply allows.
type offSample struct {
	at     time.Time
	lo, hi time.Duration
}

// edge is the per-Limiter (per-process) estimate of latency and clock
// offset. Each consumer keeps its own: its guard only decides when it
// itself takes units, and a unit is safe when the call made with it lands
// in Gainsight's window it was counted in, which depends on this
// consumer's clock and path only.
type edge struct {
	mu      sync.Mutex
	commit  []durSample
	request []durSample
	offs    []offSample
	ci, ri  int
	oi      int
	newest  time.Time
	dirty   bool
	est     Estimate
}

// push adds s to a ring of at most edgeSamples, overwriting the oldest
// (at *i) once it is full.
func push[T any](ring []T, i *int, s T) []T {
	if len(ring) < edgeSamples {
		return append(ring, s)
	}
	ring[*i] = s
	*i = (*i + 1) % edgeSamples
	return ring
}

// p99 is the nearest-rank 99th percentile of the samples at or after since.
func p99(ring []durSample, since time.Time) time.Duration {
	ds := make([]time.Duration, 0, len(ring))
	for _, s := range ring {
		if !s.at.Before(since) {
			ds = append(ds, s.d)
		}
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	k := (99*len(ds) + 99) / 100 // ceil(0.99 n)
	return ds[k-1]
}

// Observe feeds the window-edge estimate with one Gainsight call: sent
// and received are when the request was sent and its reply's headers
// came (on the limiter's clock, Options.Now), serverDate the reply's Date
// header (zero when it had none). gainsight.Options.OnResponse reports
// exactly these. Safe for concurrent use; no I/O.
//
// The request time (received - sent) bounds the one-way trip of the next
// calls (p99 of the recent ones). The Date header bounds the offset:
// Gainsight stamped it between sent and received, truncated to
// Options.DateResolution, so Gainsight's clock minus ours lies in
// [serverDate - received, serverDate + DateResolution - sent]. The
// estimate intersects the intervals of the recent replies, newest first,
// and stops at the first older one that contradicts the newer (a clock
// step): replies at different sub-second phases narrow a whole-second
// Date down to about one request time.
func (l *Limiter) Observe(sent, received, serverDate time.Time) {
	if received.Before(sent) {
		return
	}
	e := &l.edge
	e.mu.Lock()
	defer e.mu.Unlock()
	e.request = push(e.request, &e.ri, durSample{received, received.Sub(sent)})
	if received.After(e.newest) {
		e.newest = received
	}
	if !serverDate.IsZero() {
		e.offs = push(e.offs, &e.oi, offSample{at: received, lo: serverDate.Sub(received), hi: serverDate.Add(l.o.DateResolution).Sub(sent)})
	}
	e.dirty = true
}

// observeCommit notes how long a take's transaction took after the
// instant it counted the unit at.
func (l *Limiter) observeCommit(counted, done time.Time) {
	e := &l.edge
	e.mu.Lock()
	defer e.mu.Unlock()
	e.commit = push(e.commit, &e.ci, durSample{done, done.Sub(counted)})
	if done.After(e.newest) {
		e.newest = done
	}
	e.dirty = true
}

// Estimate reports the window-edge estimate and the guard in use.
func (l *Limiter) Estimate() Estimate {
	e := &l.edge
	e.mu.Lock()
	defer e.mu.Unlock()
	est := l.estimateLocked()
	if l.o.ConstantGuard {
		est.Guard = l.o.SkewGuard
	}
	return est
}

// guard is the dead zone on each side of a window boundary now:
//
//	clamp(p99(commit) + p99(request) + |offset| + GuardMargin, SkewGuard, MaxSkewGuard)
//
// or SkewGuard alone with ConstantGuard, or before any observation.
func (l *Limiter) guard() time.Duration {
	if l.o.ConstantGuard {
		return l.o.SkewGuard
	}
	e := &l.edge
	e.mu.Lock()
	defer e.mu.Unlock()
	return l.estimateLocked().Guard
}

func (l *Limiter) estimateLocked() Estimate {
	e := &l.edge
	if !e.dirty {
		return e.est
	}
	since := e.newest.Add(-edgeMaxAge * l.o.Window)
	est := Estimate{Commit: p99(e.commit, since), Request: p99(e.request, since), Samples: len(e.request)}
	// Offsets: intersect newest first; an interval that contradicts the
	// newer ones ends the run (the clock stepped).
	order := slices.Clone(e.offs)
	slices.SortFunc(order, func(a, b offSample) int { return b.at.Compare(a.at) })
	first := true
	for _, s := range order {
		if s.at.Before(since) {
			break
		}
		if first {
			est.OffsetLow, est.OffsetHigh, first = s.lo, s.hi, false
			continue
		}
		lo, hi := max(est.OffsetLow, s.lo), min(est.OffsetHigh, s.hi)
		if lo > hi {
			break
		}
		est.OffsetLow, est.OffsetHigh = lo, hi
	}
	if !first {
		est.Offset = max(abs(est.OffsetLow), abs(est.OffsetHigh))
	}
	g := est.Commit + est.Request + est.Offset + l.o.GuardMargin
	est.Guard = min(max(g, l.o.SkewGuard), l.o.MaxSkewGuard)
	e.est, e.dirty = est, false
	return est
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
