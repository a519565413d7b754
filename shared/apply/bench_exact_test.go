package apply_test

import (
	"flag"
	"fmt"
	"testing"
	"time"

	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/quota"
)

var (
	exactOffset  = flag.Duration("exact.offset", 150*time.Millisecond, "BenchmarkExactLimit: the simulator's clock ahead of ours (negative: behind)")
	exactLatency = flag.Duration("exact.latency", 10*time.Millisecond, "BenchmarkExactLimit: the simulator's latency each way (before the quota counts the call, and after)")
	exactJitter  = flag.Duration("exact.jitter", 10*time.Millisecond, "BenchmarkExactLimit: random extra latency, [0, jitter) each way")
	exactGuard   = flag.String("exact.guard", "adaptive", "BenchmarkExactLimit: adaptive (the guard sized from the replies), or constant (the limiter's former fixed SkewGuard)")
	exactDateRes = flag.Duration("exact.dateres", 0, "BenchmarkExactLimit: the Date header's resolution; 0 scales HTTP's one second with the window (-drain.window/60)")
)

// BenchmarkExactLimit is BenchmarkDrain at the tenant's exact limit
// (-drain.limit calls per -drain.window, simulator and limiter alike) with
// the simulator's clock -exact.offset ahead of ours (the sign and the
// window boundaries both ways: run with -exact.offset=-150ms too), and
// -exact.latency ± -exact.jitter each way, the inbound half before the
// simulator counts the call. The simulator's Date header has the
// resolution of HTTP's one second scaled like the window (1/60 of it),
// unless -exact.dateres says otherwise; the consumers' limiters are told
// the same (quota.Options.DateResolution).
//
// Besides BenchmarkDrain's figures: min-window-use, the least share of
// the limit that a full window of the simulator's (on its clock) admitted,
// the target being ≥ 0.97 with zero 429s; guard-ms, the guard the first
// consumer's limiter had at the end.
func BenchmarkExactLimit(b *testing.B) {
	res := *exactDateRes
	if res <= 0 {
		res = *drainWindow / 60
	}
	for _, consumers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("guard=%s/offset=%s/consumers=%d", *exactGuard, *exactOffset, consumers), func(b *testing.B) {
			benchDrain(b, drainCase{
				consumers: consumers,
				sim: func(o *gt.Options) {
					o.ClockOffset, o.InboundLatency, o.Latency, o.LatencyJitter = *exactOffset, *exactLatency, *exactLatency, *exactJitter
					o.DateResolution = res
				},
				limiter: func(o *quota.Options) {
					o.DateResolution = res
					o.ConstantGuard = *exactGuard == "constant"
				},
				observe: *exactGuard != "constant",
			})
		})
	}
}
