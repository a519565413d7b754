package hubspot_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func addTestdata(f *testing.F) {
	f.Helper()
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseHubSpot feeds arbitrary bodies to Parse: it must not panic,
// must fail only with the package's sentinels, and what it returns must
// be usable changes.
func FuzzParseHubSpot(f *testing.F) {
	addTestdata(f)
	f.Add([]byte(sampleBody))
	f.Add([]byte(docsV1Body))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":"1","properties":{"hs_lastmodifieddate":{"value":"5"}},"portalId":"1","objectType":"deal"}`))
	f.Add([]byte(`[{"portalId":1,"objectId":9,"occurredAt":100,"subscriptionType":"deal.deletion"},{"portalId":1,"objectId":9,"occurredAt":100,"subscriptionType":"deal.propertyChange","propertyName":"a","propertyValue":{"x":[1]}}]`))
	var a hubspot.Adapter
	f.Fuzz(func(t *testing.T, body []byte) {
		changes, err := a.Parse(&webhook.Request{Method: "POST", RawQuery: "portalId=62515&object=deal", Body: body})
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformed) && !errors.Is(err, webhook.ErrUnmappable) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrUnmappable", err)
			}
			if changes != nil {
				t.Fatalf("changes returned with error %v", err)
			}
			return
		}
		ids := map[string]bool{}
		for _, c := range changes {
			switch {
			case c.ID == "" || len(c.ID) > 200 || ids[c.ID]:
				t.Fatalf("bad or duplicate id %q", c.ID)
			case !strings.HasPrefix(c.ID, "hubspot:") || !strings.HasPrefix(c.Source, "hubspot/portal/"):
				t.Fatalf("bad id %q or source %q", c.ID, c.Source)
			case c.RecordID == "" || c.Object == "" || c.OccurredAt.IsZero():
				t.Fatalf("incomplete change %+v", c)
			case c.Op != webhook.OpUpsert && c.Op != webhook.OpDelete:
				t.Fatalf("bad op %q", c.Op)
			case c.Op == webhook.OpUpsert && c.Fields == nil:
				t.Fatalf("upsert without fields")
			}
			ids[c.ID] = true
			if _, err := json.Marshal(c.Fields); err != nil {
				t.Fatalf("fields do not marshal: %v", err)
			}
		}
	})
}

// FuzzVerifyHubSpot feeds arbitrary signature headers, timestamps, bodies
// and URLs to Verify: it must not panic, must fail only with the
// sentinels, and a request signed with SignV3 must always verify.
func FuzzVerifyHubSpot(f *testing.F) {
	f.Add(sampleV3, "1767225601234", "", "", []byte(sampleBody), sampleURL, "POST")
	f.Add("", "", "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900", "v2", []byte(`{"example_field":"example_value"}`), docsURI, "POST")
	f.Add("====", "1e12", "zz", "V2", []byte(`[]`), "https://h/p?a=%3A%2", "GET")
	f.Add("W8ASn4yhl6grQMuY/EToionezf0JpMF58O8CZfL8M+A", "-1", "", "v1", []byte(" "), "", "")
	now := time.UnixMilli(1767225601234)
	var a hubspot.Adapter
	f.Fuzz(func(t *testing.T, sigV3, ts, sig, version string, body []byte, url, method string) {
		r := &webhook.Request{Method: method, Body: body, PublicURL: url, Header: map[string]string{}}
		for k, v := range map[string]string{
			hubspot.HeaderSignatureV3: sigV3, hubspot.HeaderTimestamp: ts,
			hubspot.HeaderSignature: sig, hubspot.HeaderSignatureVersion: version,
		} {
			if v != "" {
				r.Header[k] = v
			}
		}
		err := a.Verify(r, secretJSON, now)
		if err != nil && !errors.Is(err, webhook.ErrUnauthenticated) && !errors.Is(err, webhook.ErrTimestamp) {
			t.Fatalf("error %v wraps no verification sentinel", err)
		}
		if err != nil && strings.Contains(err.Error(), testSecret) {
			t.Fatalf("error leaks the secret")
		}
		if url == "" {
			return
		}
		signed := &webhook.Request{Method: method, Body: body, PublicURL: url,
			Header: hubspot.SignV3(testSecret, method, url, body, now)}
		if err := a.Verify(signed, secretJSON, now); err != nil {
			t.Fatalf("SignV3 request does not verify: %v", err)
		}
		if hubspot.NormalizeURI(hubspot.NormalizeURI(url)) != hubspot.NormalizeURI(url) {
			t.Fatalf("NormalizeURI is not idempotent on %q", url)
		}
	})
}
