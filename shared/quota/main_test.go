package quota_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/state"
)

// One moto_server serves every test of the package; each test has a table
// of its own.
var moto *awstest.Moto

func TestMain(m *testing.M) {
	var err error
	moto, err = awstest.StartMoto(context.Background(), 10*time.Minute)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quota tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Close()
	os.Exit(code)
}

var tableSeq atomic.Int64

// newTable creates a fresh state table and returns a client for it.
func newTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	cfg := awstest.Config(t, moto)
	// awstest serialises requests to moto_server, whose conditional writes
	// are otherwise not atomic under concurrency.
	client := dynamodb.NewFromConfig(cfg)
	name := fmt.Sprintf("quota-%d", tableSeq.Add(1))
	if err := state.CreateTable(t.Context(), client, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	return client, name
}

// fakeClock is a clock whose timers fire only when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Waiting returns the times of the pending timers, earliest first.
func (c *fakeClock) Waiting() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ts []time.Time
	for _, w := range c.waiters {
		ts = append(ts, w.at)
	}
	slices.SortFunc(ts, time.Time.Compare)
	return ts
}

// Set moves the clock to t and fires every timer due by then.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- t
	}
	c.waiters = kept
}

// awaitWaiting polls (in real time, a millisecond at a time) until n timers
// are pending, and returns their times.
func (c *fakeClock) awaitWaiting(t testing.TB, n int) []time.Time {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if w := c.Waiting(); len(w) >= n {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d timers; have %d", n, len(c.Waiting()))
		}
		time.Sleep(time.Millisecond)
	}
}
