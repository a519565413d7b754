package testevents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/testevents"
)

// capture is a publisher that keeps what it is given, marshalled as the
// queue would send it.
type capture struct{ sent [][]byte }

func (c *capture) Publish(_ context.Context, evs []goalevents.Event) error {
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		c.sent = append(c.sent, b)
	}
	return nil
}

func generate(t *testing.T, now time.Time) *testevents.Set {
	t.Helper()
	set, err := testevents.Generate(now, "..")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestIngestAnswersEveryEvent runs every ingest event, generated for the
// current time, through ingest.Service.Handle with the real adapters and
// mapping and a capturing queue, and checks the manifest's expectations.
func TestIngestAnswersEveryEvent(t *testing.T) {
	now := time.Now()
	set := generate(t, now)
	for _, f := range set.Ingest() {
		t.Run(strings.TrimSuffix(f.File, ".json"), func(t *testing.T) {
			req, err := f.Request()
			if err != nil {
				t.Fatalf("the file does not decode as events.APIGatewayV2HTTPRequest: %v", err)
			}
			pub := &capture{}
			var logs bytes.Buffer
			svc := &ingest.Service{
				Sources:   sources.All(),
				Secrets:   testevents.NewSecrets(),
				Mapper:    mapping.Default(),
				Publisher: pub,
				Now:       func() time.Time { return now },
				Log:       slog.New(slog.NewJSONHandler(&logs, nil)),
			}
			resp, err := svc.Handle(t.Context(), req)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode != f.Status {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, f.Status, resp.Body)
			}
			if len(pub.sent) != f.Queued {
				t.Errorf("queued %d events, want %d", len(pub.sent), f.Queued)
			}
			for _, b := range pub.sent {
				if err := eventstest.ValidateJSON(b); err != nil {
					t.Errorf("queued event breaks the schema: %v\n%s", err, b)
				}
			}
			checkAnswer(t, f, resp.Headers["content-type"], resp.Body)
			checkLog(t, logs.String(), req.Body)
		})
	}
}

// Every source of the list has test events, one of them accepted with
// events queued: a new source cannot come without them.
func TestEverySourceHasEvents(t *testing.T) {
	set := generate(t, time.Now())
	for _, src := range sources.All() {
		accepted := 0
		for _, f := range set.Ingest() {
			if f.Source == src.Name && f.Status == 200 && f.Queued > 0 {
				accepted++
			}
		}
		if accepted == 0 {
			t.Errorf("source %s has no test event that queues events", src.Name)
		}
	}
}

// checkAnswer checks the body a CRM gets: Salesforce's SOAP Ack or Fault,
// JSON for the others.
func checkAnswer(t *testing.T, f testevents.File, contentType, body string) {
	t.Helper()
	if f.Source == salesforce.Source.Name {
		if contentType != salesforce.ContentType {
			t.Errorf("content-type = %q, want %q", contentType, salesforce.ContentType)
		}
		if f.Status == 200 && body != salesforce.AckXML {
			t.Errorf("body is not the SOAP Ack:\n%s", body)
		}
		if f.Status != 200 && !strings.Contains(body, "soapenv:Fault") {
			t.Errorf("body is not a SOAP Fault:\n%s", body)
		}
		return
	}
	if contentType != "application/json" {
		t.Errorf("content-type = %q", contentType)
	}
	var got struct {
		Queued *int    `json:"queued"`
		Error  *string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body is not JSON: %q", body)
	}
	switch {
	case f.Status < 300 && (got.Queued == nil || *got.Queued != f.Queued):
		t.Errorf("body %s, want queued %d", body, f.Queued)
	case f.Status >= 300 && (got.Error == nil || *got.Error == ""):
		t.Errorf("body %s has no error reason", body)
	}
}

// checkLog checks that the log line has the status and no secret,
// signature or body.
func checkLog(t *testing.T, logs, body string) {
	t.Helper()
	for _, secret := range []string{testevents.HubSpotClientSecret, testevents.DynamicsKey, testevents.PipedrivePassword,
		strings.TrimPrefix(testevents.GenericSecret, standardwebhooks.SecretPrefix), "v1,", "Basic "} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q: %s", secret, logs)
		}
	}
	if len(body) > 40 && strings.Contains(logs, body[:40]) {
		t.Errorf("the log contains the body: %s", logs)
	}
	if !strings.Contains(logs, `"status":`) {
		t.Errorf("no status in the log: %s", logs)
	}
}

// TestSQSEventsDecode checks the apply function's events: FIFO attributes
// set and every body a valid canonical event.
func TestSQSEventsDecode(t *testing.T) {
	set := generate(t, time.Now())
	n := 0
	for _, f := range set.Files {
		if f.Function != testevents.ApplyFunction {
			continue
		}
		n++
		ev, err := f.SQSEvent()
		if err != nil {
			t.Fatalf("%s: %v", f.File, err)
		}
		if len(ev.Records) != f.Records || f.Records == 0 {
			t.Errorf("%s: %d records, manifest says %d", f.File, len(ev.Records), f.Records)
		}
		for _, r := range ev.Records {
			if err := eventstest.ValidateJSON([]byte(r.Body)); err != nil {
				t.Errorf("%s: %v", f.File, err)
			}
			for _, a := range []string{"MessageGroupId", "MessageDeduplicationId", "SequenceNumber", "ApproximateReceiveCount"} {
				if r.Attributes[a] == "" {
					t.Errorf("%s: attribute %s missing", f.File, a)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no SQS events")
	}
}

// TestCommittedFilesAreCurrent regenerates the committed files for the time
// recorded in manifest.json and compares them byte for byte, so that a
// change to the generator or to an adapter's testdata is not forgotten.
func TestCommittedFilesAreCurrent(t *testing.T) {
	raw, err := os.ReadFile("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m testevents.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	set := generate(t, m.GeneratedAt)
	dir := t.TempDir()
	if err := set.Write(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		want, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		got, err := os.ReadFile(e.Name())
		if err != nil {
			t.Errorf("%s is missing: run go run ./testevents/gen", e.Name())
			continue
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s is out of date: run go run ./testevents/gen (-generated +committed):\n%s", e.Name(), diff)
		}
	}
}

// TestGenerateIsDeterministic: the same time gives the same bytes.
func TestGenerateIsDeterministic(t *testing.T) {
	at := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := generate(t, at), generate(t, at)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Error(diff)
	}
}

func TestSecrets(t *testing.T) {
	var v map[string]map[string]string
	if err := json.Unmarshal(testevents.SecretsJSON(), &v); err != nil {
		t.Fatal(err)
	}
	if len(v) != len(sources.All()) {
		t.Errorf("secrets.json has %d sources, want %d", len(v), len(sources.All()))
	}
	for _, src := range sources.All() {
		if _, ok := v[src.Name]; !ok {
			t.Errorf("secrets.json has no secret for source %s", src.Name)
		}
	}
	if id, err := salesforce.NormalizeID(testevents.SalesforceOrganizationID); err != nil || id != testevents.SalesforceOrganizationID {
		t.Errorf("organizationId %q: %q, %v", testevents.SalesforceOrganizationID, id, err)
	}
	if _, err := standardwebhooks.Sign(testevents.GenericSecret, "msg_1", time.Now(), nil); err != nil {
		t.Errorf("generic secret: %v", err)
	}
}
