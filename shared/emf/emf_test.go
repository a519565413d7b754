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
