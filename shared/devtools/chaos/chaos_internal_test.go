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
