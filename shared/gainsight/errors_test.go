package gainsight_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

func envelopeFailure(code, desc, message, requestID string) []byte {
	return []byte(`{"result":false,"errorCode":` + code + `,"errorDesc":` + desc +
		`,"localizedErrorDesc":null,"requestId":"` + requestID + `","data":null,"message":"` + message +
		`","localizedMessage":null,"errorInfo":null}`)
}

func springBody(status int, message, path string) []byte {
	return []byte(`{"timestamp":1675399306376,"status":` + strconv.Itoa(status) +
		`,"error":"` + http.StatusText(status) + `","exception":"com.gainsight.cs.goal.exception.CSGoalException","message":"` +
		message + `","path":"` + path + `"}`)
}

type errKind int

const (
	kindAPI errKind = iota
	kindRateLimit
	kindTransport
)

// TestErrorClassification covers every error shape and code of the spec,
// and the failures no spec shows but every client meets.
func TestErrorClassification(t *testing.T) {
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		reply  reply
		optFns []func(*gainsight.Options)
		// network replaces the canned server: "refused", "reset", "timeout".
		network string

		kind         errKind
		retryable    bool
		unauthorized bool
		validation   bool
		status       int
		code         string
		numeric      int
		requestID    string
		retryAfter   [2]time.Duration // inclusive range
		is           error
		check        func(t *testing.T, err error)
	}{
		{name: "8001 CTA_RECORD_EMPTY", reply: reply{status: 400, body: envelopeFailure(`"8001"`, `"CTA_RECORD_EMPTY"`, "CTA set provided is empty", "r-8001")},
			status: 400, code: "8001", numeric: 8001, validation: true, requestID: "r-8001"},
		{name: "8002 SP_RECORD_EMPTY as a number", reply: reply{status: 400, body: envelopeFailure(`8002`, `"SP_RECORD_EMPTY"`, "Success Plan set provided is empty", "r-8002")},
			status: 400, code: "8002", numeric: 8002, validation: true, requestID: "r-8002"},
		{name: "8007 INVALID_PAGE_REQUEST with GS_ prefix", reply: reply{status: 400, body: envelopeFailure(`"GS_8007"`, `"INVALID_PAGE_REQUEST"`, "Invalid page request", "r-8007")},
			status: 400, code: "GS_8007", numeric: 8007, validation: true, requestID: "r-8007"},
		{name: "8008 INVALID_LOOKUP_CONFIG", reply: reply{status: 400, body: envelopeFailure(`"8008"`, `"INVALID_LOOKUP_CONFIG"`, "Lookup Error", "r-8008")},
			status: 400, code: "8008", numeric: 8008, validation: true, requestID: "r-8008"},
		{name: "8009 INVALID_FIELD", reply: reply{status: 400, body: envelopeFailure(`"8009"`, `"INVALID_FIELD"`, "Invalid field in select clause", "r-8009")},
			status: 400, code: "8009", numeric: 8009, validation: true, requestID: "r-8009"},
		{name: "8010 INVALID_STATUS_NAME", reply: reply{status: 400, body: envelopeFailure(`"8010"`, `"INVALID_STATUS_NAME"`, "Invalid status name provided", "r-8010")},
			status: 400, code: "8010", numeric: 8010, validation: true, requestID: "r-8010"},
		{name: "8010 under HTTP 200 result false", reply: reply{status: 200, body: envelopeFailure(`"8010"`, `"INVALID_STATUS_NAME"`, "Invalid status name provided", "r-200")},
			status: 200, code: "8010", numeric: 8010, validation: true, requestID: "r-200"},
		{name: "8008 under HTTP 500 stays a validation error", reply: reply{status: 500, body: envelopeFailure(`"8008"`, `"INVALID_LOOKUP_CONFIG"`, "Lookup Error", "r-500")},
			status: 500, code: "8008", numeric: 8008, validation: true, requestID: "r-500"},
		{name: "VC_1002 metric error sample under HTTP 200", reply: reply{status: 200, body: readTestdata(t, "replies", "error_vc_1002.json")},
			status: 200, code: "VC_1002", numeric: 1002, requestID: "8813d263-71ff-44a3-8768-bb3e275eb9a5"},
		{name: "VC_1002 under HTTP 500 is retryable", reply: reply{status: 500, body: readTestdata(t, "replies", "error_vc_1002.json")},
			status: 500, code: "VC_1002", numeric: 1002, retryable: true, requestID: "8813d263-71ff-44a3-8768-bb3e275eb9a5"},
		{name: "VC_8026 metric in use exposes its usage", reply: reply{status: 200, body: readTestdata(t, "replies", "error_vc_8026.json")},
			status: 200, code: "VC_8026", numeric: 8026, requestID: "a797130b-5b97-46eb-9c24-7e1062bc5c65",
			check: func(t *testing.T, err error) {
				var e *gainsight.APIError
				errors.As(err, &e)
				want := &gainsight.MetricUsage{
					UsageInLayouts: []string{"Type1 rel goal type", "CP Goal Type"},
					UsageInGoals:   []gainsight.UsageInGoal{{Gsid: "1CG0LXVS2HO4Y5ZF1FQZ4XVPN0VE1AJSZ415", Name: "gggg"}},
					HasUsage:       true,
				}
				if d := cmp.Diff(want, e.Usage); d != "" {
					t.Errorf("Usage (-want +got):\n%s", d)
				}
				if !strings.HasPrefix(e.Message, "Metric is used") {
					t.Errorf("Message = %q", e.Message)
				}
			}},
		{name: "500 CSGoalException Invalid StatusName", reply: reply{status: 500, body: readTestdata(t, "replies", "error_invalid_status.json")},
			status: 500, validation: true,
			check: func(t *testing.T, err error) {
				var e *gainsight.APIError
				errors.As(err, &e)
				check(t, "Exception", e.Exception, gainsight.CSGoalException)
				check(t, "Path", e.Path, "/csgoal/external/create")
				check(t, "Message", e.Message, "Invalid StatusName provided in request")
			}},
		{name: "500 CSGoalException Invalid GSID sample", reply: reply{status: 500, body: readTestdata(t, "replies", "error_invalid_gsid.json")},
			status: 500, validation: true},
		{name: "500 CSGoalException Invalid fields in select", reply: reply{status: 500, body: readTestdata(t, "replies", "error_invalid_field.json")},
			status: 500, validation: true,
			check: func(t *testing.T, err error) {
				var e *gainsight.APIError
				errors.As(err, &e)
				check(t, "Message", e.Message, "Invalid fields in select clause - Gsd")
			}},
		{name: "500 CSGoalException not a validation error", reply: reply{status: 500, body: springBody(500, "Could not reach the goal store", "/csgoal/external/update")},
			status: 500, retryable: true},
		{name: "500 Spring body without exception", reply: reply{status: 500, body: []byte(`{"timestamp":1,"status":500,"error":"Internal Server Error","path":"/csgoal/external/update"}`)},
			status: 500, retryable: true},
		{name: "Spring validation body under HTTP 200", reply: reply{status: 200, body: readTestdata(t, "replies", "error_invalid_status.json")},
			status: 500, validation: true},
		{name: "502 HTML from the gateway", reply: reply{status: 502, header: http.Header{"Content-Type": {"text/html"}}, body: []byte("<html><body>Bad Gateway</body></html>")},
			status: 502, retryable: true},
		{name: "503 with Retry-After", reply: reply{status: 503, header: http.Header{"Retry-After": {"7"}}, body: []byte(`{"message":"maintenance"}`)},
			status: 503, retryable: true, retryAfter: [2]time.Duration{7 * time.Second, 7 * time.Second}},
		{name: "429 Retry-After seconds", reply: reply{status: 429, header: http.Header{"Retry-After": {"30"}}, body: []byte(`{"result":false,"requestId":"r-429","message":"Too many requests"}`)},
			kind: kindRateLimit, retryable: true, requestID: "r-429", retryAfter: [2]time.Duration{30 * time.Second, 30 * time.Second}},
		{name: "429 Retry-After HTTP date", reply: reply{status: 429, header: http.Header{"Retry-After": {httpDate}}},
			kind: kindRateLimit, retryable: true, retryAfter: [2]time.Duration{85 * time.Second, 90 * time.Second}},
		{name: "429 without Retry-After", reply: reply{status: 429, body: []byte("slow down")},
			kind: kindRateLimit, retryable: true},
		{name: "401 wrong access key", reply: reply{status: 401, body: envelopeFailure(`null`, `null`, "Unauthorized", "r-401")},
			status: 401, unauthorized: true, requestID: "r-401"},
		{name: "403 forbidden", reply: reply{status: 403, body: []byte("")},
			status: 403, unauthorized: true},
		{name: "404 unknown path", reply: reply{status: 404, body: []byte(`{"timestamp":1,"status":404,"error":"Not Found","path":"/csgoal/external/nope"}`)},
			status: 404},
		{name: "network error: connection refused", network: "refused", kind: kindTransport, retryable: true},
		{name: "network error: connection reset", network: "reset", kind: kindTransport, retryable: true},
		{name: "time-out from the context", network: "timeout", kind: kindTransport, retryable: true, is: context.DeadlineExceeded},
		{name: "body over the limit", reply: reply{status: 200, body: []byte(`{"result":true,"data":{"record":{"Name":"` + strings.Repeat("x", 4096) + `"}}}`)},
			optFns: []func(*gainsight.Options){func(o *gainsight.Options) { o.MaxResponseBytes = 1024 }},
			status: 200, is: gainsight.ErrResponseTooLarge},
		{name: "5xx body over the limit is still retryable", reply: reply{status: 503, body: []byte(strings.Repeat("x", 4096))},
			optFns: []func(*gainsight.Options){func(o *gainsight.Options) { o.MaxResponseBytes = 1024 }},
			status: 503, retryable: true, is: gainsight.ErrResponseTooLarge},
		{name: "429 body over the limit is still a rate limit", reply: reply{status: 429, header: http.Header{"Retry-After": {"5"}}, body: []byte(strings.Repeat("x", 4096))},
			optFns: []func(*gainsight.Options){func(o *gainsight.Options) { o.MaxResponseBytes = 1024 }},
			kind:   kindRateLimit, retryable: true, retryAfter: [2]time.Duration{5 * time.Second, 5 * time.Second}},
		{name: "envelope with an oddly typed member", reply: reply{status: 400, body: []byte(`{"result":false,"errorCode":"8009","message":{"text":"odd"},"requestId":"r-odd"}`)},
			status: 400, code: "8009", numeric: 8009, validation: true, requestID: "r-odd"},
		{name: "non-JSON 200 body", reply: reply{status: 200, header: http.Header{"Content-Type": {"text/html"}}, body: []byte("<html>login</html>")},
			status: 200, is: gainsight.ErrMalformedResponse},
		{name: "200 JSON without result", reply: reply{status: 200, body: []byte(`{"data":{}}`)},
			status: 200, is: gainsight.ErrMalformedResponse},
		{name: "200 envelope whose data does not decode", reply: reply{status: 200, body: []byte(`{"result":true,"requestId":"r-bad","data":{"record":[1,2]}}`)},
			status: 200, requestID: "r-bad", is: gainsight.ErrMalformedResponse},
		{name: "a server echoing the access key is redacted", reply: reply{status: 400, body: envelopeFailure(`"8008"`, `null`, "bad header accesskey="+testKey, "r-echo")},
			status: 400, code: "8008", numeric: 8008, validation: true, requestID: "r-echo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			var url string
			switch tc.network {
			case "":
				srv, _ := cannedServer(t, tc.reply)
				url = srv.URL
			case "refused":
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				url = "http://" + l.Addr().String()
				l.Close()
			case "reset":
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
				}))
				t.Cleanup(srv.Close)
				url = srv.URL
			case "timeout":
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// Reading the body lets the server notice the client
					// hanging up; the timer only guards against a hang.
					io.Copy(io.Discard, r.Body)
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
				}))
				t.Cleanup(srv.Close)
				url = srv.URL
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 20*time.Millisecond)
				defer cancel()
			}
			c := newClient(t, url, tc.optFns...)
			_, err := c.UpdateGoal(ctx, &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: "1CG0", Name: "x"}})
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("error string contains the access key: %v", err)
			}
			check(t, "IsRetryable", gainsight.IsRetryable(err), tc.retryable)
			check(t, "IsUnauthorized", gainsight.IsUnauthorized(err), tc.unauthorized)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(err, %v) = false; err = %v", tc.is, err)
			}
			ra := gainsight.RetryAfter(err)
			if ra < tc.retryAfter[0] || ra > tc.retryAfter[1] {
				t.Errorf("RetryAfter = %v, want in %v", ra, tc.retryAfter)
			}
			switch tc.kind {
			case kindAPI:
				var e *gainsight.APIError
				if !errors.As(err, &e) {
					t.Fatalf("got %T (%v), want *APIError", err, err)
				}
				check(t, "Retryable", e.Retryable(), tc.retryable)
				check(t, "Validation", e.Validation(), tc.validation)
				check(t, "Unauthorized", e.Unauthorized(), tc.unauthorized)
				check(t, "Status", e.Status, tc.status)
				check(t, "Code", e.Code, tc.code)
				check(t, "NumericCode", e.NumericCode(), tc.numeric)
				check(t, "RequestID", e.RequestID, tc.requestID)
				check(t, "Endpoint", e.Endpoint, "PUT /v1/csgoal/external/update")
			case kindRateLimit:
				var e *gainsight.RateLimitError
				if !errors.As(err, &e) {
					t.Fatalf("got %T (%v), want *RateLimitError", err, err)
				}
				check(t, "Retryable", e.Retryable(), true)
				check(t, "RequestID", e.RequestID, tc.requestID)
			case kindTransport:
				var e *gainsight.TransportError
				if !errors.As(err, &e) {
					t.Fatalf("got %T (%v), want *TransportError", err, err)
				}
				check(t, "Retryable", e.Retryable(), true)
			}
			if tc.check != nil {
				tc.check(t, err)
			}
		})
	}
}

func TestCancelledContextIsNotHidden(t *testing.T) {
	srv, _ := cannedServer(t, reply{body: readTestdata(t, "replies", "goal_update_1.json")})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := newClient(t, srv.URL).UpdateGoal(ctx, &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: "1CG0"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled in the chain", err)
	}
}

type failingKeys struct{ err error }

func (f failingKeys) AccessKey(context.Context) (string, error) { return "", f.err }

func TestAccessKeyProviderFailure(t *testing.T) {
	srv, cap := cannedServer(t, reply{body: readTestdata(t, "replies", "goal_update_1.json")})
	boom := errors.New("secrets manager unavailable")
	c, err := gainsight.New(gainsight.Options{BaseURL: srv.URL, AccessKey: failingKeys{boom}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateGoal(t.Context(), &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: "1CG0"}})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the provider's error", err)
	}
	if cap.n != 0 {
		t.Error("a request went out without a key")
	}
	_, err = newClient(t, srv.URL, func(o *gainsight.Options) { o.AccessKey = gainsight.StaticAccessKey("") }).
		UpdateGoal(t.Context(), &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: "1CG0"}})
	if !errors.Is(err, gainsight.ErrNoAccessKey) {
		t.Fatalf("err = %v, want ErrNoAccessKey", err)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var leaked bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("accesskey") != ""
	}))
	t.Cleanup(other.Close)
	srv, _ := cannedServer(t, reply{status: http.StatusTemporaryRedirect, header: http.Header{"Location": {other.URL + "/steal"}}})
	_, err := newClient(t, srv.URL).UpdateGoal(t.Context(), &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: "1CG0"}})
	var e *gainsight.APIError
	if !errors.As(err, &e) || e.Status != http.StatusTemporaryRedirect || e.Retryable() {
		t.Fatalf("err = %v, want a non-retryable *APIError with status 307", err)
	}
	if leaked {
		t.Fatal("the access key was sent to the redirect target")
	}
}

func TestStaticAccessKeyDoesNotPrint(t *testing.T) {
	o := gainsight.Options{BaseURL: "https://x", AccessKey: gainsight.StaticAccessKey(testKey)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, o); strings.Contains(s, testKey) {
			t.Errorf("%s prints the key: %s", verb, s)
		}
	}
}

func TestNewValidatesOptions(t *testing.T) {
	key := gainsight.StaticAccessKey("k")
	for name, o := range map[string]gainsight.Options{
		"no base URL":       {AccessKey: key},
		"relative base URL": {BaseURL: "acme.gainsightcloud.com", AccessKey: key},
		"ftp base URL":      {BaseURL: "ftp://acme", AccessKey: key},
		"query in base URL": {BaseURL: "https://acme?x=1", AccessKey: key},
		"no access key":     {BaseURL: "https://acme"},
		"negative limit":    {BaseURL: "https://acme", AccessKey: key, MaxResponseBytes: -1},
	} {
		if _, err := gainsight.New(o); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := gainsight.New(gainsight.Options{}, func(o *gainsight.Options) {
		o.BaseURL, o.AccessKey = "https://acme.gainsightcloud.com/", key
	}); err != nil {
		t.Errorf("optFns: %v", err)
	}
}

func TestRequestValidation(t *testing.T) {
	srv, cap := cannedServer(t, reply{body: []byte(`{"result":true,"data":{}}`)})
	c := newClient(t, srv.URL)
	ctx := t.Context()
	calls := map[string]func() error{
		"update without Gsid": func() error {
			_, err := c.UpdateGoal(ctx, &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Name: "x"}})
			return err
		},
		"fetch without select": func() error { _, err := c.FetchGoals(ctx, &gainsight.FetchGoalsRequest{}); return err },
		"nil create":           func() error { _, err := c.CreateGoal(ctx, nil); return err },
		"no templates":         func() error { _, err := c.CreateTemplates(ctx, &gainsight.CreateTemplatesRequest{}); return err },
		"template update without Gsid": func() error {
			_, err := c.UpdateTemplates(ctx, &gainsight.UpdateTemplatesRequest{Requests: []gainsight.TemplateInput{{}}})
			return err
		},
		"no template ids": func() error { _, err := c.DeleteTemplates(ctx, &gainsight.DeleteTemplatesRequest{}); return err },
		"no metrics":      func() error { _, err := c.CreateMetrics(ctx, &gainsight.CreateMetricsRequest{}); return err },
		"metric update without gsid": func() error {
			_, err := c.UpdateMetrics(ctx, &gainsight.UpdateMetricsRequest{Requests: []gainsight.MetricInput{{}}})
			return err
		},
		"no metric ids": func() error { _, err := c.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{}); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		} else if gainsight.IsRetryable(err) {
			t.Errorf("%s: retryable: %v", name, err)
		}
	}
	if cap.n != 0 {
		t.Errorf("%d requests went out", cap.n)
	}
}
