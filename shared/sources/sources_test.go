package sources_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/webhook"
	"github.com/goalrelay/goalrelay/testevents"
)

func TestDescriptors(t *testing.T) {
	names := map[string]bool{}
	var namespaces []string
	for _, src := range sources.All() {
		if err := src.Check(); err != nil {
			t.Errorf("%s: %v", src.Name, err)
		}
		if names[src.Name] {
			t.Errorf("two sources are named %s", src.Name)
		}
		names[src.Name] = true
		if got, ok := sources.Lookup(src.Name); !ok || got != src {
			t.Errorf("Lookup(%q) = %v, %v", src.Name, got, ok)
		}
		if src.Namespace != "" {
			namespaces = append(namespaces, src.Namespace)
		}
	}
	if _, ok := sources.Lookup("zoho"); ok {
		t.Error("Lookup of an unknown source succeeded")
	}
	// No namespace may start another: their records would share keys.
	for i, a := range namespaces {
		for j, b := range namespaces {
			if i != j && strings.HasPrefix(b, a) {
				t.Errorf("namespace %q starts namespace %q", a, b)
			}
		}
	}
	if got := strings.Join(sources.Names(), ","); got != "hubspot,salesforce,dynamics,pipedrive,generic" {
		t.Errorf("Names() = %s: the documented routes changed", got)
	}
}

// Every descriptor's signer signs what its own Open accepts, for every
// scheme; another secret's signature is refused as unauthenticated; and
// every change of a source with a namespace lies in it, under the account
// the sample was made for.
func TestSignThenOpen(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	secrets := testevents.NewSecrets()
	const publicURL = "https://hooks.example.com/webhooks/"
	for _, src := range sources.All() {
		schemes := src.Schemes
		if len(schemes) == 0 {
			schemes = []string{""}
		}
		for _, scheme := range schemes {
			t.Run(src.Name+"/"+scheme, func(t *testing.T) {
				secret := secrets[src.Name]
				account := "4711"
				if src.Name == "dynamics" {
					account = "4ef5b371-0000-0000-0000-0000000000ff"
				}
				body, err := src.Sample(webhook.SampleOptions{Now: now, RecordID: "7001", Account: account, Scheme: scheme, Secret: secret})
				if err != nil {
					t.Fatalf("Sample: %v", err)
				}
				u := publicURL + src.Name
				h, err := src.Sign(secret, webhook.Delivery{URL: u, Body: body, Time: now, Scheme: scheme})
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				changes, err := src.Open(request(u, body, h), secret, now)
				if err != nil {
					t.Fatalf("Open refuses its own signer's delivery: %v", err)
				}
				if len(changes) == 0 || len(changes) > src.MaxBatch {
					t.Fatalf("%d changes, want 1..%d", len(changes), src.MaxBatch)
				}
				for _, ch := range changes {
					if ch.RecordID != "7001" {
						t.Errorf("record %q, want the sample's 7001", ch.RecordID)
					}
					if src.Namespace == "" {
						continue
					}
					want := account
					if src.Name == "salesforce" { // the account is the secret's organization
						want = testevents.SalesforceOrganizationID
					}
					es, err := src.EventSource(want)
					if err != nil {
						t.Fatal(err)
					}
					if ch.Source != es || !strings.HasPrefix(ch.Source, src.Namespace) {
						t.Errorf("change source %q, want %q in namespace %q", ch.Source, es, src.Namespace)
					}
				}

				// The same delivery signed with another secret.
				other := otherSecret(t, secret)
				body2, err := src.Sample(webhook.SampleOptions{Now: now, RecordID: "7001", Account: account, Scheme: scheme, Secret: other})
				if err != nil {
					t.Fatal(err)
				}
				h2, err := src.Sign(other, webhook.Delivery{URL: u, Body: body2, Time: now, Scheme: scheme})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := src.Open(request(u, body2, h2), secret, now); !errors.Is(err, webhook.ErrUnauthenticated) {
					t.Errorf("Open with another secret's delivery = %v, want ErrUnauthenticated", err)
				}
			})
		}
		t.Run(src.Name+"/unknown scheme", func(t *testing.T) {
			_, err := src.Sign(secrets[src.Name], webhook.Delivery{URL: publicURL, Body: []byte("{}"), Time: now, Scheme: "v0"})
			if !errors.Is(err, webhook.ErrScheme) {
				t.Errorf("Sign with scheme v0 = %v, want ErrScheme", err)
			}
		})
	}
}

// otherSecret returns secret with every string value replaced: for each
// source a valid secret that is not the configured one.
func otherSecret(t *testing.T, secret json.RawMessage) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(secret, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range m {
		s, ok := v.(string)
		switch {
		case !ok || k == "header":
		case k == "organizationId":
			m[k] = "00D000000000001AAA"
		case strings.HasPrefix(s, "whsec_"):
			m[k] = "whsec_bm90LXRoZS1nb2FscmVsYXktZ2VuZXJpYy1rZXktMzI="
		default:
			m[k] = "other-" + s
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func request(publicURL string, body []byte, h map[string]string) *webhook.Request {
	u, _ := url.Parse(publicURL)
	header := make(map[string]string, len(h))
	for k, v := range h {
		header[strings.ToLower(k)] = v
	}
	return &webhook.Request{Method: "POST", Path: u.Path, RawQuery: u.RawQuery, Header: header, Body: body, PublicURL: publicURL}
}

func TestEventSource(t *testing.T) {
	tests := []struct {
		source, account, want string
		ok                    bool
	}{
		{"hubspot", "62515", "hubspot/portal/62515", true},
		{"salesforce", "00D000000000062", "salesforce/org/00D000000000062EAA", true},
		{"salesforce", "not-an-org", "", false},
		{"dynamics", "4EF5B371-0000-0000-0000-000000000005", "dynamics/org/4ef5b371-0000-0000-0000-000000000005", true},
		{"pipedrive", "8100001", "pipedrive/company/8100001", true},
		{"pipedrive", "81/00", "", false},
		{"pipedrive", "", "", false},
		{"generic", "acme", "", false},
	}
	for _, tt := range tests {
		src, _ := sources.Lookup(tt.source)
		got, err := src.EventSource(tt.account)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%s.EventSource(%q) = %q, %v; want %q", tt.source, tt.account, got, err, tt.want)
		}
	}
}
