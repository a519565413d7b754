package apply_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/lambdalog"
	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	"github.com/goalrelay/goalrelay/shared/tracing"
)

// Trace headers of the test: the webhook's (ingest's invocation, carried by
// the message's AWSTraceHeader) and the apply invocation's own.
const (
	producerRoot   = "1-5759e988-bd862e3fe1be46a994272793"
	producerHeader = "Root=" + producerRoot + ";Parent=53995c3f42cd8ad8;Sampled=1"
	consumerRoot   = "1-6759e988-0123456789abcdef01234567"
	consumerHeader = "Root=" + consumerRoot + ";Parent=a1b2c3d4e5f60718;Sampled=1"
)

// TestBootstrapMetricsAndTracesAtEveryLogLevel runs the real apply
// bootstrap under aws-lambda-rie at each application log level Lambda
// offers (AWS_LAMBDA_LOG_LEVEL, JSON log format) with a traced invocation
// whose message carries the webhook's trace in AWSTraceHeader, as Lambda's
// SQS event source delivers it. At every level the metric line is there
// with a level that Lambda's filter keeps at that setting (the emulator
// filters nothing, so the test checks the line's level and timestamp
// against the filter's documented rule, lambdalog.Kept); every line of the
// invocation carries its traceId; and the event's line, where the level
// lets it through (INFO and below), names the webhook's trace.
func TestBootstrapMetricsAndTracesAtEveryLogLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under aws-lambda-rie with moto_server")
	}
	t.Parallel()
	s := newStack(t, stackConfig{Visibility: 2, MaxReceive: 3})
	bins, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	for i, level := range lambdalog.Levels {
		t.Run(level, func(t *testing.T) {
			out := &syncBuffer{}
			fn, err := rie.Start(context.Background(), rie.Config{Emulator: bins[0], Bootstrap: bins[1], Name: "goalrelay-apply",
				Timeout: 15, Env: s.bootstrapEnv("AWS_LAMBDA_LOG_LEVEL=" + level), Output: out, MaxLife: 5 * time.Minute, Traced: true})
			if err != nil {
				t.Fatal(err)
			}
			defer fn.Close()
			ev := goalEvent(fmt.Sprintf("obs-%d", i), fmt.Sprintf("obs%d", i), 0, fullGoal("Traced goal "+level))
			body, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			in, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{
				MessageId: fmt.Sprintf("obs-m%d", i), Body: string(body), EventSource: "aws:sqs", EventSourceARN: s.queueARN,
				Attributes: map[string]string{"MessageGroupId": ev.RecordKey(), "MessageDeduplicationId": ev.ID,
					"ApproximateReceiveCount": "1", "SequenceNumber": fmt.Sprint(i + 1), tracing.SQSAttribute: producerHeader},
			}}})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := fn.InvokeTraced(t.Context(), in, consumerHeader)
			if err != nil {
				t.Fatalf("invoke: %v\n%s", err, out)
			}
			var resp events.SQSEventResponse
			if err := json.Unmarshal(raw, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("response %s (%v)\n%s", raw, err, out)
			}
			if _, ok := s.sim.GoalByExternalID(ev.RecordKey()); !ok {
				t.Fatalf("the event was not applied\n%s", out)
			}

			metrics, eventLines := 0, 0
			for _, l := range lambdalog.JSONLines(out.String()) {
				if got := l.String(tracing.LogKey); got != consumerRoot {
					t.Errorf("traceId %q, want the invocation's %s: %s", got, consumerRoot, l.Raw)
				}
				if l.Metric() {
					metrics++
					if !lambdalog.Kept(l.Raw, level) {
						t.Errorf("Lambda's filter at %s would drop the metric line: %s", level, l.Raw)
					}
					if l.Fields["EventsApplied"] != 1.0 || l.Fields["GainsightCalls"] == nil {
						t.Errorf("metric line without EventsApplied 1 and GainsightCalls: %s", l.Raw)
					}
					continue
				}
				if l.String("event_id") == ev.ID {
					eventLines++
					if got := l.String(apply.LogMessageTraceID); got != producerRoot {
						t.Errorf("%s %q, want the webhook's %s: %s", apply.LogMessageTraceID, got, producerRoot, l.Raw)
					}
				}
			}
			if metrics != 1 {
				t.Errorf("%d metric lines, want 1", metrics)
			}
			// The event's line is INFO: kept at INFO and below. (At FATAL,
			// which the Go log handler does not know, it is written and
			// Lambda's filter drops it.)
			if infoKept := lambdalog.Kept([]byte(`{"level":"INFO","timestamp":"2026-01-01T00:00:00Z"}`), level); infoKept && eventLines != 1 {
				t.Errorf("%d lines for the event at %s, want 1", eventLines, level)
			}
			if t.Failed() {
				t.Logf("function output:\n%s", tail(out.String(), 6000))
			}
		})
	}
}
