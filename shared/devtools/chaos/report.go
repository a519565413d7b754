package chaos

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Result is both runs of one workload.
type Result struct {
	Config   Config
	Baseline Phase // no faults, no kills
	Chaos    Phase
}

// Phase is what one run saw.
type Phase struct {
	Name string
	// Events is the distinct events of the workload (Bad of them designed
	// to be refused); Deliveries the messages queued (events plus late
	// duplicates).
	Events, Bad, Deliveries int
	Consumers               int
	// Calls is the Gainsight calls the fault front saw; Faults the faults
	// it injected, by kind.
	Calls  int
	Faults map[string]int
	// Kills is the SIGKILLs, KillsMidBatch those that hit an invoke in
	// flight.
	Kills, KillsMidBatch int
	// Lost: accepted events neither complete in the state table nor in the
	// DLQ (a refused event missing from the DLQ included); LostGoals:
	// records without a goal.
	Lost, LostGoals int
	// Unfinished: when the time limit came before the queue drained, the
	// events neither complete nor in the DLQ yet (not counted as lost).
	Unfinished int
	// Doubled: extra goals of a record, and events in the DLQ twice.
	Doubled int
	// StaleWrites: writes that took effect after a newer version of the
	// same record had; StaleEnd: records whose goal does not end on its
	// newest version.
	StaleWrites, StaleEnd int
	// Writes is the goal writes that took effect; RepeatedWrites those
	// that wrote a version already written (after a lost answer).
	Writes, RepeatedWrites int
	// DLQ is the messages in the DLQ, by reason (error_code);
	// DLQUnexpected those never meant to fail; DLQNoReason those without
	// a reason (redriven by SQS after maxReceiveCount).
	DLQ, DLQUnexpected, DLQNoReason int
	DLQReasons                      map[string]int
	// Drain is the time from the first webhook to a drained queue (two
	// empty reads 250 ms apart); Drained is false when the time limit
	// came first, with Left messages still queued.
	Drain   time.Duration
	Drained bool
	Left    int
	ESM     ESM
	// Problems are the first details behind the counts.
	Problems []string
}

// ESM counts what the pollers did.
type ESM struct {
	Received, Deleted, Failed, InvokeErrors, SQSErrors int
}

// FaultCount is the total of the injected faults.
func (p Phase) FaultCount() int {
	n := 0
	for _, v := range p.Faults {
		n += v
	}
	return n
}

// OK reports whether the run kept every promise: nothing lost, doubled or
// stale, nothing unexpected in the DLQ, and the queue drained.
func (p Phase) OK() bool {
	return p.Drained && p.Lost == 0 && p.LostGoals == 0 && p.Doubled == 0 && p.StaleWrites == 0 && p.StaleEnd == 0 &&
		p.DLQUnexpected == 0 && p.DLQNoReason == 0
}

// Line is the run's figures on one line of key=value pairs.
func (p Phase) Line() string {
	drain := fmt.Sprintf("%.1fs", p.Drain.Seconds())
	if !p.Drained {
		drain = fmt.Sprintf(">%.1fs(not-drained,left=%d,unfinished-events=%d)", p.Drain.Seconds(), p.Left, p.Unfinished)
	}
	return fmt.Sprintf("events=%d deliveries=%d calls=%d faults=%d kills=%d(mid-batch=%d) lost=%d doubled=%d stale=%d dlq=%d(expected=%d) drain=%s",
		p.Events, p.Deliveries, p.Calls, p.FaultCount(), p.Kills, p.KillsMidBatch, p.Lost+p.LostGoals, p.Doubled,
		p.StaleWrites+p.StaleEnd, p.DLQ, p.Bad, drain)
}

// Ratio is the chaos run's drain time over the baseline's (0 if either
// did not drain).
func (r Result) Ratio() float64 {
	if !r.Baseline.Drained || !r.Chaos.Drained || r.Baseline.Drain <= 0 {
		return 0
	}
	return r.Chaos.Drain.Seconds() / r.Baseline.Drain.Seconds()
}

// Report prints the parameters, a table of both runs, the ratio, the
// fault and DLQ breakdowns and the first problems, then one summary line
// to quote ("chaos-summary: ...").
func (r Result) Report(w io.Writer) {
	c := r.Config
	kinds := make([]string, 0, len(c.Mix))
	for _, m := range c.Mix {
		kinds = append(kinds, m.Name)
	}
	kill := "none"
	if c.KillEvery > 0 {
		kill = "every " + c.KillEvery.String() + ", the first at " + c.FirstKill.String()
	}
	fmt.Fprintf(w, "goalrelay chaos benchmark: %d records × %d versions (%d bad), %d consumers, faults %.0f%% of Gainsight calls (%s), SIGKILL %s,\n",
		c.Records, c.Versions, max(c.Bad, 0), c.Consumers, max(c.FaultRate, 0)*100, strings.Join(kinds, ", "), kill)
	fmt.Fprintf(w, "  visibility %s, maxReceiveCount %d, GAINSIGHT_TIMEOUT %s, function time-out %s, IN_FLIGHT_VISIBILITY %s, simulator latency %s, seed %d, time limit %s\n\n",
		c.Visibility, c.MaxReceive, c.GainsightTimeout, c.FunctionTimeout, c.InFlight, c.Latency, c.Seed, c.TimeLimit)
	fmt.Fprintf(w, "%-9s %6s %10s %6s %6s %6s %5s %7s %6s %4s %8s %s\n",
		"run", "events", "deliveries", "calls", "faults", "kills", "lost", "doubled", "stale", "dlq", "drain", "ok")
	for _, p := range []Phase{r.Baseline, r.Chaos} {
		drain := fmt.Sprintf("%.1fs", p.Drain.Seconds())
		if !p.Drained {
			drain = ">" + drain
		}
		fmt.Fprintf(w, "%-9s %6d %10d %6d %6d %6s %5d %7d %6d %4d %8s %v\n",
			p.Name, p.Events, p.Deliveries, p.Calls, p.FaultCount(), fmt.Sprintf("%d/%d", p.KillsMidBatch, p.Kills),
			p.Lost+p.LostGoals, p.Doubled, p.StaleWrites+p.StaleEnd, p.DLQ, drain, p.OK())
	}
	fmt.Fprintln(w)
	if ratio := r.Ratio(); ratio > 0 {
		fmt.Fprintf(w, "drain time ÷ fault-free drain time: %.2f (%.1fs ÷ %.1fs)\n", ratio, r.Chaos.Drain.Seconds(), r.Baseline.Drain.Seconds())
	} else {
		fmt.Fprintln(w, "drain time ÷ fault-free drain time: n/a (a run did not drain within the time limit)")
	}
	for _, p := range []Phase{r.Baseline, r.Chaos} {
		fmt.Fprintf(w, "%s: faults %s; DLQ reasons %s; writes %d (repeated %d); ESM received %d, deleted %d, item failures %d, failed invokes %d\n",
			p.Name, counts(p.Faults), counts(p.DLQReasons), p.Writes, p.RepeatedWrites, p.ESM.Received, p.ESM.Deleted, p.ESM.Failed, p.ESM.InvokeErrors)
		for _, s := range p.Problems {
			fmt.Fprintf(w, "  %s: %s\n", p.Name, s)
		}
	}
	fmt.Fprintf(w, "\nchaos-summary: %s ratio=%.2f baseline-drain=%.1fs ok=%v\n", r.Chaos.Line(), r.Ratio(), r.Baseline.Drain.Seconds(), r.Baseline.OK() && r.Chaos.OK())
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// Series is the results of one workload under several seeds.
type Series []Result

// MedianRatio is the median of the runs' ratios (0 when a run did not
// drain: its ratio is unknown, and so is the median).
func (s Series) MedianRatio() float64 {
	rs := make([]float64, 0, len(s))
	for _, r := range s {
		x := r.Ratio()
		if x <= 0 {
			return 0
		}
		rs = append(rs, x)
	}
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	n := len(rs)
	if n%2 == 1 {
		return rs[n/2]
	}
	return (rs[n/2-1] + rs[n/2]) / 2
}

// Report prints each seed's ratio, their median and range, and one
// summary line to quote ("chaos-series: ...").
func (s Series) Report(w io.Writer) {
	var parts []string
	ok, under := true, 0
	lo, hi := 0.0, 0.0
	for i, r := range s {
		x := r.Ratio()
		parts = append(parts, fmt.Sprintf("%d:%.2f", r.Config.Seed, x))
		ok = ok && r.Baseline.OK() && r.Chaos.OK()
		if x > 0 && x <= 3 {
			under++
		}
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	med := "n/a"
	if m := s.MedianRatio(); m > 0 {
		med = fmt.Sprintf("%.2f", m)
	}
	fmt.Fprintf(w, "drain time ÷ fault-free drain time by seed: %s\n", strings.Join(parts, " "))
	fmt.Fprintf(w, "chaos-series: runs=%d median-ratio=%s min=%.2f max=%.2f at-most-3=%d ok=%v\n", len(s), med, lo, hi, under, ok)
}
