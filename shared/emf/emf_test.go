package emf_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/emf"
)

func TestFlushWritesOneEMFLine(t *testing.T) {
	var buf bytes.Buffer
	r := emf.New(&buf, "apply")
	r.Inc(emf.EventsApplied)
	r.Inc(emf.EventsApplied)
	r.Add(emf.QuotaWaitMs, 250)
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %q", buf.String())
	}
	if got["Function"] != "apply" || got["EventsApplied"] != 2.0 || got["QuotaWaitMs"] != 250.0 {
		t.Errorf("values = %v", got)
	}
	aws := got["_aws"].(map[string]any)
	cw := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	want := []any{
		map[string]any{"Name": "EventsApplied", "Unit": "Count"},
		map[string]any{"Name": "QuotaWaitMs", "Unit": "Milliseconds"},
	}
	if d := cmp.Diff(want, cw["Metrics"]); d != "" || cw["Namespace"] != "goalrelay" {
		t.Errorf("metric directive (-want +got):\n%s namespace %v", d, cw["Namespace"])
	}
	buf.Reset()
	if err := r.Flush(); err != nil || buf.Len() != 0 {
		t.Errorf("second flush wrote %q, want nothing", buf.String())
	}
}

func TestWithAddsDimensions(t *testing.T) {
	var buf bytes.Buffer
	base := emf.New(&buf, "ingest")
	r := base.With(emf.Dimension{Name: "Source", Value: "hubspot"}, emf.Dimension{Name: "Outcome", Value: "401"})
	r.Inc(emf.Webhooks)
	base.Inc(emf.EventsApplied) // the parent's counters are its own
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %q", buf.String())
	}
	if got["Function"] != "ingest" || got["Source"] != "hubspot" || got["Outcome"] != "401" || got["Webhooks"] != 1.0 {
		t.Errorf("values = %v", got)
	}
	if _, ok := got["EventsApplied"]; ok {
		t.Errorf("the derived recorder wrote its parent's counter: %v", got)
	}
	cw := got["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if d := cmp.Diff([]any{[]any{"Function", "Source", "Outcome"}}, cw["Dimensions"]); d != "" {
		t.Errorf("dimensions (-want +got):\n%s", d)
	}
	// A nil recorder stays nil and silent.
	var none *emf.Recorder
	if w := none.With(emf.Dimension{Name: "Source", Value: "x"}); w != nil {
		t.Errorf("nil.With = %v, want nil", w)
	}
}
