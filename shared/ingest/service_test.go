package ingest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// fakeSource is a source whose Open accepts a request whose x-key header
// equals the secret's "key" and turns each word of the body into one
// change; a word "bad" is malformed. It takes at most maxFake changes.
func fakeSource(name string) *webhook.Source {
	return &webhook.Source{Name: name, Namespace: "fake/", MaxBatch: maxFake, Open: fakeOpen}
}

const maxFake = 5

func fakeOpen(r *webhook.Request, secret json.RawMessage, now time.Time) ([]webhook.Change, error) {
	var s struct{ Key string }
	if err := json.Unmarshal(secret, &s); err != nil {
		return nil, fmt.Errorf("%w: secret", webhook.ErrUnauthenticated)
	}
	if r.Get("X-Key") == "" || r.Get("X-Key") != s.Key {
		return nil, fmt.Errorf("%w: wrong key", webhook.ErrUnauthenticated)
	}
	if r.Get("x-ts") == "old" {
		return nil, webhook.ErrTimestamp
	}
	var out []webhook.Change
	for _, line := range strings.Fields(string(r.Body)) {
		if line == "bad" {
			return nil, fmt.Errorf("%w: line %q", webhook.ErrMalformed, line)
		}
		out = append(out, webhook.Change{ID: "fake:" + line, Source: "fake/1", Object: "deal", RecordID: line,
			Op: webhook.OpUpsert, OccurredAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
			Fields: map[string]any{"name": line}})
	}
	return out, nil
}

type fakeSecrets map[string]json.RawMessage

func (f fakeSecrets) Source(_ context.Context, name string) (json.RawMessage, error) {
	if name == "broken" {
		return nil, errors.New("secrets manager: throttled")
	}
	s, ok := f[name]
	if !ok {
		return nil, ingest.ErrSourceDisabled
	}
	return s, nil
}

// fakeMapper maps every change to one goal event, except records named
// "ignored" (no event) and "unmappable".
type fakeMapper struct{}

func (fakeMapper) Map(ch webhook.Change) ([]goalevents.Event, error) {
	switch ch.RecordID {
	case "ignored":
		return nil, nil
	case "unmappable":
		return nil, fmt.Errorf("%w: no Name", webhook.ErrUnmappable)
	}
	return []goalevents.Event{{SpecVersion: "1.0", ID: ch.ID, Source: ch.Source, Type: goalevents.GoalUpserted,
		Subject: ch.RecordID, Time: ch.OccurredAt, DataContentType: "application/json",
		Data: goalevents.Data{ExternalID: ch.RecordID, Fields: ch.Fields}}}, nil
}

type fakePublisher struct {
	err  error
	sent []goalevents.Event
}

func (p *fakePublisher) Publish(_ context.Context, evs []goalevents.Event) error {
	if p.err != nil {
		return p.err
	}
	p.sent = append(p.sent, evs...)
	return nil
}

func request(source, body string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	h := map[string]string{"x-key": "k1"}
	for k, v := range headers {
		h[k] = v
	}
	return events.APIGatewayV2HTTPRequest{
		RawPath:        "/webhooks/" + source,
		PathParameters: map[string]string{"source": source},
		Headers:        h,
		Body:           body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  "req-1",
			DomainName: "abc.execute-api.us-east-1.amazonaws.com",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/webhooks/" + source},
		},
	}
}

func TestOutcomeTable(t *testing.T) {
	tests := []struct {
		name       string
		req        events.APIGatewayV2HTTPRequest
		publishErr error
		wantStatus int
		wantQueued int
		wantReason string
	}{
		{"accepted", request("fake", "a b", nil), nil, 200, 2, ""},
		{"base64 body", func() events.APIGatewayV2HTTPRequest {
			r := request("fake", base64.StdEncoding.EncodeToString([]byte("a")), nil)
			r.IsBase64Encoded = true
			return r
		}(), nil, 200, 1, ""},
		{"bad base64", func() events.APIGatewayV2HTTPRequest {
			r := request("fake", "!!!", nil)
			r.IsBase64Encoded = true
			return r
		}(), nil, 400, 0, "malformed"},
		{"ignorable", request("fake", "ignored", nil), nil, 200, 0, ""},
		{"empty body", request("fake", "", nil), nil, 200, 0, ""},
		{"wrong key", request("fake", "a", map[string]string{"x-key": "nope"}), nil, 401, 0, "authentication failed"},
		{"stale", request("fake", "a", map[string]string{"x-ts": "old"}), nil, 401, 0, "timestamp"},
		{"unknown source", request("zoho", "a", nil), nil, 404, 0, "unknown source"},
		{"disabled source", request("off", "a", nil), nil, 404, 0, "disabled"},
		{"secret store down", request("broken", "a", nil), nil, 503, 0, "retry"},
		{"too large", request("fake", strings.Repeat("x", 2000), nil), nil, 413, 0, "too large"},
		{"malformed", request("fake", "a bad", nil), nil, 400, 0, "malformed"},
		{"largest batch", request("fake", "a b c d e", nil), nil, 200, maxFake, ""},
		{"batch over the source's limit", request("fake", "a b c d e f", nil), nil, 400, 0, "at most 5"},
		{"unmappable", request("fake", "a unmappable", nil), nil, 400, 0, "no Name"},
		{"queue down", request("fake", "a", nil), errors.New("sqs: 500"), 503, 0, "retry"},
		{"wrong method", func() events.APIGatewayV2HTTPRequest {
			r := request("fake", "a", nil)
			r.RequestContext.HTTP.Method = "GET"
			return r
		}(), nil, 405, 0, "method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakePublisher{err: tt.publishErr}
			var logs bytes.Buffer
			svc := &ingest.Service{
				Sources: []*webhook.Source{fakeSource("fake"), fakeSource("off"), fakeSource("broken")},
				Secrets: fakeSecrets{"fake": json.RawMessage(`{"key":"k1"}`)},
				Mapper:  fakeMapper{}, Publisher: pub, MaxBody: 1000,
				Log: slog.New(slog.NewJSONHandler(&logs, nil)),
			}
			resp, err := svc.Handle(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("Handle returned an error: %v", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if resp.Headers["content-type"] != "application/json" {
				t.Errorf("content-type = %q", resp.Headers["content-type"])
			}
			if tt.wantStatus >= 300 && len(pub.sent) != 0 {
				t.Errorf("a rejected request queued %d events", len(pub.sent))
			}
			if len(pub.sent) != tt.wantQueued {
				t.Errorf("queued %d events, want %d", len(pub.sent), tt.wantQueued)
			}
			var body struct {
				Queued int    `json:"queued"`
				Error  string `json:"error"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body is not JSON: %q", resp.Body)
			}
			if tt.wantReason != "" && !strings.Contains(body.Error, tt.wantReason) {
				t.Errorf("reason = %q, want it to mention %q", body.Error, tt.wantReason)
			}
			if tt.wantStatus == http.StatusOK && body.Queued != tt.wantQueued {
				t.Errorf("body queued = %d", body.Queued)
			}
			if strings.Contains(logs.String(), "k1") {
				t.Errorf("the log contains the secret: %s", logs.String())
			}
			if !strings.Contains(logs.String(), `"status":`+fmt.Sprint(tt.wantStatus)) {
				t.Errorf("log line lacks the status: %s", logs.String())
			}
		})
	}
}

func TestPublicURLFromBase(t *testing.T) {
	var got string
	svc := &ingest.Service{
		Sources: []*webhook.Source{{Name: "fake", MaxBatch: 1, Open: func(r *webhook.Request, _ json.RawMessage, _ time.Time) ([]webhook.Change, error) {
			got = r.PublicURL
			return nil, nil
		}}},
		Secrets: fakeSecrets{"fake": json.RawMessage(`{}`)},
		Mapper:  fakeMapper{}, Publisher: &fakePublisher{},
		PublicBaseURL: "https://hooks.example.com/",
	}
	req := request("fake", "", nil)
	req.RawQueryString = "a=1&b=2"
	if _, err := svc.Handle(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if want := "https://hooks.example.com/webhooks/fake?a=1&b=2"; got != want {
		t.Errorf("PublicURL = %q, want %q", got, want)
	}
	svc.PublicBaseURL = ""
	if _, err := svc.Handle(t.Context(), request("fake", "", nil)); err != nil {
		t.Fatal(err)
	}
	if want := "https://abc.execute-api.us-east-1.amazonaws.com/webhooks/fake"; got != want {
		t.Errorf("PublicURL without base = %q, want %q", got, want)
	}
}
