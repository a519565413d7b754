package quota_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/quota"
)

// A minute window starts at 10:00:00; tests start 10 s into it.
var (
	w0    = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	start = w0.Add(10 * time.Second)
)

const guard = 100 * time.Millisecond // the default SkewGuard of a one-minute window

type fixture struct {
	lim    *quota.Limiter
	clock  *fakeClock
	client *dynamodb.Client
	table  string
	waits  *waitLog
}

type waitLog struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waitLog) add(d time.Duration) { w.mu.Lock(); w.ds = append(w.ds, d); w.mu.Unlock() }
func (w *waitLog) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

func newFixture(t *testing.T, at time.Time, opt func(*quota.Options)) fixture {
	t.Helper()
	client, table := newTable(t)
	f := fixture{clock: newFakeClock(at), client: client, table: table, waits: &waitLog{}}
	f.lim = quota.New(client, table, func(o *quota.Options) {
		o.Now, o.After, o.OnWait = f.clock.Now, f.clock.After, f.waits.add
		if opt != nil {
			opt(o)
		}
	})
	return f
}

func (f fixture) takeN(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if err := f.lim.Take(t.Context()); err != nil {
			t.Fatalf("Take %d: %v", i, err)
		}
	}
}

// count reads a counter straight from the table.
func (f fixture) count(t *testing.T, pk string) int {
	t.Helper()
	out, err := f.client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(f.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := out.Item["n"].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(v.Value)
	return n
}

// goTake runs Take in a goroutine and returns its result channel.
func goTake(ctx context.Context, lim *quota.Limiter) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- lim.Take(ctx) }()
	return ch
}

func receive(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Take did not return")
		return nil
	}
}

func TestKeys(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 17, 42, 345_000_000, time.FixedZone("CET", 3600))
	tests := []struct {
		name        string
		opt         func(*quota.Options)
		wantMinute  string
		wantDay     string
		windowStart time.Time
	}{
		{name: "defaults", wantMinute: "quota#minute#2026-11-27T09:17:00Z", wantDay: "quota#day#2026-11-27"},
		{
			name:       "scaled down",
			opt:        func(o *quota.Options) { o.Window, o.DayWindow = 100*time.Millisecond, 10*time.Second },
			wantMinute: "quota#minute#2026-11-27T09:17:42.3Z", wantDay: "quota#day#2026-11-27T09:17:40Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := quota.New(nil, "unused", func(o *quota.Options) {
				if tt.opt != nil {
					tt.opt(o)
				}
			})
			if got := l.MinuteKey(at); got != tt.wantMinute {
				t.Errorf("MinuteKey = %q, want %q", got, tt.wantMinute)
			}
			if got := l.DayKey(at); got != tt.wantDay {
				t.Errorf("DayKey = %q, want %q", got, tt.wantDay)
			}
		})
	}
}

// 8 consumers take 50 units each against a budget of 30 a minute: every
// window gives exactly 30, the consumers wait for each next window, and no
// counter ever passes the budget.
func TestTakeConcurrentExactPerWindow(t *testing.T) {
	const consumers, each, perMinute = 8, 50, 30
	f := newFixture(t, start, func(o *quota.Options) { o.PerMinute = perMinute })

	var mu sync.Mutex
	perWindow := map[string]int{}
	var finished atomic.Int32
	errs := make(chan error, consumers)
	for range consumers {
		go func() {
			defer finished.Add(1)
			for range each {
				if err := f.lim.Take(t.Context()); err != nil {
					errs <- err
					return
				}
				k := f.lim.MinuteKey(f.clock.Now())
				mu.Lock()
				perWindow[k]++
				mu.Unlock()
			}
		}()
	}
	// Drive the clock: whenever every consumer is blocked on a timer (or
	// finished), jump to the earliest timer.
	deadline := time.Now().Add(60 * time.Second)
	for int(finished.Load()) < consumers {
		if time.Now().After(deadline) {
			t.Fatal("consumers did not finish")
		}
		w := f.clock.Waiting()
		if len(w)+int(finished.Load()) < consumers || len(w) == 0 {
			time.Sleep(time.Millisecond)
			continue
		}
		f.clock.Set(w[0])
	}
	close(errs)
	for err := range errs {
		t.Fatalf("Take: %v", err)
	}

	total := consumers * each
	full, rest := total/perMinute, total%perMinute
	want := map[string]int{}
	for i := range full + 1 {
		k := f.lim.MinuteKey(w0.Add(time.Duration(i) * time.Minute))
		want[k] = perMinute
		if i == full {
			want[k] = rest
		}
		if got := f.count(t, k); got != want[k] {
			t.Errorf("counter %s = %d, want %d", k, got, want[k])
		}
	}
	if d := cmp.Diff(want, perWindow); d != "" {
		t.Errorf("takes per window (-want +got):\n%s", d)
	}
	if got := f.count(t, f.lim.DayKey(w0)); got != total {
		t.Errorf("day counter = %d, want %d", got, total)
	}
	// Every consumer waited in each window change: from (at least) the
	// window's start + 10 s, or later, to the next start + guard.
	for _, d := range f.waits.all() {
		if d <= 0 || d > time.Minute+guard {
			t.Errorf("reported wait %s", d)
		}
	}
	if len(f.waits.all()) < full {
		t.Errorf("%d waits reported, want at least %d", len(f.waits.all()), full)
	}
}

func TestTakeWaitsForNextWindow(t *testing.T) {
	tests := []struct {
		name     string
		at       time.Time
		deadline time.Duration // real time from now; 0: none
		wantErr  error
	}{
		{name: "no deadline", at: start},
		{name: "deadline allows", at: start, deadline: time.Minute + 5*time.Second},
		{name: "deadline too close", at: start, deadline: 30 * time.Second, wantErr: quota.ErrNoTime},
		// 2.1 s to wait, 5 s left, 2 s margin.
		{name: "near the end, margin allows", at: w0.Add(58 * time.Second), deadline: 5 * time.Second},
		// 2.1 s to wait, 4 s left, 2 s margin.
		{name: "near the end, margin forbids", at: w0.Add(58 * time.Second), deadline: 4 * time.Second, wantErr: quota.ErrNoTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.at, func(o *quota.Options) { o.PerMinute = 2 })
			f.takeN(t, 2)
			ctx := t.Context()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			next := w0.Add(time.Minute + guard)
			ch := goTake(ctx, f.lim)
			if tt.wantErr != nil {
				err := receive(t, ch)
				var le *quota.LimitError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &le) {
					t.Fatalf("Take = %v, want %v", err, tt.wantErr)
				}
				if le.Limit != "minute" || !le.Resets.Equal(next) {
					t.Errorf("LimitError = %+v, want minute limit resetting at %s", le, next)
				}
				if w := f.clock.Waiting(); len(w) != 0 {
					t.Errorf("timers pending: %v", w)
				}
				return
			}
			if w := f.clock.awaitWaiting(t, 1); !w[0].Equal(next) {
				t.Fatalf("waits until %s, want %s", w[0], next)
			}
			f.clock.Set(next)
			if err := receive(t, ch); err != nil {
				t.Fatalf("Take: %v", err)
			}
			if got, want := f.waits.all(), []time.Duration{next.Sub(tt.at)}; !cmp.Equal(got, want) {
				t.Errorf("OnWait got %v, want %v", got, want)
			}
			if got := f.count(t, f.lim.MinuteKey(next)); got != 1 {
				t.Errorf("next window's counter = %d, want 1", got)
			}
		})
	}
}

// Within SkewGuard of a boundary no unit is taken: just before it, Take
// waits for the next window; just after it, for the guard to pass.
func TestTakeSkewGuard(t *testing.T) {
	tests := []struct {
		name      string
		at        time.Time
		wantUntil time.Time
		wantKey   time.Time
	}{
		{name: "just after a boundary", at: w0.Add(guard / 2), wantUntil: w0.Add(guard), wantKey: w0},
		{name: "just before a boundary", at: w0.Add(time.Minute - guard/2), wantUntil: w0.Add(time.Minute + guard), wantKey: w0.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.at, nil)
			ch := goTake(t.Context(), f.lim)
			if w := f.clock.awaitWaiting(t, 1); !w[0].Equal(tt.wantUntil) {
				t.Fatalf("waits until %s, want %s", w[0], tt.wantUntil)
			}
			f.clock.Set(tt.wantUntil)
			if err := receive(t, ch); err != nil {
				t.Fatal(err)
			}
			if got := f.count(t, f.lim.MinuteKey(tt.wantKey)); got != 1 {
				t.Errorf("counter of %s = %d, want 1", tt.wantKey, got)
			}
		})
	}
}

func TestTakeDailyExhausted(t *testing.T) {
	// 23:59:30: the day ends in 30 s.
	at := time.Date(2026, 11, 27, 23, 59, 30, 0, time.UTC)
	f := newFixture(t, at, func(o *quota.Options) { o.PerMinute, o.PerDay = 10, 3 })
	f.takeN(t, 3)
	err := f.lim.Take(t.Context()) // no deadline: still no waiting for a day
	var le *quota.LimitError
	if !errors.Is(err, quota.ErrDailyExhausted) || !errors.As(err, &le) {
		t.Fatalf("Take = %v, want ErrDailyExhausted", err)
	}
	if want := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC).Add(guard); le.Limit != "day" || !le.Resets.Equal(want) {
		t.Errorf("LimitError = %+v, want day limit resetting at %s", le, want)
	}
	if w := f.clock.Waiting(); len(w) != 0 {
		t.Errorf("timers pending: %v", w)
	}
	// The failed take spent no minute unit.
	if got := f.count(t, f.lim.MinuteKey(at)); got != 3 {
		t.Errorf("minute counter = %d, want 3", got)
	}
	// The next day has its own budget.
	f.clock.Set(le.Resets)
	f.takeN(t, 3)
}

func TestPenalize(t *testing.T) {
	tests := []struct {
		name       string
		at         time.Time
		retryAfter time.Duration
		// Take then waits until wantUntil and counts in the window of wantUntil.
		wantUntil time.Time
	}{
		{name: "no retry-after: the rest of the minute", at: start, wantUntil: w0.Add(time.Minute + guard)},
		{name: "retry-after within the minute", at: start, retryAfter: 5 * time.Second, wantUntil: w0.Add(time.Minute + guard)},
		{name: "retry-after past the minute", at: start, retryAfter: 90 * time.Second, wantUntil: start.Add(90*time.Second + guard)},
		{
			name: "retry-after past midnight", at: time.Date(2026, 11, 27, 23, 59, 50, 0, time.UTC), retryAfter: 30 * time.Second,
			wantUntil: time.Date(2026, 11, 28, 0, 0, 20, 0, time.UTC).Add(guard),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.at, nil)
			f.takeN(t, 1)
			if err := f.lim.Penalize(t.Context(), tt.retryAfter); err != nil {
				t.Fatalf("Penalize: %v", err)
			}
			if err := f.lim.Penalize(t.Context(), tt.retryAfter); err != nil {
				t.Fatalf("Penalize again: %v", err)
			}
			if got := f.count(t, f.lim.MinuteKey(tt.at)); got != quota.DefaultPerMinute {
				t.Errorf("minute counter = %d, want %d", got, quota.DefaultPerMinute)
			}
			r, err := f.lim.Remaining(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if r.MinuteLeft != 0 {
				t.Errorf("Remaining minute = %d, want 0", r.MinuteLeft)
			}
			if tt.retryAfter > time.Minute && !r.MinuteResets.Equal(tt.wantUntil) {
				t.Errorf("Remaining minute resets %s, want %s", r.MinuteResets, tt.wantUntil)
			}
			ch := goTake(t.Context(), f.lim)
			// The minute window's end may come first; follow the timers.
			for {
				w := f.clock.awaitWaiting(t, 1)
				if w[0].After(tt.wantUntil) {
					t.Fatalf("waits until %s, past %s", w[0], tt.wantUntil)
				}
				f.clock.Set(w[0])
				if w[0].Equal(tt.wantUntil) {
					break
				}
			}
			if err := receive(t, ch); err != nil {
				t.Fatal(err)
			}
			if got := f.count(t, f.lim.MinuteKey(tt.wantUntil)); got != 1 {
				t.Errorf("counter of the window after = %d, want 1", got)
			}
		})
	}
}

func TestPenalizeNoTime(t *testing.T) {
	f := newFixture(t, start, nil)
	if err := f.lim.Penalize(t.Context(), 90*time.Second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := f.lim.Take(ctx)
	var le *quota.LimitError
	if !errors.Is(err, quota.ErrNoTime) || !errors.As(err, &le) || le.Limit != "retry-after" {
		t.Fatalf("Take = %v, want ErrNoTime for the retry-after", err)
	}
}

func TestRemaining(t *testing.T) {
	f := newFixture(t, start, func(o *quota.Options) { o.PerMinute, o.PerDay = 5, 100 })
	check := func(wantMin, wantDay int) {
		t.Helper()
		r, err := f.lim.Remaining(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		w := f.clock.Now().Truncate(time.Minute)
		d := f.clock.Now().Truncate(24 * time.Hour)
		want := quota.Remaining{MinuteLeft: wantMin, DayLeft: wantDay, MinuteResets: w.Add(time.Minute), DayResets: d.Add(24 * time.Hour)}
		if r.MinuteLeft != want.MinuteLeft || r.DayLeft != want.DayLeft || !r.MinuteResets.Equal(want.MinuteResets) || !r.DayResets.Equal(want.DayResets) {
			t.Errorf("Remaining = %+v; want %+v", r, want)
		}
	}
	check(5, 100)
	f.takeN(t, 3)
	check(2, 97)
	f.clock.Set(w0.Add(time.Minute + time.Second))
	check(5, 97)
	f.takeN(t, 5)
	check(0, 92)
}

func TestTakeWaitReturnsTheWait(t *testing.T) {
	f := newFixture(t, start, func(o *quota.Options) { o.PerMinute = 1 })
	if d, err := f.lim.TakeWait(t.Context()); d != 0 || err != nil {
		t.Fatalf("TakeWait = %s, %v; want no wait", d, err)
	}
	type res struct {
		d   time.Duration
		err error
	}
	ch := make(chan res, 1)
	go func() { d, err := f.lim.TakeWait(t.Context()); ch <- res{d, err} }()
	next := f.clock.awaitWaiting(t, 1)[0]
	f.clock.Set(next)
	select {
	case r := <-ch:
		if want := w0.Add(time.Minute + guard).Sub(start); r.err != nil || r.d != want {
			t.Errorf("TakeWait = %s, %v; want %s, nil", r.d, r.err, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("TakeWait did not return")
	}
}

func TestTakeCancelledWhileWaiting(t *testing.T) {
	f := newFixture(t, start, func(o *quota.Options) { o.PerMinute = 1 })
	f.takeN(t, 1)
	ctx, cancel := context.WithCancel(t.Context())
	ch := goTake(ctx, f.lim)
	f.clock.awaitWaiting(t, 1)
	began := time.Now()
	cancel()
	if err := receive(t, ch); !errors.Is(err, context.Canceled) {
		t.Fatalf("Take = %v, want context.Canceled", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("Take took %s to return after cancel", d)
	}
}

// The real clock with a scaled-down quota (100 ms windows). No window's
// counter passes the budget. (Time is reported, not asserted: drain time
// belongs to the apply benchmarks.) Against moto, a take costs a few
// milliseconds, so a budget of 20 a window hardly binds; 2 a window does,
// and the consumers wait.
func TestTakeRealClockScaledDown(t *testing.T) {
	tests := []struct {
		perWindow, consumers, each int
		mustWait                   bool
	}{
		{perWindow: 20, consumers: 4, each: 15},
		{perWindow: 2, consumers: 4, each: 3, mustWait: true},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.perWindow)+"PerWindow", func(t *testing.T) {
			client, table := newTable(t)
			var waited atomic.Int64
			lim := quota.New(client, table, func(o *quota.Options) {
				o.PerMinute, o.Window, o.DayWindow = tt.perWindow, 100*time.Millisecond, time.Hour
				o.OnWait = func(d time.Duration) { waited.Add(int64(d)) }
				o.DeadlineMargin = -1
			})
			// It normally takes well under a second (3 to 5 windows plus
			// moto's latency); the context bounds it on a loaded machine.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			began := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, tt.consumers)
			for range tt.consumers {
				wg.Go(func() {
					for range tt.each {
						if err := lim.Take(ctx); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(began)
			close(errs)
			for err := range errs {
				t.Fatalf("Take: %v", err)
			}
			out, err := client.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(table)})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.consumers * tt.each
			total, windows := 0, 0
			for _, it := range out.Items {
				pk := it["pk"].(*types.AttributeValueMemberS).Value
				if !strings.HasPrefix(pk, quota.MinutePrefix) {
					continue
				}
				n, _ := strconv.Atoi(it["n"].(*types.AttributeValueMemberN).Value)
				if n > tt.perWindow {
					t.Errorf("%s = %d, over %d", pk, n, tt.perWindow)
				}
				total += n
				windows++
			}
			if total != want || windows < want/tt.perWindow {
				t.Errorf("%d units in %d windows, want %d in at least %d", total, windows, want, want/tt.perWindow)
			}
			if tt.mustWait && waited.Load() == 0 {
				t.Error("no wait reported")
			}
			t.Logf("%d units in %d windows in %s, waited %s in all", total, windows, elapsed, time.Duration(waited.Load()))
		})
	}
}
