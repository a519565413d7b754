package ingest_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/ingest/ingesttest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/secrets"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/testevents"
)

// TestIntegrationMoto runs the service with the real queue publisher and
// secret cache against moto_server (SQS FIFO and Secrets Manager).
func TestIntegrationMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	secretValue, err := os.ReadFile("../../testevents/secrets.json")
	if err != nil {
		t.Fatal(err)
	}
	stack := ingesttest.NewStack(t, secretValue)
	service := func(t *testing.T, secretID string, now time.Time) *ingest.Service {
		ws, err := secrets.NewWebhookSecrets(stack.SecretsManager, secretID)
		if err != nil {
			t.Fatal(err)
		}
		return &ingest.Service{
			Sources:   sources.All(),
			Secrets:   ws,
			Mapper:    mapping.Default(),
			Publisher: queue.NewPublisher(stack.SQS, stack.QueueURL),
			Now:       func() time.Time { return now },
			Log:       slog.New(slog.DiscardHandler),
		}
	}
	gen := func(t *testing.T, now time.Time) *testevents.Set {
		set, err := testevents.Generate(now, "../..")
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	invoke := func(t *testing.T, svc *ingest.Service, f testevents.File) int {
		t.Helper()
		req, err := f.Request()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := svc.Handle(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}

	t.Run("every testevent", func(t *testing.T) {
		now := time.Now()
		svc := service(t, stack.SecretID, now)
		for _, f := range gen(t, now).Ingest() {
			if got := invoke(t, svc, f); got != f.Status {
				t.Errorf("%s: status %d, want %d", f.File, got, f.Status)
			}
			msgs := stack.Drain(t, stack.QueueURL)
			if len(msgs) != f.Queued {
				t.Errorf("%s: %d messages on the queue, want %d", f.File, len(msgs), f.Queued)
			}
		}
	})

	t.Run("a CRM retry is queued once, with group and deduplication ids", func(t *testing.T) {
		files := []string{"hubspot-property-changes.json", "hubspot-workflow-deal.json", "salesforce-two-opportunities.json",
			"dynamics-update.json", "pipedrive-v2-change-deal.json", "generic-batch.json"}
		now := time.Now()
		first, retry := gen(t, now), gen(t, now.Add(90*time.Second))
		svc := service(t, stack.SecretID, now.Add(90*time.Second))
		for _, name := range files {
			f1, _ := first.Lookup(name)
			f2, _ := retry.Lookup(name)
			if f1.TimeSensitive && string(f1.Data) == string(f2.Data) {
				t.Fatalf("%s: the retry is not signed anew", name)
			}
			for _, f := range []testevents.File{f1, f2} {
				if got := invoke(t, svc, f); got != 200 {
					t.Fatalf("%s: status %d", name, got)
				}
			}
			msgs := stack.Drain(t, stack.QueueURL)
			if len(msgs) != f1.Queued {
				t.Errorf("%s sent twice: %d messages on the queue, want %d", name, len(msgs), f1.Queued)
			}
			seen := map[string]bool{}
			for _, m := range msgs {
				ev := m.Event
				eventstest.AssertValid(t, ev)
				if seen[ev.ID] {
					t.Errorf("%s: event %s queued twice", name, ev.ID)
				}
				seen[ev.ID] = true
				checkAttr := func(name, got, want string) {
					if got != want {
						t.Errorf("%s: %s = %q, want %q", ev.ID, name, got, want)
					}
				}
				checkAttr("MessageGroupId", m.Attributes["MessageGroupId"], queue.FIFOID(ev.RecordKey()))
				checkAttr("MessageDeduplicationId", m.Attributes["MessageDeduplicationId"], queue.FIFOID(ev.ID))
				checkAttr("event_type", aws.ToString(m.MessageAttributes[queue.AttrEventType].StringValue), string(ev.Type))
				checkAttr("source", aws.ToString(m.MessageAttributes[queue.AttrSource].StringValue), ev.Source)
				if !strings.HasPrefix(ev.Source, strings.SplitN(name, "-", 2)[0]) && !strings.HasPrefix(name, "generic") {
					t.Errorf("%s: source %q", name, ev.Source)
				}
			}
		}
	})

	t.Run("rejected requests queue nothing", func(t *testing.T) {
		now := time.Now()
		svc := service(t, stack.SecretID, now)
		n := 0
		for _, f := range gen(t, now).Ingest() {
			if f.Status < 300 {
				continue
			}
			n++
			if got := invoke(t, svc, f); got != f.Status {
				t.Errorf("%s: status %d, want %d", f.File, got, f.Status)
			}
		}
		if msgs := stack.Drain(t, stack.QueueURL); len(msgs) != 0 || n < 10 {
			t.Errorf("%d rejected requests left %d messages on the queue", n, len(msgs))
		}
	})

	t.Run("a source absent from the secret is disabled", func(t *testing.T) {
		var v map[string]json.RawMessage
		if err := json.Unmarshal(secretValue, &v); err != nil {
			t.Fatal(err)
		}
		delete(v, "pipedrive")
		b, _ := json.Marshal(v)
		stack.PutSecret(t, "goalrelay/webhook-secrets-without-pipedrive", b)
		now := time.Now()
		svc := service(t, "goalrelay/webhook-secrets-without-pipedrive", now)
		set := gen(t, now)
		f, _ := set.Lookup("pipedrive-v2-create-deal.json")
		if got := invoke(t, svc, f); got != 404 {
			t.Errorf("disabled pipedrive: status %d, want 404", got)
		}
		f, _ = set.Lookup("dynamics-create.json")
		if got := invoke(t, svc, f); got != 200 {
			t.Errorf("dynamics beside the disabled source: status %d, want 200", got)
		}
		if msgs := stack.Drain(t, stack.QueueURL); len(msgs) != 1 {
			t.Errorf("%d messages on the queue, want 1 (dynamics)", len(msgs))
		}
	})
}
