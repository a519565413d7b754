package goalctl_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/goalctl"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/webhook"
	"github.com/goalrelay/goalrelay/testevents"
)

// receiver is a webhook endpoint on 127.0.0.1 that records what it got.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []*webhook.Request
	status int
	answer string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{status: http.StatusOK, answer: `{"queued":1}`}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := map[string]string{}
		for k, v := range r.Header {
			h[strings.ToLower(k)] = strings.Join(v, ",")
		}
		rc.mu.Lock()
		rc.got = append(rc.got, &webhook.Request{
			Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: h, Body: body,
			PublicURL: rc.URL + r.URL.RequestURI(),
		})
		status, answer := rc.status, rc.answer
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []*webhook.Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*webhook.Request(nil), rc.got...)
}

func secretsFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(p, testevents.SecretsJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// allTestSecrets are the values that must never be printed.
func allTestSecrets() []string {
	return []string{testevents.HubSpotClientSecret, testevents.DynamicsKey, testevents.PipedrivePassword, testevents.GenericSecret}
}

// verifyDelivery checks req with the source's own adapter: the signature
// or credentials, the body's shape, and that the default mapping makes at
// least one event of it.
func verifyDelivery(t *testing.T, source string, req *webhook.Request) {
	t.Helper()
	secrets := testevents.NewSecrets()
	src, ok := sources.Lookup(source)
	if !ok {
		t.Fatalf("no source %q", source)
	}
	changes, err := src.Open(req, secrets[source], time.Now())
	if err != nil {
		t.Fatalf("%s: the adapter refuses the delivery: %v", source, err)
	}
	n := 0
	for _, ch := range changes {
		evs, err := mapping.Default().Map(ch)
		if err != nil {
			t.Fatalf("%s: map: %v", source, err)
		}
		n += len(evs)
	}
	if n == 0 {
		t.Fatalf("%s: the sample gives no event (%d changes)", source, len(changes))
	}
}

func TestSendEverySource(t *testing.T) {
	rc := newReceiver(t)
	secrets := secretsFile(t)
	for _, source := range sources.Names() {
		t.Run(source, func(t *testing.T) {
			url := rc.URL + "/webhooks/" + source
			before := len(rc.requests())
			r := (&harness{}).run(t, "send", source, "--url", url, "--secrets", secrets)
			wantCode(t, r, goalctl.ExitOK)
			if !strings.HasPrefix(r.stdout, "HTTP 200 OK\n") || !strings.Contains(r.stdout, `{"queued":1}`) {
				t.Errorf("stdout:\n%s", r)
			}
			mustNotLeak(t, r, allTestSecrets()...)
			got := rc.requests()
			if len(got) != before+1 {
				t.Fatalf("%d requests, want 1", len(got)-before)
			}
			req := got[len(got)-1]
			if req.Method != http.MethodPost || req.Path != "/webhooks/"+source {
				t.Errorf("request %s %s", req.Method, req.Path)
			}
			verifyDelivery(t, source, req)
		})
	}
}

func TestSendHubSpotV2WorkflowAndPublicURL(t *testing.T) {
	rc := newReceiver(t)
	// The receiver knows itself under another address: the signature must
	// cover that one.
	public := "https://hooks.example.com/webhooks/hubspot"
	r := (&harness{}).run(t, "send", "hubspot", "--url", rc.URL+"/webhooks/hubspot", "--public-url", public,
		"--signature", "v2", "--secret", "clientSecret="+testevents.HubSpotClientSecret, "--record-id", "4242", "--account", "777")
	wantCode(t, r, goalctl.ExitOK)
	mustNotLeak(t, r, testevents.HubSpotClientSecret)
	req := rc.requests()[0]
	if req.Get(hubspot.HeaderSignatureVersion) != "v2" {
		t.Fatalf("headers %v", req.Header)
	}
	req.PublicURL = public
	verifyDelivery(t, "hubspot", req)
	changes, _ := hubspot.Source.Open(req, testevents.NewSecrets()["hubspot"], time.Now())
	if len(changes) != 1 || changes[0].RecordID != "4242" || changes[0].Source != "hubspot/portal/777" {
		t.Errorf("changes %+v", changes)
	}
	// The same request checked against the URL it was sent to fails: the
	// public URL was really used.
	req.PublicURL = rc.URL + "/webhooks/hubspot"
	if err := (&hubspot.Adapter{}).Verify(req, testevents.NewSecrets()["hubspot"], time.Now()); !errors.Is(err, webhook.ErrUnauthenticated) {
		t.Errorf("verify against the wrong URL: %v", err)
	}
}

func TestSendFileAndStdin(t *testing.T) {
	rc := newReceiver(t)
	body, err := os.ReadFile("../sources/salesforce/testdata/one-opportunity.xml")
	if err != nil {
		t.Fatal(err)
	}
	r := (&harness{}).run(t, "send", "salesforce", "--url", rc.URL+"/webhooks/salesforce",
		"--secret", "organizationId="+testevents.SalesforceOrganizationID, "--file", "../sources/salesforce/testdata/one-opportunity.xml")
	wantCode(t, r, goalctl.ExitOK)
	req := rc.requests()[0]
	if string(req.Body) != string(body) {
		t.Errorf("body was changed")
	}
	if ct := req.Get("content-type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("content type %q", ct)
	}
	// The file's own organization.
	if err := (&salesforce.Adapter{}).Verify(req, json.RawMessage(`{"organizationId":"00D5e000000AbCdEAK"}`), time.Now()); err != nil {
		t.Errorf("verify: %v", err)
	}

	// stdin, with the secret member given as JSON.
	ev, err := os.ReadFile("../sources/standardwebhooks/testdata/goal-upserted.json")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{stdin: string(ev)}
	secret, _ := json.Marshal(map[string]string{"secret": testevents.GenericSecret})
	r = h.run(t, "send", "generic", "--url", rc.URL+"/webhooks/generic", "--secret", string(secret), "--file", "-")
	wantCode(t, r, goalctl.ExitOK)
	mustNotLeak(t, r, testevents.GenericSecret)
	req = rc.requests()[1]
	if string(req.Body) != string(ev) {
		t.Errorf("stdin body was changed")
	}
	verifyDelivery(t, "generic", req)
}

func TestSendRefused(t *testing.T) {
	rc := newReceiver(t)
	rc.status, rc.answer = http.StatusUnauthorized, `{"error":"authentication failed"}`
	r := (&harness{}).run(t, "send", "pipedrive", "--url", rc.URL+"/webhooks/pipedrive",
		"--secret", "username=u", "--secret", "password=wrong-password")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.HasPrefix(r.stdout, "HTTP 401 Unauthorized\n") || !strings.Contains(r.stdout, "authentication failed") {
		t.Errorf("stdout:\n%s", r)
	}
	if !strings.Contains(r.stderr, "pipedrive webhook refused: HTTP 401") {
		t.Errorf("stderr:\n%s", r)
	}
	mustNotLeak(t, r, "wrong-password")

	// Nobody listening: the operation fails (1), it is not a usage error;
	// a key in the URL's query is not echoed.
	rc.Close()
	r = (&harness{}).run(t, "send", "dynamics", "--url", rc.URL+"/webhooks/dynamics?code=url-key-123456", "--secrets", secretsFile(t))
	wantCode(t, r, goalctl.ExitFailure)
	mustNotLeak(t, r, append(allTestSecrets(), "url-key-123456")...)
	if !strings.Contains(r.stderr, "code=REDACTED") {
		t.Errorf("stderr:\n%s", r)
	}
}

func TestSendSecretProblems(t *testing.T) {
	rc := newReceiver(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"source missing from the file", []string{"send", "hubspot", "--secrets", "SECRETS_NO_HUBSPOT"}, goalctl.ExitFailure, `has no "hubspot" member`},
		{"unusable member", []string{"send", "hubspot", "--secret", "secret=" + testevents.HubSpotClientSecret}, goalctl.ExitUsage, "clientSecret is empty"},
		{"not key=value", []string{"send", "dynamics", "--secret", testevents.DynamicsKey}, goalctl.ExitUsage, "--secret must be KEY=VALUE"},
		{"both", []string{"send", "dynamics", "--secret", "value=x", "--secrets", "f.json"}, goalctl.ExitUsage, "either --secrets or --secret"},
		{"bad json", []string{"send", "generic", "--secret", "{" + testevents.GenericSecret}, goalctl.ExitUsage, "not valid JSON"},
		{"missing file", []string{"send", "generic", "--secrets", "/nonexistent/secrets.json"}, goalctl.ExitFailure, "read secrets"},
	}
	dir := t.TempDir()
	noHubSpot := filepath.Join(dir, "s.json")
	if err := os.WriteFile(noHubSpot, []byte(`{"generic":{"secret":"`+testevents.GenericSecret+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{}, tt.args...)
			for i, a := range args {
				if a == "SECRETS_NO_HUBSPOT" {
					args[i] = noHubSpot
				}
			}
			args = append(args, "--url", rc.URL+"/x")
			r := (&harness{}).run(t, args...)
			wantCode(t, r, tt.code)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q\n%s", tt.want, r)
			}
			mustNotLeak(t, r, allTestSecrets()...)
		})
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d requests sent despite the errors", n)
	}
}

// The real binary signs a request that the HubSpot adapter accepts.
func TestBinarySend(t *testing.T) {
	rc := newReceiver(t)
	r := execGoalctl(t, nil, "send", "hubspot", "--url", rc.URL+"/webhooks/hubspot", "--secrets", secretsFile(t))
	wantCode(t, r, goalctl.ExitOK)
	mustNotLeak(t, r, allTestSecrets()...)
	if !strings.Contains(r.stdout, "HTTP 200 OK") {
		t.Errorf("stdout:\n%s", r)
	}
	verifyDelivery(t, "hubspot", rc.requests()[0])

	rc.status = http.StatusBadRequest
	r = execGoalctl(t, nil, "send", "generic", "--url", rc.URL+"/webhooks/generic", "--secrets", secretsFile(t))
	wantCode(t, r, goalctl.ExitFailure)
}

func TestSendJSON(t *testing.T) {
	rc := newReceiver(t)
	rc.status, rc.answer = http.StatusUnauthorized, `{"error":"authentication failed"}`
	r := (&harness{}).run(t, "send", "pipedrive", "--url", rc.URL+"/webhooks/pipedrive?code=url-key-123456",
		"--secret", "username=u", "--secret", "password=wrong-password", "-o", "json")
	wantCode(t, r, goalctl.ExitFailure)
	mustNotLeak(t, r, "wrong-password", "url-key-123456")
	var res goalctl.SendResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	var answer struct{ Error string }
	if res.Source != "pipedrive" || res.Status != 401 || json.Unmarshal(res.Body, &answer) != nil || answer.Error != "authentication failed" ||
		!strings.Contains(res.URL, "code=REDACTED") || res.Error != "pipedrive webhook refused: HTTP 401 Unauthorized" {
		t.Errorf("result %+v", res)
	}

	// An answer that is not JSON (a SOAP Ack) is a JSON string.
	rc.status, rc.answer = http.StatusOK, `<soapenv:Envelope>ack</soapenv:Envelope>`
	r = (&harness{}).run(t, "send", "salesforce", "--url", rc.URL+"/webhooks/salesforce", "--secrets", secretsFile(t), "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	res = goalctl.SendResult{}
	var body string
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || json.Unmarshal(res.Body, &body) != nil || body != rc.answer || res.Error != "" {
		t.Errorf("result %+v (%v)\n%s", res, err, r)
	}
}
