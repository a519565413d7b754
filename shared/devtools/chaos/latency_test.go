package chaos_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/devtools/chaos"
	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
)

// BenchmarkLatency (make latency) times webhooks end to end on the local
// stack of package devstack: an HTTP POST of a signed generic webhook to
// the front, the ingest bootstrap under aws-lambda-rie, the FIFO queue on
// moto_server, the local event source mapping, the apply bootstrap, until
// the new goal is visible in the Gainsight simulator. One webhook at a
// time (light load), LATENCY_SAMPLES of them (default 100) per
// sub-benchmark, with 0% and 10% of the Gainsight calls failing with a
// transient 503. The queue's visibility time-out is devstack's 5 s.
//
//	go test -run '^$' -bench BenchmarkLatency -benchtime 1x ./shared/devtools/chaos/
//
// It reports p50-ms, p99-ms and max-ms end to end, ack-p50-ms (the
// webhook's answer) and the faults injected.
func BenchmarkLatency(b *testing.B) {
	if testing.Short() {
		b.Skip("builds both bootstraps and runs moto_server, aws-lambda-rie and the simulator")
	}
	samples := 100
	if v, err := strconv.Atoi(os.Getenv("LATENCY_SAMPLES")); err == nil && v > 0 {
		samples = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	logs := &syncBuffer{}
	st, err := devstack.Start(ctx, devstack.Options{
		Output: logs, Root: "../../..",
		// The quota is not under test: neither the tenant nor the budget binds.
		TenantCallsPerMinute: -1, TenantCallsPerDay: -1, CallsPerMinute: 100000, CallsPerDay: 10000000,
	})
	if err != nil {
		b.Fatalf("start: %v\n%s", err, logs)
	}
	defer st.Close()
	// Warm up: the first invokes start the bootstraps (init) and fill the
	// picklist cache.
	if _, err := chaos.MeasureLatency(ctx, st, chaos.LatencyConfig{Samples: 3, Label: "warm"}); err != nil {
		b.Fatalf("warm-up: %v\n%s", err, tail(logs.String()))
	}
	for _, rate := range []float64{0, 0.10} {
		name := "faults=" + strconv.Itoa(int(rate*100)) + "%"
		b.Run(name, func(b *testing.B) {
			var all chaos.LatencyResult
			for i := 0; i < b.N; i++ {
				res, err := chaos.MeasureLatency(ctx, st, chaos.LatencyConfig{Samples: samples, FaultRate: rate,
					Label: strconv.Itoa(int(rate*100)) + "-" + strconv.Itoa(i)})
				if err != nil {
					b.Fatalf("%v\n%s", err, tail(logs.String()))
				}
				all.EndToEnd = append(all.EndToEnd, res.EndToEnd...)
				all.Ack = append(all.Ack, res.Ack...)
				all.Faults += res.Faults
				all.Calls += res.Calls
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(ms(chaos.Percentile(all.EndToEnd, 50)), "p50-ms")
			b.ReportMetric(ms(chaos.Percentile(all.EndToEnd, 99)), "p99-ms")
			b.ReportMetric(ms(chaos.Percentile(all.EndToEnd, 100)), "max-ms")
			b.ReportMetric(ms(chaos.Percentile(all.Ack, 50)), "ack-p50-ms")
			b.ReportMetric(float64(len(all.EndToEnd)), "samples")
			b.ReportMetric(float64(all.Faults), "faults")
			b.ReportMetric(float64(all.Calls), "calls")
		})
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string) string {
	if len(s) > 8000 {
		return s[len(s)-8000:]
	}
	return s
}
