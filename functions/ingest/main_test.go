package main

import (
	"bytes"
	stdcontext "context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/lambdalog"
	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	"github.com/goalrelay/goalrelay/shared/ingest/ingesttest"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/tracing"
	"github.com/goalrelay/goalrelay/testevents"
)

// syncBuffer collects the emulator's and the function's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newStack is moto_server with the queue and the webhook secrets of
// testevents.
func newStack(t *testing.T) *ingesttest.Stack {
	t.Helper()
	secretValue, err := os.ReadFile("../../testevents/secrets.json")
	if err != nil {
		t.Fatal(err)
	}
	return ingesttest.NewStack(t, secretValue)
}

// binDir holds the binaries built for this test run; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds the bootstrap (as for Lambda, host architecture) and the
// emulator once per test binary.
var binaries = sync.OnceValues(func() ([2]string, error) {
	dir, err := os.MkdirTemp("", "goalrelay-ingest-rie-")
	if err != nil {
		return [2]string{}, err
	}
	binDir = dir
	emu, boot, err := rie.BuildFunction(stdcontext.Background(), "./functions/ingest", dir)
	return [2]string{emu, boot}, err
})

func start(t *testing.T, env []string) (*rie.Function, *syncBuffer) {
	t.Helper()
	bins, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	fn, err := rie.Start(t.Context(), rie.Config{Emulator: bins[0], Bootstrap: bins[1], Name: "goalrelay-ingest", Timeout: 10, Env: env, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fn.Close)
	return fn, out
}

// TestBootstrapAnswersEveryTestevent runs the real bootstrap under
// aws-lambda-rie against moto_server and sends it every file of testevents
// (generated for now): statuses, answers and queued counts as the manifest
// says.
func TestBootstrapAnswersEveryTestevent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under aws-lambda-rie with moto_server")
	}
	stack := newStack(t)
	// The template's LoggingConfig (LogFormat: JSON) makes Lambda set this.
	fn, out := start(t, append(stack.Env(), "AWS_LAMBDA_LOG_FORMAT=JSON"))

	set, err := testevents.Generate(time.Now(), "../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.Ingest() {
		var resp events.APIGatewayV2HTTPResponse
		if err := fn.InvokeJSON(t.Context(), json.RawMessage(f.Data), &resp); err != nil {
			t.Fatalf("%s: %v\n%s", f.File, err, out)
		}
		if resp.StatusCode != f.Status {
			t.Errorf("%s: status %d, want %d: %s", f.File, resp.StatusCode, f.Status, resp.Body)
		}
		switch {
		case f.Source == "salesforce" && f.Status == 200:
			if resp.Body != salesforce.AckXML || resp.Headers["content-type"] != salesforce.ContentType {
				t.Errorf("%s: not the SOAP Ack: %q %s", f.File, resp.Headers["content-type"], resp.Body)
			}
		case f.Source == "salesforce":
			if !strings.Contains(resp.Body, "soapenv:Fault") {
				t.Errorf("%s: not a SOAP Fault: %s", f.File, resp.Body)
			}
		case f.Status == 200:
			var body struct{ Queued int }
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Queued != f.Queued {
				t.Errorf("%s: body %s, want queued %d", f.File, resp.Body, f.Queued)
			}
		}
		if msgs := stack.Drain(t, stack.QueueURL); len(msgs) != f.Queued {
			t.Errorf("%s: %d messages on the queue, want %d", f.File, len(msgs), f.Queued)
		}
	}

	logs := out.String()
	if m := regexp.MustCompile(`INIT REPORT.*durationMs: ([0-9.]+)|Init Duration: ([0-9.]+) ms`).FindStringSubmatch(logs); m != nil {
		t.Logf("init duration reported by the emulator: %s%s ms", m[1], m[2])
	}
	for _, secret := range []string{testevents.HubSpotClientSecret, testevents.DynamicsKey, testevents.PipedrivePassword,
		strings.TrimPrefix(testevents.GenericSecret, "whsec_"), "x-hubspot-signature", "webhook-signature", "v1,"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the function's output contains %q", secret)
		}
	}
	// One log line and one metric line (EMF, on stdout) per request; the
	// metric lines name the same sources and outcomes as the requests.
	lines := 0
	wantMetrics, gotMetrics := map[string]int{}, map[string]int{}
	for _, f := range set.Ingest() {
		o := "accepted"
		if f.Status >= 300 {
			o = strconv.Itoa(f.Status)
		}
		src := f.Source
		if _, ok := sources.Lookup(src); !ok {
			src = "unknown" // never the path segment a caller chose
		}
		wantMetrics[src+" "+o]++
	}
	for _, line := range strings.Split(logs, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue // the emulator's own lines
		}
		var rec struct {
			Message, RequestID string
			Status             int
			AWS                json.RawMessage `json:"_aws"`
			Function           string
			Source, Outcome    string
			Webhooks           float64
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %v: %s", err, line)
		}
		if rec.AWS != nil {
			if rec.Function == "" || rec.Webhooks != 1 {
				t.Errorf("metric line without Function or Webhooks 1: %s", line)
			}
			gotMetrics[rec.Source+" "+rec.Outcome]++
			continue
		}
		if rec.RequestID == "" || rec.Status == 0 {
			t.Errorf("log line without requestId or status: %s", line)
		}
		lines++
	}
	if lines != len(set.Ingest()) {
		t.Errorf("%d JSON log lines for %d requests:\n%s", lines, len(set.Ingest()), logs)
	}
	if d := cmp.Diff(wantMetrics, gotMetrics); d != "" {
		t.Errorf("metric lines by source and outcome (-want +got):\n%s", d)
	}
}

// TestBootstrapInitFailures: a missing variable or an invalid mapping file
// stops the function at init with a message that says what is wrong.
func TestBootstrapInitFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under aws-lambda-rie")
	}
	mappingFile := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(mappingFile, []byte("source: hubspot\nobjects:\n  deal:\n    type: nonsense\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		want *regexp.Regexp
	}{
		{"no QUEUE_URL", []string{"WEBHOOK_SECRETS_ID=x"}, regexp.MustCompile(`QUEUE_URL is not set`)},
		{"no WEBHOOK_SECRETS_ID", []string{"QUEUE_URL=http://127.0.0.1:1/q.fifo"}, regexp.MustCompile(`WEBHOOK_SECRETS_ID is not set`)},
		{"invalid MAPPING_FILE", []string{"QUEUE_URL=http://127.0.0.1:1/q.fifo", "WEBHOOK_SECRETS_ID=x", "MAPPING_FILE=" + mappingFile},
			regexp.MustCompile(regexp.QuoteMeta(mappingFile) + `:4:`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, out := start(t, append(tt.env, "AWS_REGION=us-east-1"))
			// The emulator answers an init failure with HTTP 502 (Lambda
			// with Runtime.ExitError); either way the invoke fails.
			if _, err := fn.Invoke(t.Context(), []byte(`{}`)); err == nil {
				t.Error("invoke succeeded, want an init failure")
			}
			// The emulator may answer before the bootstrap's last line
			// has reached the output: wait for it, briefly.
			for deadline := time.Now().Add(3 * time.Second); !tt.want.MatchString(out.String()) && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if !tt.want.MatchString(out.String()) {
				t.Errorf("output does not match %s:\n%s", tt.want, out)
			}
		})
	}
}

// TestBootstrapMetricsAndTracesAtEveryLogLevel runs the real bootstrap
// under aws-lambda-rie at each application log level Lambda offers
// (AWS_LAMBDA_LOG_LEVEL, JSON log format), with traced invocations: an
// accepted webhook and a refused one. At every level each request's metric
// line is there with a level that Lambda's filter keeps at that setting
// (the emulator filters nothing, so the line is checked against the
// filter's documented rule, lambdalog.Kept); every line carries the
// invocation's traceId; and every message the accepted webhook queued was
// sent with the invocation's trace header as its AWSTraceHeader (read from
// the SendMessageBatch requests as they reached moto_server, which does not
// keep that attribute for batch entries).
func TestBootstrapMetricsAndTracesAtEveryLogLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under aws-lambda-rie with moto_server")
	}
	stack := newStack(t)
	rec := awstest.NewRecorder(t, stack.Moto.Endpoint)
	env := append(stack.Env(), "AWS_ENDPOINT_URL_SQS="+rec.URL, "AWS_LAMBDA_LOG_FORMAT=JSON")
	set, err := testevents.Generate(time.Now(), "../..")
	if err != nil {
		t.Fatal(err)
	}
	var accepted, refused testevents.File
	for _, f := range set.Ingest() {
		switch {
		case accepted.Data == nil && f.Status == 200 && f.Queued > 0:
			accepted = f
		case refused.Data == nil && f.Status == 401:
			refused = f
		}
	}
	bins, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	for i, level := range lambdalog.Levels {
		t.Run(level, func(t *testing.T) {
			root := fmt.Sprintf("1-5759e98%d-bd862e3fe1be46a99427279%d", i, i)
			header := "Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1"
			out := &syncBuffer{}
			fn, err := rie.Start(t.Context(), rie.Config{Emulator: bins[0], Bootstrap: bins[1], Name: "goalrelay-ingest", Timeout: 10,
				Env: append(env, "AWS_LAMBDA_LOG_LEVEL="+level), Output: out, Traced: true})
			if err != nil {
				t.Fatal(err)
			}
			defer fn.Close()
			sentBefore := len(rec.Bodies("AmazonSQS.SendMessageBatch"))
			for _, f := range []testevents.File{accepted, refused} {
				raw, err := fn.InvokeTraced(t.Context(), f.Data, header)
				var resp events.APIGatewayV2HTTPResponse
				if err != nil || json.Unmarshal(raw, &resp) != nil || resp.StatusCode != f.Status {
					t.Fatalf("%s: %v %s, want status %d\n%s", f.File, err, raw, f.Status, out)
				}
			}
			if msgs := stack.Drain(t, stack.QueueURL); len(msgs) != accepted.Queued {
				t.Errorf("%d messages queued, want %d", len(msgs), accepted.Queued)
			}

			metrics := 0
			for _, l := range lambdalog.JSONLines(out.String()) {
				if got := l.String(tracing.LogKey); got != root {
					t.Errorf("traceId %q, want the invocation's %s: %s", got, root, l.Raw)
				}
				if l.Metric() {
					metrics++
					if !lambdalog.Kept(l.Raw, level) {
						t.Errorf("Lambda's filter at %s would drop the metric line: %s", level, l.Raw)
					}
				}
			}
			if metrics != 2 {
				t.Errorf("%d metric lines for 2 requests", metrics)
			}
			entries := 0
			for _, body := range rec.Bodies("AmazonSQS.SendMessageBatch")[sentBefore:] {
				var in struct {
					Entries []struct {
						MessageSystemAttributes map[string]struct{ StringValue string }
					}
				}
				if err := json.Unmarshal(body, &in); err != nil {
					t.Fatal(err)
				}
				for _, e := range in.Entries {
					entries++
					if got := e.MessageSystemAttributes[tracing.SQSAttribute].StringValue; got != header {
						t.Errorf("message sent with AWSTraceHeader %q, want %q", got, header)
					}
				}
			}
			if entries != accepted.Queued {
				t.Errorf("%d messages sent, want %d", entries, accepted.Queued)
			}
			if t.Failed() {
				t.Logf("function output:\n%s", out)
			}
		})
	}
}
