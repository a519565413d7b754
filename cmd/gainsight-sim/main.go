// Command gainsight-sim runs the in-memory Gainsight tenant of package
// gainsighttest as a standalone HTTP server for local runs.
//
//	gainsight-sim -addr 127.0.0.1:8089 -access-key dev-key -calls-per-minute 100
//
// It prints its URL and access key, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "listen address (host:port)")
	key := flag.String("access-key", "", "access key to accept (default: random, printed on start)")
	perMinute := flag.Int("calls-per-minute", gainsighttest.DefaultCallsPerMinute, "quota per minute window (negative: unlimited)")
	perDay := flag.Int("calls-per-day", gainsighttest.DefaultCallsPerDay, "quota per day window (negative: unlimited)")
	faultRate := flag.Float64("fault-rate", 0, "share of calls (0..1) answered 503")
	latency := flag.Duration("latency", 0, "latency added to every call")
	seed := flag.Uint64("seed", 1, "seed for Gsids, request ids and random faults")
	flag.Parse()

	s := gainsighttest.New(gainsighttest.Options{
		AccessKey: *key, CallsPerMinute: *perMinute, CallsPerDay: *perDay,
		FaultRate: *faultRate, Latency: *latency, Seed: *seed,
	})
	if err := s.Listen(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "gainsight-sim:", err)
		os.Exit(1)
	}
	fmt.Printf("gainsight-sim listening on %s\naccess key: %s\n", s.URL, s.AccessKey)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	s.Close()
	st := s.Stats()
	fmt.Printf("gainsight-sim stopped after %d requests (%d calls, %d rate-limited, %d faults)\n",
		st.Requests, st.Calls, st.RateLimited, st.Faults)
}
