package chaos

import (
	"fmt"
	"io"
	"time"

	"github.com/goalrelay/goalrelay/shared/apply"
)

// Config is one chaos run. The zero value of a field takes its default
// (see Defaults); Run uses the same workload for the baseline.
type Config struct {
	// Records × Versions goal upserts (defaults 20 × 4; Versions ≥ 3 adds
	// the out-of-order round).
	Records, Versions int
	// Bad is how many events carry an unknown status and must end in the
	// DLQ (default 2; negative: none).
	Bad int
	// Consumers is the number of apply bootstraps, each with its own
	// event source mapping poller (default 2).
	Consumers int
	// FaultRate is the share of Gainsight calls that fail (default 0.30;
	// negative: none), drawn from Mix (default DefaultMix) with Seed.
	FaultRate float64
	Mix       []FaultKind
	Seed      uint64
	// KillEvery is the period of the kills: each tick SIGKILLs the next
	// consumer in turn and starts a fresh one (default 30 s; negative: no
	// kills). The first kill comes FirstKill after the first webhook
	// (default a third of KillEvery), so that a workload that drains in
	// less than KillEvery still meets one.
	KillEvery, FirstKill time.Duration
	// Visibility is the queue's VisibilityTimeout (default 30 s) and
	// MaxReceive its maxReceiveCount (default 10, as in the template).
	Visibility time.Duration
	MaxReceive int
	// GainsightTimeout is the apply function's GAINSIGHT_TIMEOUT (default
	// 2 s); FunctionTimeout its time-out (default 20 s: the function starts
	// no work in its last apply.DefaultMargin, 10 s); InFlight its
	// IN_FLIGHT_VISIBILITY (default 6 s), which bounds how long a killed
	// batch stays away. The three are production's 20 s, 120 s and 60 s
	// scaled down, the first and last by the same factor (a tenth), so
	// that a kill costs what it costs in production relative to a call's
	// time-out.
	GainsightTimeout, FunctionTimeout, InFlight time.Duration
	// Latency is added by the simulator to every call (default 20 ms).
	Latency time.Duration
	// RoundGap separates the rounds of the workload (default 2 s).
	RoundGap time.Duration
	// TimeLimit bounds each of the two runs from the first webhook to the
	// drained queue (default 4 min).
	TimeLimit time.Duration
	// Root is the module root ("" finds it from the working directory);
	// BinDir where the bootstraps are built ("": a temporary directory).
	Root, BinDir string
	// Log receives progress lines (nil: none); Output the functions' and
	// emulators' output (nil: discarded).
	Log, Output io.Writer
}

// Defaults returns c with every zero field set to its default.
func (c Config) Defaults() Config {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defD := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Records, 20)
	def(&c.Versions, 4)
	def(&c.Bad, 2)
	def(&c.Consumers, 2)
	def(&c.MaxReceive, 10)
	if c.FaultRate == 0 {
		c.FaultRate = 0.30
	}
	if c.Mix == nil {
		c.Mix = DefaultMix
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	defD(&c.KillEvery, 30*time.Second)
	defD(&c.FirstKill, c.KillEvery/3)
	defD(&c.Visibility, 30*time.Second)
	defD(&c.GainsightTimeout, 2*time.Second)
	defD(&c.FunctionTimeout, 20*time.Second)
	defD(&c.InFlight, 6*time.Second)
	defD(&c.Latency, 20*time.Millisecond)
	defD(&c.RoundGap, 2*time.Second)
	defD(&c.TimeLimit, 4*time.Minute)
	return c
}

func (c Config) validate() error {
	switch {
	case c.Records < 1 || c.Records > 500:
		return fmt.Errorf("chaos: records %d out of 1..500", c.Records)
	case c.Versions < 1 || c.Versions > 50:
		return fmt.Errorf("chaos: versions %d out of 1..50", c.Versions)
	case c.Consumers < 1 || c.Consumers > 8:
		return fmt.Errorf("chaos: consumers %d out of 1..8", c.Consumers)
	case c.FaultRate > 1:
		return fmt.Errorf("chaos: fault rate %.2f above 1", c.FaultRate)
	case c.Visibility < 2*time.Second || c.Visibility%time.Second != 0:
		return fmt.Errorf("chaos: visibility %s: whole seconds, at least 2", c.Visibility)
	case c.InFlight < 3*time.Second || c.InFlight > c.Visibility:
		return fmt.Errorf("chaos: in-flight visibility %s out of 3s..%s (the queue's visibility)", c.InFlight, c.Visibility)
	case c.FunctionTimeout < apply.DefaultMargin+2*time.Second || c.FunctionTimeout%time.Second != 0:
		return fmt.Errorf("chaos: function time-out %s: whole seconds, above the apply function's margin %s", c.FunctionTimeout, apply.DefaultMargin)
	case c.TimeLimit > 30*time.Minute:
		return fmt.Errorf("chaos: time limit %s above 30 minutes", c.TimeLimit)
	}
	return nil
}
