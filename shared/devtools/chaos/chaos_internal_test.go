package chaos

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWorkloadShape(t *testing.T) {
	w := newWorkload("t", 20, 4, 2, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if len(w.byID) != 80 || len(w.bad) != 2 {
		t.Fatalf("%d events, %d bad", len(w.byID), len(w.bad))
	}
	got := w.rounds()
	if len(got) != 3 || len(got[0]) != 2 || got[1][0] != 4 || got[2][0] != 3 {
		t.Errorf("rounds %v, want [[1 2] [4] [3]]", got)
	}
	for id := range w.bad {
		if p := w.byID[id]; p.version != 2 || p.ev.Data.Fields["StatusName"] != "Lost Forever" {
			t.Errorf("bad event %s: %+v", id, p)
		}
	}
	// Every third record gets v1 again, the next one its newest version.
	dups := w.duplicates()
	if len(dups) != 14 || dups[0].ID != "t-r00-v1" || dups[1].ID != "t-r01-v4" {
		t.Errorf("%d duplicates, first %s %s", len(dups), dups[0].ID, dups[1].ID)
	}
	ev := w.byID["t-r03-v1"].ev
	if w.key("r03") != "generic/chaos:r03" || ev.RecordKey() != "generic/chaos:r03" {
		t.Errorf("record key %q", ev.RecordKey())
	}
	if err := ev.Validate(); err != nil {
		t.Errorf("event invalid: %v", err)
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := Percentile(ds, p); got != want {
			t.Errorf("p%v = %s, want %s", p, got, want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("empty")
	}
}

func TestReport(t *testing.T) {
	r := Result{Config: Config{}.Defaults(),
		Baseline: Phase{Name: "baseline", Events: 80, Bad: 2, DLQ: 2, Drained: true, Drain: 8 * time.Second},
		Chaos: Phase{Name: "chaos", Events: 80, Bad: 2, DLQ: 2, Drained: true, Drain: 100 * time.Second,
			Faults: map[string]int{"500": 3, "hang": 2}, Kills: 4, KillsMidBatch: 1}}
	var b bytes.Buffer
	r.Report(&b)
	out := b.String()
	for _, want := range []string{"drain time ÷ fault-free drain time: 12.50", "chaos-summary: events=80", "faults=5 kills=4(mid-batch=1)", "ok=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	r.Chaos.StaleWrites = 1
	if r.Chaos.OK() {
		t.Error("a stale write is OK")
	}
}

func TestValidate(t *testing.T) {
	if err := (Config{}).Defaults().validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Config{FunctionTimeout: 5 * time.Second}).Defaults().validate(); err == nil {
		t.Error("a function time-out under the apply margin passed")
	}
}

// TestSeries: the median of the runs' ratios (odd and even counts), the
// runs at most 3, and no median when a run did not drain.
func TestSeries(t *testing.T) {
	run := func(seed uint64, chaos time.Duration, drained bool) Result {
		c := Config{}.Defaults()
		c.Seed = seed
		return Result{Config: c,
			Baseline: Phase{Name: "baseline", Drained: true, Drain: 10 * time.Second},
			Chaos:    Phase{Name: "chaos", Drained: drained, Drain: chaos}}
	}
	s := Series{run(1, 40*time.Second, true), run(2, 20*time.Second, true), run(3, 100*time.Second, true)}
	if m := s.MedianRatio(); m != 4 {
		t.Errorf("median of 4, 2, 10 = %v", m)
	}
	s = append(s, run(4, 25*time.Second, true))
	if m := s.MedianRatio(); m != 3.25 {
		t.Errorf("median of 4, 2, 10, 2.5 = %v", m)
	}
	var b bytes.Buffer
	s.Report(&b)
	out := b.String()
	for _, want := range []string{"1:4.00 2:2.00 3:10.00 4:2.50", "chaos-series: runs=4 median-ratio=3.25 min=2.00 max=10.00 at-most-3=2 ok="} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	s = append(s, run(5, 4*time.Minute, false))
	if m := s.MedianRatio(); m != 0 {
		t.Errorf("median with an undrained run = %v, want 0 (unknown)", m)
	}
	b.Reset()
	s.Report(&b)
	if !strings.Contains(b.String(), "median-ratio=n/a") {
		t.Errorf("report with an undrained run:\n%s", b.String())
	}
}
