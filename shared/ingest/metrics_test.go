package ingest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// TestMetricsPerOutcome drives Handle through each outcome and decodes the
// one EMF line it writes: Webhooks 1 with Function, Source and Outcome, and
// EventsQueued only when events were queued.
func TestMetricsPerOutcome(t *testing.T) {
	tests := []struct {
		name        string
		req         events.APIGatewayV2HTTPRequest
		publishErr  error
		wantSource  string
		wantOutcome string
		wantQueued  float64 // 0: no EventsQueued in the line
	}{
		{"accepted", request("fake", "a b", nil), nil, "fake", "accepted", 2},
		{"accepted, nothing to queue", request("fake", "ignored", nil), nil, "fake", "accepted", 0},
		{"malformed", request("fake", "a bad", nil), nil, "fake", "400", 0},
		{"unmappable", request("fake", "a unmappable", nil), nil, "fake", "400", 0},
		{"wrong key", request("fake", "a", map[string]string{"x-key": "nope"}), nil, "fake", "401", 0},
		{"stale", request("fake", "a", map[string]string{"x-ts": "old"}), nil, "fake", "401", 0},
		{"address not allowed", request("walled", "a", nil), nil, "walled", "403", 0},
		{"disabled source", request("off", "a", nil), nil, "off", "404", 0},
		{"unknown source", request("zoho", "a", nil), nil, "unknown", "404", 0},
		{"attacker-chosen source", request("zoho<script>", "a", nil), nil, "unknown", "404", 0},
		{"wrong method", func() events.APIGatewayV2HTTPRequest {
			r := request("fake", "a", nil)
			r.RequestContext.HTTP.Method = "GET"
			return r
		}(), nil, "fake", "405", 0},
		{"too large", request("fake", strings.Repeat("x", 2000), nil), nil, "fake", "413", 0},
		{"secret store down", request("broken", "a", nil), nil, "broken", "503", 0},
		{"queue down", request("fake", "a", nil), errors.New("sqs: 500"), "fake", "503", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			svc := &ingest.Service{
				Sources: []*webhook.Source{fakeSource("fake"), fakeSource("off"), fakeSource("broken"), fakeSource("walled")},
				Secrets: fakeSecrets{"fake": json.RawMessage(`{"key":"k1"}`), "walled": json.RawMessage(`{"key":"k1","allowedSourceIps":["198.51.100.0/24"]}`)},
				Mapper:  fakeMapper{}, Publisher: &fakePublisher{err: tt.publishErr}, MaxBody: 1000,
				Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
				Metrics: emf.New(&out, "goalrelay-ingest"),
			}
			if _, err := svc.Handle(t.Context(), tt.req); err != nil {
				t.Fatalf("Handle returned an error: %v", err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d metric lines, want 1:\n%s", len(lines), out.String())
			}
			var line struct {
				Function, Source, Outcome string
				Webhooks                  float64
				EventsQueued              *float64
				AWS                       struct {
					CloudWatchMetrics []struct {
						Namespace  string
						Dimensions [][]string
						Metrics    []struct{ Name, Unit string }
					}
				} `json:"_aws"`
			}
			if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
				t.Fatalf("not JSON: %v: %s", err, lines[0])
			}
			if line.Function != "goalrelay-ingest" || line.Source != tt.wantSource || line.Outcome != tt.wantOutcome || line.Webhooks != 1 {
				t.Errorf("Function %q Source %q Outcome %q Webhooks %v, want goalrelay-ingest %q %q 1",
					line.Function, line.Source, line.Outcome, line.Webhooks, tt.wantSource, tt.wantOutcome)
			}
			wantMetrics := []struct{ Name, Unit string }{{"Webhooks", "Count"}}
			switch {
			case tt.wantQueued == 0 && line.EventsQueued != nil:
				t.Errorf("EventsQueued = %v, want none", *line.EventsQueued)
			case tt.wantQueued > 0 && (line.EventsQueued == nil || *line.EventsQueued != tt.wantQueued):
				t.Errorf("EventsQueued = %v, want %v", line.EventsQueued, tt.wantQueued)
			case tt.wantQueued > 0:
				wantMetrics = append([]struct{ Name, Unit string }{{"EventsQueued", "Count"}}, wantMetrics...)
			}
			if n := len(line.AWS.CloudWatchMetrics); n != 1 {
				t.Fatalf("%d metric directives, want 1", n)
			}
			cw := line.AWS.CloudWatchMetrics[0]
			if cw.Namespace != emf.Namespace {
				t.Errorf("namespace %q, want %q", cw.Namespace, emf.Namespace)
			}
			if d := cmp.Diff([][]string{{"Function", "Source", "Outcome"}}, cw.Dimensions); d != "" {
				t.Errorf("dimensions (-want +got):\n%s", d)
			}
			if d := cmp.Diff(wantMetrics, cw.Metrics); d != "" {
				t.Errorf("metrics (-want +got):\n%s", d)
			}
		})
	}
}

// TestNoMetricsRecorder: a Service without Metrics answers as before.
func TestNoMetricsRecorder(t *testing.T) {
	svc := &ingest.Service{
		Sources: []*webhook.Source{fakeSource("fake")},
		Secrets: fakeSecrets{"fake": json.RawMessage(`{"key":"k1"}`)},
		Mapper:  fakeMapper{}, Publisher: &fakePublisher{},
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	resp, err := svc.Handle(t.Context(), request("fake", "a", nil))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Handle = %d, %v", resp.StatusCode, err)
	}
}
