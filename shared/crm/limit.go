package crm

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Window is one of a CRM's published limits: at most Limit units (calls,
// or Pipedrive's tokens) per fixed window of Length, the windows aligned
// to the Unix epoch (a day: UTC days).
type Window struct {
	Name   string // for errors: "burst", "daily", "search"
	Length time.Duration
	Limit  int
	// Tokens: the window counts each call's cost (Pipedrive's token
	// budget); otherwise it counts calls.
	Tokens bool
}

// units is what a call of cost spends of w.
func (w Window) units(cost int) int {
	if w.Tokens {
		return cost
	}
	return 1
}

// DefaultMaxWait is the longest a Take waits for a window to open before it
// returns a *RateLimitError instead.
const DefaultMaxWait = 15 * time.Second

// Limiter keeps a client's calls within its CRM's windows, in process. The
// CRM counts every caller of the account, so the clients also feed it what
// the CRM's replies say is left (Observe) and every 429's Retry-After
// (Pause). Every wait honours ctx; the clock is injectable so that tests
// never sleep. It is safe for concurrent use.
type Limiter struct {
	CRM     string
	Windows []Window
	// MaxWait bounds one Take's wait; DefaultMaxWait when 0.
	MaxWait time.Duration
	Now     func() time.Time
	// Sleep waits d or until ctx ends; a timer when nil.
	Sleep func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	used   []int
	start  []time.Time // window start of used[i]
	paused time.Time   // no call before this (a 429's Retry-After)
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Limiter) sleep(ctx context.Context, d time.Duration) error {
	if l.Sleep != nil {
		return l.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// roll brings the counters to the windows of now. l.mu is held.
func (l *Limiter) roll(now time.Time) {
	if l.used == nil {
		l.used = make([]int, len(l.Windows))
		l.start = make([]time.Time, len(l.Windows))
	}
	for i, w := range l.Windows {
		if s := now.Truncate(w.Length); !s.Equal(l.start[i]) {
			l.start[i], l.used[i] = s, 0
		}
	}
}

// Take spends cost units of every window, waiting (at most MaxWait, and
// never past ctx) for the windows that are full to open. When the wait
// would be longer it returns a *RateLimitError (Daily when a window of an
// hour or more is full) with the time to wait.
func (l *Limiter) Take(ctx context.Context, cost int) error {
	maxWait := l.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	for {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		l.mu.Lock()
		now := l.now()
		l.roll(now)
		var wait time.Duration
		daily := false
		if now.Before(l.paused) {
			wait = l.paused.Sub(now)
		}
		for i, w := range l.Windows {
			if w.Limit > 0 && w.units(cost) > w.Limit {
				l.mu.Unlock()
				return fmt.Errorf("%s: a call costing %d can never fit the %s limit of %d", l.CRM, cost, w.Name, w.Limit)
			}
			if w.Limit > 0 && l.used[i]+w.units(cost) > w.Limit {
				if d := l.start[i].Add(w.Length).Sub(now); d > wait {
					wait = d
				}
				daily = daily || w.Length >= time.Hour
			}
		}
		if wait <= 0 {
			for i, w := range l.Windows {
				l.used[i] += w.units(cost)
			}
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if daily || wait > maxWait {
			return &RateLimitError{CRM: l.CRM, RetryAfter: wait, Daily: daily}
		}
		if dl, ok := ctx.Deadline(); ok && now.Add(wait).After(dl) {
			return &RateLimitError{CRM: l.CRM, RetryAfter: wait}
		}
		if err := l.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Observe records what the CRM says is left of the named window
// (X-HubSpot-RateLimit-Remaining, ...): when it is less than the limiter
// counts, other callers of the account spent the rest, and the limiter
// counts them too. A negative remaining is ignored.
func (l *Limiter) Observe(name string, remaining int) {
	if remaining < 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(l.now())
	for i, w := range l.Windows {
		if w.Name == name && w.Limit > 0 {
			l.used[i] = max(l.used[i], w.Limit-remaining)
		}
	}
}

// Pause holds every call back for d (a 429's Retry-After; a default when
// the CRM gave none).
func (l *Limiter) Pause(d time.Duration) {
	if d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.now().Add(d); until.After(l.paused) {
		l.paused = until
	}
}
