// Command gainsight-sim runs the in-memory Gainsight tenant of package
// gainsighttest as a standalone HTTP server for local runs.
//
//	gainsight-sim -addr 127.0.0.1:8089 -access-key dev-key -calls-per-minute 100
//
// It is as strict as package gainsighttest by default: the metric endpoints
// without /v1, template update as PUT, strict goal updates, GoalTypeName
// refused on goals, the picklist in the spec's sample shape. Flags select
// the other reading of each ambiguity (-metric-paths v1, -template-update
// POST, -validation-errors table) or a documented leniency
// (-accept-both-variants, -lenient-update, -accept-goal-type-name,
// -picklist-details, -custom-fields).
//
// It prints its URL and access key, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
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
	metricPaths := flag.String("metric-paths", "no-v1", "where metric create/update/delete are served: no-v1 (as the spec writes them) or v1")
	tplUpdate := flag.String("template-update", http.MethodPut, "method of template update: PUT or POST")
	both := flag.Bool("accept-both-variants", false, "lenient: serve both metric path variants and both template update methods")
	noRetryAfter := flag.Bool("no-retry-after", false, "answer 429 without Retry-After")
	lenientUpdate := flag.Bool("lenient-update", false, "lenient: accept goal updates without Name or status")
	acceptGTN := flag.Bool("accept-goal-type-name", false, "lenient: resolve GoalTypeName in goal records")
	picklistDetails := flag.Bool("picklist-details", false, "lenient: fill childPicklistIds, childPicklists and metrics in picklist answers")
	validation := flag.String("validation-errors", "samples", "invalid field/status answers: samples (HTTP 500 CSGoalException) or table (HTTP 400 8009/8010)")
	customFields := flag.String("custom-fields", "", "comma-separated custom goal fields the tenant defines (default: gainsighttest.DefaultCustomFields)")
	flag.Parse()

	o := gainsighttest.Options{
		AccessKey: *key, CallsPerMinute: *perMinute, CallsPerDay: *perDay,
		FaultRate: *faultRate, Latency: *latency, Seed: *seed,
		TemplateUpdateMethod: strings.ToUpper(*tplUpdate), AcceptBothVariants: *both,
		RateLimitNoRetryAfter: *noRetryAfter, LenientUpdate: *lenientUpdate,
		AcceptGoalTypeName: *acceptGTN, PicklistDetails: *picklistDetails,
	}
	switch *metricPaths {
	case "no-v1":
	case "v1":
		o.MetricPaths = gainsighttest.MetricPathsV1
	default:
		usage("-metric-paths must be no-v1 or v1")
	}
	if o.TemplateUpdateMethod != http.MethodPut && o.TemplateUpdateMethod != http.MethodPost {
		usage("-template-update must be PUT or POST")
	}
	switch *validation {
	case "samples":
	case "table":
		o.ValidationErrors = gainsighttest.ErrorsAsTable
	default:
		usage("-validation-errors must be samples or table")
	}
	if *customFields != "" {
		o.CustomFields = strings.Split(*customFields, ",")
	}
	s := gainsighttest.New(o)
	if err := s.Listen(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "gainsight-sim:", err)
		os.Exit(1)
	}
	fmt.Printf("gainsight-sim listening on %s\naccess key: %s\nmetric paths: %s, template update: %s\n",
		s.URL, s.AccessKey, o.MetricPaths, o.TemplateUpdateMethod)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	s.Close()
	st := s.Stats()
	fmt.Printf("gainsight-sim stopped after %d requests (%d calls, %d rate-limited, %d faults)\n",
		st.Requests, st.Calls, st.RateLimited, st.Faults)
}

func usage(msg string) {
	fmt.Fprintln(os.Stderr, "gainsight-sim:", msg)
	os.Exit(2)
}
