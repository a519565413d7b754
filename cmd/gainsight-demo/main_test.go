package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out, "", "", 5*time.Second); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var calls []string
	for _, l := range lines {
		calls = append(calls, strings.Fields(l)[0])
	}
	want := "simulator Picklist CreateGoal UpdateGoal FetchGoals CreateTemplates DeleteTemplates CreateMetrics DeleteMetrics UpdateGoal simulator"
	if got := strings.Join(calls, " "); got != want {
		t.Errorf("calls:\n got %s\nwant %s\n%s", got, want, out.String())
	}
	if strings.Contains(out.String(), "FAILED") {
		t.Errorf("a step failed:\n%s", out.String())
	}
}
