package hubspot_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

const (
	testSecret = "my-client-secret-0001"
	publicURL  = "https://relay.example.com/webhooks/hubspot"
)

var (
	testNow       = time.UnixMilli(1767225601234)
	secretJSON    = json.RawMessage(`{"clientSecret":"` + testSecret + `"}`)
	rotatedSecret = json.RawMessage(`{"clientSecret":"new-secret","previousClientSecret":"` + testSecret + `"}`)
)

// An illustrative Webhooks API delivery (one deal.propertyChange event) and
// its v3 signature for client secret testSecret, sampleURL and timestamp
// 1767225601234, computed with an independent HMAC implementation.
const (
	sampleBody = `[{"eventId":4100000001,"subscriptionId":2400001,"portalId":12345678,"appId":987654,"occurredAt":1767225600000,"subscriptionType":"deal.propertyChange","attemptNumber":0,"objectId":9876543210,"propertyName":"dealstage","propertyValue":"closedwon","changeSource":"CRM_UI","sourceId":"userId:5550001"}]`
	sampleURL  = "https://relay.example.com/hubspot/webhook"
	sampleV3   = "W8ASn4yhl6grQMuY/EToionezf0JpMF58O8CZfL8M+A="
)

// The v1 and v2 example vectors from HubSpot's request-validation
// documentation.
const (
	docsSecret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	docsV1Body = `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`
	docsURI    = "https://www.example.com/webhook_uri"
)

func TestVectors(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"v1 docs", hubspot.SignV1(docsSecret, []byte(docsV1Body))[hubspot.HeaderSignature],
			"232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"},
		{"v2 docs GET", hubspot.SignV2(docsSecret, "GET", docsURI, nil)[hubspot.HeaderSignature],
			"eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"},
		{"v2 docs POST", hubspot.SignV2(docsSecret, "POST", docsURI, []byte(`{"example_field":"example_value"}`))[hubspot.HeaderSignature],
			"9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"},
		{"v3 sample", hubspot.SignV3(testSecret, "POST", sampleURL, []byte(sampleBody), time.UnixMilli(1767225601234))[hubspot.HeaderSignatureV3],
			sampleV3},
		{"v3 timestamp header", hubspot.SignV3(testSecret, "POST", sampleURL, []byte(sampleBody), time.UnixMilli(1767225601234))[hubspot.HeaderTimestamp],
			"1767225601234"},
		{"v1 version header", hubspot.SignV1(docsSecret, nil)[hubspot.HeaderSignatureVersion], "v1"},
		{"v2 version header", hubspot.SignV2(docsSecret, "GET", docsURI, nil)[hubspot.HeaderSignatureVersion], "v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// TestVerifyReferenceSample verifies the illustrative sample delivery
// exactly as HubSpot sends it, including the v1 headers that are ignored
// beside v3.
func TestVerifyReferenceSample(t *testing.T) {
	r := &webhook.Request{
		Method: "POST",
		Path:   "/hubspot/webhook",
		Header: map[string]string{
			"content-type":                "application/json",
			"x-hubspot-signature-version": "v1",
			"x-hubspot-signature":         "00",
			"x-hubspot-request-timestamp": "1767225601234",
			"x-hubspot-signature-v3":      sampleV3,
		},
		Body:      []byte(sampleBody),
		PublicURL: sampleURL,
	}
	var a hubspot.Adapter
	if err := a.Verify(r, secretJSON, testNow.Add(2*time.Second)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func v3Request(body []byte, url string, ts time.Time) *webhook.Request {
	return &webhook.Request{
		Method:    "POST",
		Path:      "/webhooks/hubspot",
		Header:    hubspot.SignV3(testSecret, "POST", url, body, ts),
		Body:      body,
		PublicURL: url,
	}
}

func TestVerify(t *testing.T) {
	batch := readFile(t, "property-changes.json")
	workflow := readFile(t, "workflow-deal.json")
	const wfURL = publicURL + "?portalId=62515&object=deal"

	tests := []struct {
		name   string
		req    func() *webhook.Request
		secret json.RawMessage
		now    time.Time
		want   error
	}{
		{
			name: "v3 valid",
			req:  func() *webhook.Request { return v3Request(batch, publicURL, testNow) },
		},
		{
			name:   "v3 signed with the previous secret during rotation",
			req:    func() *webhook.Request { return v3Request(batch, publicURL, testNow) },
			secret: rotatedSecret,
		},
		{
			name: "v3 timestamp 4m59s old",
			req:  func() *webhook.Request { return v3Request(batch, publicURL, testNow.Add(-299*time.Second)) },
		},
		{
			name: "v3 timestamp exactly 5m old",
			req:  func() *webhook.Request { return v3Request(batch, publicURL, testNow.Add(-5*time.Minute)) },
		},
		{
			name: "v3 timestamp 5m01s old",
			req:  func() *webhook.Request { return v3Request(batch, publicURL, testNow.Add(-301*time.Second)) },
			want: webhook.ErrTimestamp,
		},
		{
			name: "v3 timestamp a day old (a replay)",
			req:  func() *webhook.Request { return v3Request(batch, publicURL, testNow.Add(-24*time.Hour)) },
			want: webhook.ErrTimestamp,
		},
		{
			name: "v3 timestamp 6m in the future",
			req:  func() *webhook.Request { return v3Request(batch, publicURL, testNow.Add(6*time.Minute)) },
			want: webhook.ErrTimestamp,
		},
		{
			name: "v3 timestamp in seconds instead of milliseconds",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				ts := strconv.FormatInt(testNow.Unix(), 10)
				r.Header[hubspot.HeaderTimestamp] = ts
				r.Header[hubspot.HeaderSignatureV3] = rawV3(testSecret, "POST", publicURL, batch, ts)
				return r
			},
			want: webhook.ErrTimestamp,
		},
		{
			name: "v3 timestamp not a number",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.Header[hubspot.HeaderTimestamp] = "2026-01-01T00:00:01Z"
				return r
			},
			want: webhook.ErrTimestamp,
		},
		{
			name: "v3 timestamp negative",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.Header[hubspot.HeaderTimestamp] = "-1767225601234"
				return r
			},
			want: webhook.ErrTimestamp,
		},
		{
			name: "v3 timestamp header replaced by another fresh one",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.Header[hubspot.HeaderTimestamp] = strconv.FormatInt(testNow.UnixMilli()+1, 10)
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 missing timestamp header",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				delete(r.Header, hubspot.HeaderTimestamp)
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 wrong secret",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				maps.Copy(r.Header, hubspot.SignV3("another-secret", "POST", publicURL, batch, testNow))
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 signature not base64",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.Header[hubspot.HeaderSignatureV3] = "not base64!"
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 signature truncated",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.Header[hubspot.HeaderSignatureV3] = r.Header[hubspot.HeaderSignatureV3][:20]
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 signed for http, received on https",
			req: func() *webhook.Request {
				r := v3Request(batch, "http://relay.example.com/webhooks/hubspot", testNow)
				r.PublicURL = publicURL
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 public URL with a trailing slash",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.PublicURL = publicURL + "/"
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 public URL not configured",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.PublicURL = ""
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 body re-serialised with a space",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.Body = append([]byte("[ "), batch[1:]...)
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 other method",
			req: func() *webhook.Request {
				r := v3Request(batch, publicURL, testNow)
				r.Method = "PUT"
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "v3 query with encoded characters HubSpot decodes",
			req: func() *webhook.Request {
				u := publicURL + "?k=a%3Ab%2Fc%20d&e=%3d"
				ts := strconv.FormatInt(testNow.UnixMilli(), 10)
				r := v3Request(batch, u, testNow)
				// HubSpot signs the URI with %3A and %2F decoded, %20 and %3d kept.
				r.Header[hubspot.HeaderSignatureV3] = rawV3(testSecret, "POST", publicURL+"?k=a:b/c%20d&e=%3d", batch, ts)
				return r
			},
		},
		{
			name: "v3 signature over the undecoded URI",
			req: func() *webhook.Request {
				u := publicURL + "?k=a%3Ab"
				r := v3Request(batch, u, testNow)
				r.Header[hubspot.HeaderSignatureV3] = rawV3(testSecret, "POST", u, batch, r.Header[hubspot.HeaderTimestamp])
				return r
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "batch with only a v1 signature",
			req: func() *webhook.Request {
				return &webhook.Request{Method: "POST", Header: hubspot.SignV1(testSecret, batch), Body: batch, PublicURL: publicURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "batch with only a v2 signature",
			req: func() *webhook.Request {
				return &webhook.Request{Method: "POST", Header: hubspot.SignV2(testSecret, "POST", publicURL, batch), Body: batch, PublicURL: publicURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "batch without any signature",
			req: func() *webhook.Request {
				return &webhook.Request{Method: "POST", Header: map[string]string{}, Body: batch, PublicURL: publicURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "workflow v2 valid",
			req: func() *webhook.Request {
				return &webhook.Request{Method: "POST", Header: hubspot.SignV2(testSecret, "POST", wfURL, workflow), Body: workflow, PublicURL: wfURL}
			},
		},
		{
			name: "workflow v2 with upper-case version value",
			req: func() *webhook.Request {
				h := hubspot.SignV2(testSecret, "POST", wfURL, workflow)
				h[hubspot.HeaderSignatureVersion] = "V2"
				return &webhook.Request{Method: "POST", Header: h, Body: workflow, PublicURL: wfURL}
			},
		},
		{
			name: "workflow v2 docs vector",
			req: func() *webhook.Request {
				body := []byte(`{"example_field":"example_value"}`)
				return &webhook.Request{Method: "POST", Header: map[string]string{
					"x-hubspot-signature":         "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900",
					"x-hubspot-signature-version": "v2",
				}, Body: body, PublicURL: docsURI}
			},
			secret: json.RawMessage(`{"clientSecret":"` + docsSecret + `"}`),
		},
		{
			name: "workflow v3 valid",
			req:  func() *webhook.Request { return v3Request(workflow, wfURL, testNow) },
		},
		{
			name: "workflow v3 stale is not rescued by v2",
			req: func() *webhook.Request {
				r := v3Request(workflow, wfURL, testNow.Add(-time.Hour))
				maps.Copy(r.Header, hubspot.SignV2(testSecret, "POST", wfURL, workflow))
				return r
			},
			want: webhook.ErrTimestamp,
		},
		{
			name: "workflow v2 wrong secret",
			req: func() *webhook.Request {
				return &webhook.Request{Method: "POST", Header: hubspot.SignV2("other", "POST", wfURL, workflow), Body: workflow, PublicURL: wfURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "workflow v2 signed over another URL",
			req: func() *webhook.Request {
				return &webhook.Request{Method: "POST", Header: hubspot.SignV2(testSecret, "POST", publicURL, workflow), Body: workflow, PublicURL: wfURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "workflow v1 signature",
			req: func() *webhook.Request {
				return &webhook.Request{Method: "POST", Header: hubspot.SignV1(testSecret, workflow), Body: workflow, PublicURL: wfURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "workflow v2 without version header",
			req: func() *webhook.Request {
				h := hubspot.SignV2(testSecret, "POST", wfURL, workflow)
				delete(h, hubspot.HeaderSignatureVersion)
				return &webhook.Request{Method: "POST", Header: h, Body: workflow, PublicURL: wfURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "workflow v2 signature not hex",
			req: func() *webhook.Request {
				h := hubspot.SignV2(testSecret, "POST", wfURL, workflow)
				h[hubspot.HeaderSignature] = "zz"
				return &webhook.Request{Method: "POST", Header: h, Body: workflow, PublicURL: wfURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name: "workflow without any signature",
			req: func() *webhook.Request {
				return &webhook.Request{Method: "POST", Header: map[string]string{}, Body: workflow, PublicURL: wfURL}
			},
			want: webhook.ErrUnauthenticated,
		},
		{
			name:   "secret without clientSecret",
			req:    func() *webhook.Request { return v3Request(batch, publicURL, testNow) },
			secret: json.RawMessage(`{"organizationId":"x"}`),
			want:   hubspot.ErrSecret,
		},
		{
			name:   "secret not JSON",
			req:    func() *webhook.Request { return v3Request(batch, publicURL, testNow) },
			secret: json.RawMessage(`my-client-secret-0001`),
			want:   hubspot.ErrSecret,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := tt.secret
			if secret == nil {
				secret = secretJSON
			}
			now := tt.now
			if now.IsZero() {
				now = testNow
			}
			var a hubspot.Adapter
			err := a.Verify(tt.req(), secret, now)
			t.Logf("err: %v", err)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err != nil {
				assertNoLeak(t, err.Error())
			}
		})
	}
}

// assertNoLeak fails when an error message carries a secret or a signature.
func assertNoLeak(t *testing.T, msg string) {
	t.Helper()
	for _, s := range []string{testSecret, "new-secret", docsSecret, "W8AS", "9569219f"} {
		if strings.Contains(msg, s) {
			t.Errorf("error %q leaks %q", msg, s)
		}
	}
}

func TestVerifyTolerance(t *testing.T) {
	body := readFile(t, "creation.json")
	a := hubspot.Adapter{Tolerance: time.Minute}
	if err := a.Verify(v3Request(body, publicURL, testNow.Add(-2*time.Minute)), secretJSON, testNow); !errors.Is(err, webhook.ErrTimestamp) {
		t.Errorf("2m old with 1m tolerance: %v, want ErrTimestamp", err)
	}
	if err := a.Verify(v3Request(body, publicURL, testNow.Add(-30*time.Second)), secretJSON, testNow); err != nil {
		t.Errorf("30s old with 1m tolerance: %v", err)
	}
}

func TestNormalizeURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://relay.example.com/webhooks/hubspot", "https://relay.example.com/webhooks/hubspot"},
		{"https://h/p?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B", "https://h/p?a=:/?@!$'()*,;"},
		{"https://h/p?a=%3a%2f%3f%40%2a%2c%3b", "https://h/p?a=:/?@*,;"},
		{"https://h/p?a=%20%26%3D%25%2B", "https://h/p?a=%20%26%3D%25%2B"},
		{"https://h/p%253A", "https://h/p%253A"},
		{"https://h/p%3", "https://h/p%3"},
		{"https://h/p%", "https://h/p%"},
		{"%3A%", ":%"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := hubspot.NormalizeURI(tt.in); got != tt.want {
			t.Errorf("NormalizeURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// rawV3 computes a v3 signature over exactly the given strings, as an
// independent check of the package's own signing.
func rawV3(secret, method, uri string, body []byte, ts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + uri + string(body) + ts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
