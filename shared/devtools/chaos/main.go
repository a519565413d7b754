package chaos

import (
	"context"
	"flag"
	"fmt"
	"io"

	"time"
)

// Main is cmd/goalrelay-chaos: it parses the flags, runs the benchmark and
// prints the report to stdout. The exit code is 0 when both runs kept
// every promise (nothing lost, doubled or stale, the DLQ as designed, the
// queue drained), 1 when one did not, 2 for bad flags or a rig that could
// not run.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("goalrelay-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := Config{}.Defaults()
	var c Config
	fs.IntVar(&c.Records, "records", d.Records, "records in the workload")
	fs.IntVar(&c.Versions, "versions", d.Versions, "versions per record (≥ 3 adds an out-of-order round)")
	fs.IntVar(&c.Bad, "bad", d.Bad, "events with an unknown status, meant for the DLQ (negative: none)")
	fs.IntVar(&c.Consumers, "consumers", d.Consumers, "apply bootstraps, each with its own poller")
	fs.Float64Var(&c.FaultRate, "faults", d.FaultRate, "share of Gainsight calls that fail in the chaos run (negative: none)")
	fs.DurationVar(&c.KillEvery, "kill-every", d.KillEvery, "period of the SIGKILLs of a consumer (negative: none)")
	fs.DurationVar(&c.FirstKill, "first-kill", 0, "time from the first webhook to the first SIGKILL (default a third of -kill-every)")
	fs.DurationVar(&c.InFlight, "in-flight", d.InFlight, "the apply function's IN_FLIGHT_VISIBILITY")
	fs.DurationVar(&c.Visibility, "visibility", d.Visibility, "the queue's visibility time-out (whole seconds)")
	fs.IntVar(&c.MaxReceive, "max-receive", d.MaxReceive, "the queue's maxReceiveCount")
	fs.DurationVar(&c.GainsightTimeout, "gainsight-timeout", d.GainsightTimeout, "the apply function's GAINSIGHT_TIMEOUT")
	fs.DurationVar(&c.FunctionTimeout, "function-timeout", d.FunctionTimeout, "the apply function's time-out (whole seconds)")
	fs.DurationVar(&c.Latency, "latency", d.Latency, "latency the simulator adds to every call")
	fs.DurationVar(&c.RoundGap, "round-gap", d.RoundGap, "pause between the rounds of webhooks")
	fs.DurationVar(&c.TimeLimit, "time-limit", d.TimeLimit, "bound of each run, first webhook to drained queue")
	fs.Uint64Var(&c.Seed, "seed", d.Seed, "seed of the fault generator")
	seeds := fs.Int("seeds", 1, "run the benchmark this many times, with seeds -seed, -seed+1, ..., and print each report and the median ratio")
	verbose := fs.Bool("v", false, "show the functions' and emulators' output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *seeds < 1 || *seeds > 100 {
		fmt.Fprintf(stderr, "goalrelay-chaos: -seeds %d out of 1..100\n", *seeds)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "goalrelay-chaos: unexpected arguments %v\n", fs.Args())
		return 2
	}
	// A zero given on the command line means none, not the default.
	if c.FaultRate == 0 {
		c.FaultRate = -1
	}
	if c.KillEvery == 0 {
		c.KillEvery = -1
	}
	if c.Bad == 0 {
		c.Bad = -1
	}
	c.Log = stderr
	if *verbose {
		c.Output = stderr
	}
	began := time.Now()
	var results []Result
	code := 0
	for i := range *seeds {
		c := c
		c.Seed += uint64(i)
		res, err := Run(ctx, c)
		if err != nil {
			fmt.Fprintf(stderr, "goalrelay-chaos: seed %d: %v\n", c.Seed, err)
			return 2
		}
		res.Report(stdout)
		results = append(results, res)
		if !res.Baseline.OK() || !res.Chaos.OK() {
			code = 1
		}
		if i < *seeds-1 {
			fmt.Fprintln(stdout)
		}
	}
	if len(results) > 1 {
		fmt.Fprintln(stdout)
		Series(results).Report(stdout)
	}
	fmt.Fprintf(stdout, "(whole benchmark, builds and all runs: %s)\n", time.Since(began).Round(time.Second))
	return code
}
