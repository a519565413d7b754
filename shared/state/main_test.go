package state_test

import (
	"context"
	"fmt"
	"os"
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
		fmt.Fprintln(os.Stderr, "state tests:", err)
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
	name := fmt.Sprintf("state-%d", tableSeq.Add(1))
	if err := state.CreateTable(t.Context(), client, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	return client, name
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newStore returns a Store on a fresh table with the given clock.
func newStore(t testing.TB, c *clock) (*state.Store, *dynamodb.Client, string) {
	t.Helper()
	client, name := newTable(t)
	return state.New(client, name, func(o *state.Options) { o.Now = c.Now }), client, name
}
