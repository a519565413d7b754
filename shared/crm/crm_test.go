package crm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want crm.Outcome
		wait time.Duration
	}{
		{"nil", nil, crm.Done, 0},
		{"429", fmt.Errorf("read: %w", &crm.RateLimitError{CRM: "hubspot", Throttled: true, RetryAfter: 3 * time.Second}), crm.Wait, 3 * time.Second},
		{"daily budget", &crm.RateLimitError{Daily: true, RetryAfter: time.Hour}, crm.Wait, time.Hour},
		{"another account", fmt.Errorf("x: %w", crm.ErrAccount), crm.Refused, 0},
		{"401", &crm.APIError{Status: 401}, crm.Retry, 0},
		{"403", &crm.APIError{Status: 403}, crm.Retry, 0},
		{"404 route", &crm.APIError{Status: 404}, crm.Retry, 0},
		{"500", &crm.APIError{Status: 502}, crm.Retry, 0},
		{"400", &crm.APIError{Status: 400, Code: "VALIDATION_ERROR"}, crm.Refused, 0},
		{"network", errors.New("connection refused"), crm.Retry, 0},
		{"deadline", context.DeadlineExceeded, crm.Retry, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, wait := crm.Classify(tt.err)
			if got != tt.want || wait != tt.wait {
				t.Errorf("Classify = %v %v, want %v %v", got, wait, tt.want, tt.wait)
			}
		})
	}
}

func TestLimiterWaitsForTheWindowAndRefusesTheDay(t *testing.T) {
	c := newClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := &crm.Limiter{CRM: "x", Now: c.Now, Sleep: c.Sleep, Windows: []crm.Window{
		{Name: "burst", Length: 10 * time.Second, Limit: 2},
		{Name: "daily", Length: 24 * time.Hour, Limit: 5},
	}}
	for i := range 5 {
		if err := l.Take(t.Context(), 1); err != nil {
			t.Fatalf("take %d: %v", i, err)
		}
	}
	if got := c.Now().Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); got != 20*time.Second {
		t.Errorf("5 calls at 2 per 10 s took %s, want 20s", got)
	}
	var rl *crm.RateLimitError
	if err := l.Take(t.Context(), 1); !errors.As(err, &rl) || !rl.Daily || rl.RetryAfter != 24*time.Hour-20*time.Second {
		t.Fatalf("sixth call: %v", err)
	}
}

func TestLimiterHonoursPauseObserveAndContext(t *testing.T) {
	c := newClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := &crm.Limiter{CRM: "x", Now: c.Now, Sleep: c.Sleep, MaxWait: 5 * time.Second,
		Windows: []crm.Window{{Name: "burst", Length: 10 * time.Second, Limit: 100}}}
	l.Pause(3 * time.Second)
	if err := l.Take(t.Context(), 1); err != nil || c.Now().Second() != 3 {
		t.Fatalf("after a 3 s pause: %v at %s", err, c.Now())
	}
	l.Observe("burst", 0) // others spent the window: wait 7 s for the next (over MaxWait 5 s)
	var rl *crm.RateLimitError
	if err := l.Take(t.Context(), 1); !errors.As(err, &rl) || rl.Daily || rl.RetryAfter != 7*time.Second {
		t.Fatalf("after Observe(0): %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Take(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v", err)
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("7")
	f.Add("1.5")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add("-3")
	f.Add("NaN")
	f.Add("1e300")
	now := time.Date(2015, 10, 21, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := crm.ParseRetryAfter(v, now); d < 0 || d > crm.MaxRetryAfter {
			t.Fatalf("ParseRetryAfter(%q) = %s", v, d)
		}
	})
}

// clock is a manual clock whose Sleep advances it, so limiter waits cost
// no real time.
type clock struct{ *gainsighttest.ManualClock }

func newClock(t time.Time) clock { return clock{gainsighttest.NewManualClock(t)} }

func (c clock) Sleep(ctx context.Context, d time.Duration) error { c.Advance(d); return ctx.Err() }
