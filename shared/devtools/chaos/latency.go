package chaos

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// LatencySource is the CloudEvents source of the latency benchmark's
// events.
const LatencySource = "generic/latency"

// LatencyConfig is one latency measurement against a running stack.
type LatencyConfig struct {
	// Samples is the number of webhooks, sent one at a time (default 60).
	Samples int
	// FaultRate is the share of Gainsight calls the simulator fails with
	// a 503, a transient fault (0: none).
	FaultRate float64
	// Pause separates a goal's appearance from the next webhook (default
	// 100 ms): light load, one webhook in the pipeline at a time.
	Pause time.Duration
	// Timeout bounds each sample (default 90 s).
	Timeout time.Duration
	// Label goes into the event ids, so that runs on one stack differ.
	Label string
}

// LatencyResult is the distribution of one measurement.
type LatencyResult struct {
	// EndToEnd is, per sample, from the HTTP POST to the front until the
	// goal is visible in the simulator; Ack until the front answered.
	EndToEnd, Ack []time.Duration
	// Faults is the faults the simulator injected, Calls its calls.
	Faults, Calls int
}

// Percentile returns the nearest-rank percentile p (0..100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// MeasureLatency sends c.Samples generic webhooks, each creating a new
// goal, through the stack's front one at a time, and times each until
// its goal is visible in the simulator. The simulator fails c.FaultRate
// of the calls with 503 meanwhile; the faults are cleared at the end.
func MeasureLatency(ctx context.Context, st *devstack.Stack, c LatencyConfig) (LatencyResult, error) {
	if c.Samples <= 0 {
		c.Samples = 60
	}
	if c.Pause <= 0 {
		c.Pause = 100 * time.Millisecond
	}
	if c.Timeout <= 0 {
		c.Timeout = 90 * time.Second
	}
	var res LatencyResult
	before := st.Simulator.Stats()
	if c.FaultRate > 0 {
		st.Simulator.SetFaultRate(c.FaultRate, gt.FaultUnavailable)
	}
	defer st.Simulator.ClearFaults()
	snd := &sender{front: st.FrontURL, http: &http.Client{Timeout: 30 * time.Second}}
	stamp := time.Now().UnixNano()
	for i := range c.Samples {
		ext := fmt.Sprintf("lat-%s-%d-%03d", c.Label, stamp, i)
		ev := goalevents.Event{SpecVersion: "1.0", ID: ext, Source: LatencySource, Type: goalevents.GoalUpserted,
			Subject: ext, Time: time.Now().Add(-time.Second).Truncate(time.Second), DataContentType: "application/json",
			Data: goalevents.Data{ExternalID: ext, Fields: map[string]any{
				"Name": "latency " + ext, "StatusName": "On Track", "GoalTypeName": "Default",
				"EntityType": "COMPANY", "CompanyName": "IBM", "DueDate": "2027-12-31",
			}}}
		key := LatencySource + ":" + ext
		start := time.Now()
		if err := snd.webhook(ctx, []goalevents.Event{ev}); err != nil {
			return res, fmt.Errorf("sample %d: %w", i, err)
		}
		res.Ack = append(res.Ack, time.Since(start))
		deadline := start.Add(c.Timeout)
		for {
			if _, ok := st.Simulator.GoalByExternalID(key); ok {
				break
			}
			if time.Now().After(deadline) {
				return res, fmt.Errorf("sample %d: goal %s not visible after %s", i, key, c.Timeout)
			}
			if err := sleepCtx(ctx, 2*time.Millisecond); err != nil {
				return res, err
			}
		}
		res.EndToEnd = append(res.EndToEnd, time.Since(start))
		if err := sleepCtx(ctx, c.Pause); err != nil {
			return res, err
		}
	}
	after := st.Simulator.Stats()
	res.Faults, res.Calls = after.Faults-before.Faults, after.Calls-before.Calls
	return res, nil
}
