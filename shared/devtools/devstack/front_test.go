package devstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type fakeFn struct {
	got  events.APIGatewayV2HTTPRequest
	resp []byte
	err  error
}

func (f *fakeFn) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	if err := json.Unmarshal(payload, &f.got); err != nil {
		return nil, err
	}
	return f.resp, f.err
}

func TestFrontBuildsPayload2Events(t *testing.T) {
	fn := &fakeFn{resp: []byte(`{"statusCode":202,"headers":{"content-type":"text/xml"},"body":"PGE+PC9hPg==","isBase64Encoded":true,"cookies":["a=b"]}`)}
	srv := httptest.NewServer(NewFront(fn, FrontOptions{}))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/salesforce?x=1&x=2&y=%20z", strings.NewReader("<xml>é</xml>"))
	req.Host = "hooks.example.com"
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	req.Header.Set("Cookie", "c1=v1; c2=v2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 || string(body) != "<a></a>" || resp.Header.Get("Content-Type") != "text/xml" ||
		resp.Header.Get("Set-Cookie") != "a=b" || resp.Header.Get("Apigw-Requestid") == "" {
		t.Errorf("response %d %q %v", resp.StatusCode, body, resp.Header)
	}

	e := fn.got
	if e.Version != "2.0" || e.RouteKey != RouteKey || e.RawPath != "/webhooks/salesforce" || e.RawQueryString != "x=1&x=2&y=%20z" {
		t.Errorf("event head: %+v", e)
	}
	if e.PathParameters["source"] != "salesforce" || e.QueryStringParameters["x"] != "1,2" || e.QueryStringParameters["y"] != " z" {
		t.Errorf("parameters: %v %v", e.PathParameters, e.QueryStringParameters)
	}
	if e.Headers["x-multi"] != "a,b" || e.Headers["host"] != "hooks.example.com" || e.Headers["content-type"] != "text/xml; charset=utf-8" ||
		e.Headers["cookie"] != "" || strings.Join(e.Cookies, "|") != "c1=v1|c2=v2" || e.Headers["x-forwarded-proto"] != "http" {
		t.Errorf("headers %v cookies %v", e.Headers, e.Cookies)
	}
	rc := e.RequestContext
	if rc.DomainName != "hooks.example.com" || rc.DomainPrefix != "hooks" || rc.HTTP.Method != "POST" || rc.HTTP.Path != "/webhooks/salesforce" ||
		rc.RequestID == "" || rc.Stage != "$default" || rc.TimeEpoch == 0 || rc.HTTP.SourceIP != "127.0.0.1" {
		t.Errorf("request context %+v", rc)
	}
	if b, err := base64.StdEncoding.DecodeString(e.Body); !e.IsBase64Encoded || err != nil || string(b) != "<xml>é</xml>" {
		t.Errorf("XML body: base64 %v %q", e.IsBase64Encoded, e.Body)
	}
}

func TestFrontBodyEncoding(t *testing.T) {
	for _, tt := range []struct {
		ct   string
		body string
		b64  bool
	}{
		{"application/json", `{"a":"é"}`, false},
		{"application/cloudevents+json; charset=utf-8", `{}`, false},
		{"text/plain", "hi", false},
		{"application/json", "\xff\xfe", true},
		{"application/x-www-form-urlencoded", "a=b", true},
		{"", "x", true},
		{"application/json", "", false},
	} {
		got, b64 := encodeBody(tt.ct, []byte(tt.body))
		if b64 != tt.b64 {
			t.Errorf("%q %q: base64 %v, want %v", tt.ct, tt.body, b64, tt.b64)
		}
		if !b64 && got != tt.body {
			t.Errorf("%q: body %q", tt.ct, got)
		}
	}
}

func TestFrontAnswersLikeAPIGateway(t *testing.T) {
	for _, tt := range []struct {
		name, method, path string
		fn                 *fakeFn
		status             int
		body               string
	}{
		{"other path", "POST", "/other", &fakeFn{}, 404, `{"message":"Not Found"}`},
		{"other method", "GET", "/webhooks/generic", &fakeFn{}, 404, `{"message":"Not Found"}`},
		{"function error", "POST", "/webhooks/generic", &fakeFn{err: errors.New("boom")}, 500, `{"message":"Internal Server Error"}`},
		{"time-out", "POST", "/webhooks/generic", &fakeFn{err: context.DeadlineExceeded}, 503, `{"message":"Service Unavailable"}`},
		{"bare body", "POST", "/webhooks/generic", &fakeFn{resp: []byte(`{"queued":1}`)}, 200, `{"queued":1}`},
		{"status", "POST", "/webhooks/generic", &fakeFn{resp: []byte(`{"statusCode":401,"body":"{\"error\":\"no\"}"}`)}, 401, `{"error":"no"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			NewFront(tt.fn, FrontOptions{}).ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader("{}")))
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.body)
			}
		})
	}
}
