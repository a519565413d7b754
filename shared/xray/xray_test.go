package xray_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/devtools/xraydaemon"
	"github.com/goalrelay/goalrelay/shared/tracing"
	"github.com/goalrelay/goalrelay/shared/xray"
)

const (
	root    = "1-6759e988-0123456789abcdef01234567"
	parent  = "a1b2c3d4e5f60718"
	sampled = "Root=" + root + ";Parent=" + parent + ";Sampled=1"
	// secret stands for the Gainsight access key and AWS signatures.
	secret = "sk-THE-ACCESS-KEY-0123456789"
)

// newDaemon is a listener standing in for the X-Ray daemon.
func newDaemon(t *testing.T) *xraydaemon.Daemon {
	t.Helper()
	d, err := xraydaemon.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// decode checks the header line and returns the document as a map, to see
// the JSON names; xraydaemon.Decode checks that no other field is there.
func decode(t *testing.T, dgram []byte) map[string]any {
	t.Helper()
	if _, err := xraydaemon.Decode(dgram); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(dgram[len(xray.Header):], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func emitter(t *testing.T, addr string) *xray.Emitter {
	t.Helper()
	e, err := xray.NewEmitter(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestParentOf(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	tests := []struct {
		header string
		ok     bool
	}{
		{sampled, true},
		{"Root=" + root + ";Parent=" + parent + ";Sampled=0", false},
		{"Root=" + root + ";Parent=" + parent + ";Sampled=?", false},
		{"Root=" + root + ";Parent=" + parent, false},
		{"Root=" + root + ";Sampled=1", false},
		{"", false},
	}
	for _, tt := range tests {
		p, ok := xray.ParentOf(tracing.WithHeader(context.Background(), tt.header))
		if ok != tt.ok {
			t.Errorf("%q: ok = %v, want %v", tt.header, ok, tt.ok)
		}
		if ok && (p.TraceID != root || p.ParentID != parent) {
			t.Errorf("%q: parent %+v", tt.header, p)
		}
	}
}

func TestSubsegmentDocument(t *testing.T) {
	start := time.Unix(1765084800, 123456000)
	tests := []struct {
		status                   int
		errFlag, throttle, fault bool
	}{
		{200, false, false, false},
		{404, true, false, false},
		{429, true, true, false},
		{503, false, false, true},
	}
	for _, tt := range tests {
		s := xray.New(xray.Parent{TraceID: root, ParentID: parent}, "Gainsight", "remote", start, start.Add(250*time.Millisecond))
		s.HTTP = &xray.HTTP{Request: &xray.Request{Method: "PUT", URL: "https://acme.gainsightcloud.com/v1/goals"}}
		s.SetStatus(tt.status)
		m := decode(t, s.Datagram())
		for k, want := range map[string]any{"type": "subsegment", "trace_id": root, "parent_id": parent, "name": "Gainsight",
			"namespace": "remote"} {
			if m[k] != want {
				t.Errorf("%d: %s = %v, want %v", tt.status, k, m[k], want)
			}
		}
		for k, want := range map[string]float64{"start_time": 1765084800.123456, "end_time": 1765084800.373456} {
			if got, _ := m[k].(float64); math.Abs(got-want) > 1e-6 {
				t.Errorf("%d: %s = %v, want %v", tt.status, k, m[k], want)
			}
		}
		if id, _ := m["id"].(string); len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Errorf("id %q is not 16 hex digits", id)
		}
		h := m["http"].(map[string]any)
		if h["request"].(map[string]any)["method"] != "PUT" || h["response"].(map[string]any)["status"] != float64(tt.status) {
			t.Errorf("%d: http %v", tt.status, h)
		}
		if m["error"] == true != tt.errFlag || m["throttle"] == true != tt.throttle || m["fault"] == true != tt.fault {
			t.Errorf("%d: flags error=%v throttle=%v fault=%v", tt.status, m["error"], m["throttle"], m["fault"])
		}
	}
	a, b := xray.NewID(), xray.NewID()
	if a == b {
		t.Errorf("two ids alike: %s", a)
	}
}

func TestDatagramBounded(t *testing.T) {
	p := xray.Parent{TraceID: root, ParentID: parent}
	now := time.Now()
	huge := strings.Repeat("x", 2*xray.MaxDatagram)

	s := xray.New(p, "Gainsight", "remote", now, now)
	s.HTTP = &xray.HTTP{Request: &xray.Request{Method: "GET", URL: "https://h/" + huge}}
	s.SetCause("*net.OpError", huge)
	d := s.Datagram()
	m := decode(t, d)
	if len(d) > 4096 || m["trace_id"] != root || m["cause"] == nil || m["http"] == nil {
		t.Errorf("long URL and message: %d bytes, %v", len(d), m["http"])
	}

	// Fields set directly, not cut: the document would exceed the bound;
	// the cause, then the http and aws objects go, never the ids.
	s = xray.New(p, "DynamoDB", "aws", now, now)
	s.Cause = &xray.Cause{Exceptions: []xray.Exception{{ID: xray.NewID(), Message: huge}}}
	s.HTTP = &xray.HTTP{Request: &xray.Request{Method: "GET", URL: "https://h/"}}
	d = s.Datagram()
	m = decode(t, d)
	if len(d) > xray.MaxDatagram || m["cause"] != nil || m["http"] == nil || m["trace_id"] != root || m["parent_id"] != parent {
		t.Errorf("huge cause: %d bytes, cause %v, http %v", len(d), m["cause"] != nil, m["http"])
	}
	s.Cause = nil
	s.AWS = &xray.AWS{RequestID: huge}
	d = s.Datagram()
	m = decode(t, d)
	if len(d) > xray.MaxDatagram || m["aws"] != nil || m["trace_id"] != root || m["parent_id"] != parent || m["id"] != s.ID {
		t.Errorf("huge aws: %d bytes, aws %v", len(d), m["aws"] != nil)
	}
}

func TestDaemonAddress(t *testing.T) {
	for v, want := range map[string]string{
		"169.254.79.129:2000":                    "169.254.79.129:2000",
		"udp:127.0.0.1:2000":                     "127.0.0.1:2000",
		"tcp:127.0.0.1:2000 udp:127.0.0.2:2001":  "127.0.0.2:2001",
		"tcp:127.0.0.1:2000":                     "tcp:127.0.0.1:2000",
		"tcp:127.0.0.1:2000  tcp:127.0.0.1:2001": "",
		"":                                       "",
	} {
		if got := xray.DaemonAddress(v); got != want {
			t.Errorf("DaemonAddress(%q) = %q, want %q", v, got, want)
		}
	}
	e, err := xray.EmitterFromEnv(func(string) string { return "" })
	if e != nil || err != nil {
		t.Errorf("unset: %v, %v", e, err)
	}
	if _, err := xray.EmitterFromEnv(func(string) string { return "tcp:127.0.0.1:2000" }); err == nil {
		t.Error("a tcp-only address was accepted")
	}
	if _, err := xray.NewEmitter("xray.example:2000"); err == nil {
		t.Error("a host name was accepted")
	}
}

// gainsight is a server on 127.0.0.1 answering each path's status.
func gainsight(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/throttled":
			w.WriteHeader(429)
		case "/v1/broken":
			w.WriteHeader(503)
		default:
			_, _ = io.WriteString(w, `{"result":true}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, c *http.Client, ctx context.Context, url string) (int, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(`{"k":"v"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accesskey", secret)
	req.Header.Set("X-Try", "1") // too short to be a secret: left in a cause
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func TestTransportSendsOneSubsegmentPerCall(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	d := newDaemon(t)
	srv := gainsight(t)
	c := &http.Client{Transport: &xray.Transport{Emitter: emitter(t, d.Addr()), Name: "Gainsight"}}
	ctx := tracing.WithHeader(context.Background(), sampled)
	for _, path := range []string{"/v1/goals?accesskey=" + secret, "/v1/throttled", "/v1/broken"} {
		if _, err := call(t, c, ctx, srv.URL+path); err != nil {
			t.Fatal(err)
		}
	}
	got := d.Read(3, 2*time.Second)
	if len(got) != 3 {
		t.Fatalf("%d datagrams, want 3", len(got))
	}
	wantStatus := []float64{200, 429, 503}
	for i, dg := range got {
		if bytes.Contains(dg, []byte(secret)) {
			t.Errorf("datagram carries the access key: %s", dg)
		}
		m := decode(t, dg)
		if m["trace_id"] != root || m["parent_id"] != parent || m["name"] != "Gainsight" || m["namespace"] != "remote" {
			t.Errorf("document %s", dg)
		}
		h := m["http"].(map[string]any)
		if u := h["request"].(map[string]any)["url"].(string); strings.Contains(u, "?") || !strings.HasPrefix(u, srv.URL+"/v1/") {
			t.Errorf("url %q", u)
		}
		if s := h["response"].(map[string]any)["status"]; s != wantStatus[i] {
			t.Errorf("status %v, want %v", s, wantStatus[i])
		}
	}
}

func TestTransportSendsNothingUnsampled(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	d := newDaemon(t)
	srv := gainsight(t)
	c := &http.Client{Transport: &xray.Transport{Emitter: emitter(t, d.Addr()), Name: "Gainsight"}}
	for _, h := range []string{"", "Root=" + root + ";Parent=" + parent + ";Sampled=0", "Root=" + root + ";Sampled=1"} {
		if status, err := call(t, c, tracing.WithHeader(context.Background(), h), srv.URL+"/v1/goals"); err != nil || status != 200 {
			t.Fatalf("%q: %d, %v", h, status, err)
		}
	}
	// The same client, sampled, sends: the listener would have seen the
	// others.
	if _, err := call(t, c, tracing.WithHeader(context.Background(), sampled), srv.URL+"/v1/goals"); err != nil {
		t.Fatal(err)
	}
	if got := d.Read(1, 2*time.Second); len(got) != 1 {
		t.Errorf("%d datagrams, want only the sampled call's", len(got))
	}
	// No emitter: requests pass through.
	c = &http.Client{Transport: &xray.Transport{Name: "Gainsight"}}
	if status, err := call(t, c, tracing.WithHeader(context.Background(), sampled), srv.URL+"/v1/goals"); err != nil || status != 200 {
		t.Fatalf("without an emitter: %d, %v", status, err)
	}
}

// failing is a RoundTripper whose every request fails with a message that
// quotes the request's header and query, as a careless one might.
type failing struct{}

func (failing) RoundTrip(req *http.Request) (*http.Response, error) {
	return nil, errors.New("dial failed for " + req.Header.Get("Accesskey") + " at ?" + req.URL.RawQuery + " try " + req.Header.Get("X-Try"))
}

func TestTransportErrorIsAFaultWithoutSecrets(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	d := newDaemon(t)
	c := &http.Client{Transport: &xray.Transport{Base: failing{}, Emitter: emitter(t, d.Addr()), Name: "Gainsight"}}
	if _, err := call(t, c, tracing.WithHeader(context.Background(), sampled), "http://127.0.0.1:1/v1/goals?token="+secret); err == nil {
		t.Fatal("no error")
	}
	got := d.Read(1, 2*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d datagrams, want 1", len(got))
	}
	if bytes.Contains(got[0], []byte(secret)) {
		t.Errorf("datagram carries the secret: %s", got[0])
	}
	m := decode(t, got[0])
	ex := m["cause"].(map[string]any)["exceptions"].([]any)[0].(map[string]any)
	if m["fault"] != true || ex["message"] != "dial failed for [redacted] at ?[redacted] try 1" || ex["type"] != "*errors.errorString" {
		t.Errorf("document %s", got[0])
	}
}

func TestSendToNoDaemonNeverFailsTheCall(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	d := newDaemon(t)
	addr := d.Addr()
	d.Close() // nothing listens: each send is refused
	srv := gainsight(t)
	c := &http.Client{Transport: &xray.Transport{Emitter: emitter(t, addr), Name: "Gainsight"}}
	for range 5 {
		if status, err := call(t, c, tracing.WithHeader(context.Background(), sampled), srv.URL+"/v1/goals"); err != nil || status != 200 {
			t.Fatalf("%d, %v", status, err)
		}
	}
}

// doer answers every request with status and a request id.
type doer struct{ status int }

func (d doer) Do(*http.Request) (*http.Response, error) {
	h := http.Header{}
	h.Set("X-Amzn-Requestid", "REQ123")
	return &http.Response{StatusCode: d.status, Header: h, Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

func TestAWSClient(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	d := newDaemon(t)
	e := emitter(t, d.Addr())
	ctx := tracing.WithHeader(context.Background(), sampled)
	for _, tt := range []struct {
		host, target, name, op, region string
		status                         int
	}{
		{"dynamodb.eu-west-1.amazonaws.com", "DynamoDB_20120810.UpdateItem", "DynamoDB", "UpdateItem", "eu-west-1", 400},
		{"127.0.0.1:5000", "AmazonSQS.SendMessageBatch", "SQS", "SendMessageBatch", "", 200},
		{"sts.amazonaws.com", "", "sts", "", "", 200},
	} {
		req, err := http.NewRequestWithContext(ctx, "POST", "https://"+tt.host+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/"+secret)
		if tt.target != "" {
			req.Header.Set("X-Amz-Target", tt.target)
		}
		c := &xray.AWSClient{Base: doer{tt.status}, Emitter: e}
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != tt.status {
			t.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
		got := d.Read(1, 2*time.Second)
		if len(got) != 1 {
			t.Fatalf("%s: %d datagrams", tt.host, len(got))
		}
		if bytes.Contains(got[0], []byte(secret)) || bytes.Contains(got[0], []byte("AKIA")) {
			t.Errorf("datagram carries the signature: %s", got[0])
		}
		m := decode(t, got[0])
		a, _ := m["aws"].(map[string]any)
		if m["name"] != tt.name || m["namespace"] != "aws" || a["operation"] != orNil(tt.op) || a["region"] != orNil(tt.region) ||
			a["request_id"] != "REQ123" || m["trace_id"] != root || m["parent_id"] != parent || (m["error"] == true) != (tt.status == 400) {
			t.Errorf("%s: %s", tt.host, got[0])
		}
	}
	// No emitter, or not sampled: passed through, nothing sent.
	req, _ := http.NewRequestWithContext(context.Background(), "POST", "https://sqs.eu-west-1.amazonaws.com/", nil)
	for _, c := range []*xray.AWSClient{{Base: doer{200}}, {Base: doer{200}, Emitter: e}} {
		if resp, err := c.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
	}
	if got := d.Read(0, 300*time.Millisecond); len(got) != 0 {
		t.Errorf("%d datagrams for unsampled calls", len(got))
	}
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// BenchmarkTransport is the cost of recording a call: a sampled request to
// a server on 127.0.0.1 with and without a subsegment sent to a listener.
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "{}") }))
	defer srv.Close()
	d, err := xraydaemon.Listen()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	e, err := xray.NewEmitter(d.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := tracing.WithHeader(context.Background(), sampled)
	for _, em := range []*xray.Emitter{nil, e} {
		name := "without"
		if em != nil {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			c := &http.Client{Transport: &xray.Transport{Base: srv.Client().Transport, Emitter: em, Name: "Gainsight"}}
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequestWithContext(ctx, "PUT", srv.URL+"/v1/goals", nil)
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// BenchmarkDatagram is the cost of one document.
func BenchmarkDatagram(b *testing.B) {
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		s := xray.New(xray.Parent{TraceID: root, ParentID: parent}, "Gainsight", "remote", now, now)
		s.HTTP = &xray.HTTP{Request: &xray.Request{Method: "PUT", URL: "https://acme.gainsightcloud.com/v1/data/objects/Goal"}}
		s.SetStatus(200)
		_ = s.Datagram()
	}
}
