package emf_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/devtools/lambdalog"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/tracing"
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

// TestLinesSurviveTheLogLevelFilter: at every application log level Lambda
// offers, the metric line carries a level the filter keeps at that setting
// (lambdalog states the filter's documented rule), and the filter would
// have dropped the same line without it at WARN and above.
func TestLinesSurviveTheLogLevelFilter(t *testing.T) {
	for _, configured := range append(lambdalog.Levels, "", "warn", "NONSENSE") {
		t.Run(configured, func(t *testing.T) {
			t.Setenv(emf.LogLevelEnv, configured)
			var buf bytes.Buffer
			r := emf.New(&buf, "apply").With(emf.Dimension{Name: "Source", Value: "hubspot"})
			r.Inc(emf.EventsApplied)
			if err := r.Flush(); err != nil {
				t.Fatal(err)
			}
			line := bytes.TrimSpace(buf.Bytes())
			filter := strings.ToUpper(configured)
			if configured == "" {
				filter = "INFO" // Lambda's default
			} else if rankOf(filter) < 0 {
				filter = "FATAL" // the strictest setting: an undocumented value must not lose the line
			}
			if !lambdalog.Kept(line, filter) {
				t.Errorf("the filter at %s drops the metric line %s", filter, line)
			}
			var rec map[string]any
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatal(err)
			}
			want := emf.LineLevel(configured)
			if rec["level"] != want || (rankOf(filter) <= rankOf("INFO") && want != "INFO") {
				t.Errorf("level %v, want %s", rec["level"], want)
			}
			delete(rec, "level")
			bare, _ := json.Marshal(rec)
			if kept := lambdalog.Kept(bare, filter); kept != (rankOf(filter) <= rankOf("INFO")) {
				t.Errorf("without its level the line is kept=%v at %s", kept, filter)
			}
		})
	}
}

func rankOf(level string) int { return slices.Index(lambdalog.Levels, level) }

func TestLineCarriesTheInvocationsTraceID(t *testing.T) {
	for _, tt := range []struct{ env, want string }{
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "1-5759e988-bd862e3fe1be46a994272793"},
		{"", ""},
	} {
		t.Setenv(tracing.EnvHeader, tt.env)
		var buf bytes.Buffer
		r := emf.New(&buf, "ingest")
		r.Inc(emf.Webhooks)
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if got, _ := rec["traceId"].(string); got != tt.want {
			t.Errorf("traceId %q, want %q", got, tt.want)
		}
	}
}
