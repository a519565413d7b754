package webhook_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name, secret string
		err          error
		ips, sources int
	}{
		{"none", `{"clientSecret":"x"}`, nil, 0, 0},
		{"both", `{"allowedSourceIps":["203.0.113.0/24","2001:db8::/32","198.51.100.7"],"allowedSources":["hubspot/portal/62515/"]}`, nil, 3, 1},
		{"not a CIDR", `{"allowedSourceIps":["203.0.113.0/33"]}`, webhook.ErrPolicy, 0, 0},
		{"a host name", `{"allowedSourceIps":["hooks.example.com"]}`, webhook.ErrPolicy, 0, 0},
		{"not a list", `{"allowedSourceIps":"203.0.113.0/24"}`, webhook.ErrPolicy, 0, 0},
		{"empty prefix", `{"allowedSources":[""]}`, webhook.ErrPolicy, 0, 0},
		{"only a slash", `{"allowedSources":["/"]}`, webhook.ErrPolicy, 0, 0},
		{"space in prefix", `{"allowedSources":["a b"]}`, webhook.ErrPolicy, 0, 0},
		{"too many", `{"allowedSourceIps":[` + strings.Repeat(`"10.0.0.1",`, 256) + `"10.0.0.2"]}`, webhook.ErrPolicy, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := webhook.ParsePolicy(json.RawMessage(tt.secret))
			if !errors.Is(err, tt.err) || tt.err == nil && err != nil {
				t.Fatalf("ParsePolicy = %v, want %v", err, tt.err)
			}
			if len(p.AllowedSourceIPs) != tt.ips || len(p.AllowedSources) != tt.sources {
				t.Errorf("policy %+v", p)
			}
		})
	}
}

func TestPolicyAllows(t *testing.T) {
	p, err := webhook.ParsePolicy(json.RawMessage(`{"allowedSourceIps":["203.0.113.0/24","2001:db8::/32","198.51.100.7","::ffff:192.0.2.0/121"],"allowedSources":["hubspot/portal/62515"]}`))
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]bool{
		"203.0.113.10": true, "203.0.114.1": false, "198.51.100.7": true, "198.51.100.8": false,
		"2001:db8::1": true, "2001:db9::1": false, "::ffff:203.0.113.9": true, "": false, "not-an-ip": false,
		"192.0.2.77": true, "192.0.2.200": false, // from the IPv4-mapped entry
	}
	for a, want := range addrs {
		if got := p.AllowsAddr(a); got != want {
			t.Errorf("AllowsAddr(%q) = %v, want %v", a, got, want)
		}
	}
	if !(webhook.Policy{}).AllowsAddr("192.0.2.1") {
		t.Error("an empty allowlist refused an address")
	}
	sources := map[string]bool{
		"hubspot/portal/62515": true, "hubspot/portal/62515/x": true, "hubspot/portal/625150": false,
		"hubspot/portal/77001": false, "hubspot/portal": false, "acme/x": false,
	}
	for s, want := range sources {
		if got := p.AllowsSource(s); got != want {
			t.Errorf("AllowsSource(%q) = %v, want %v", s, got, want)
		}
	}
}

// Whatever a secret holds, ParsePolicy returns a policy or ErrPolicy, and
// every network it returns is masked and contains what it was given.
func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"allowedSourceIps":["203.0.113.0/24","2001:db8::/32"],"allowedSources":["hubspot/portal/1"]}`, "203.0.113.5", "hubspot/portal/1/x")
	f.Add(`{"allowedSourceIps":["::ffff:10.0.0.0/104"]}`, "10.1.2.3", "")
	f.Add(`{"allowedSourceIps":["0.0.0.0/0"]}`, "::1", "a")
	f.Fuzz(func(t *testing.T, secret, addr, source string) {
		p, err := webhook.ParsePolicy(json.RawMessage(secret))
		if err != nil {
			if !errors.Is(err, webhook.ErrPolicy) {
				t.Fatalf("error %v does not wrap ErrPolicy", err)
			}
			return
		}
		for _, n := range p.AllowedSourceIPs {
			if n != n.Masked() || !n.IsValid() {
				t.Fatalf("network %v is not masked and valid", n)
			}
		}
		if p.AllowsAddr(addr) && len(p.AllowedSourceIPs) > 0 {
			a, err := netip.ParseAddr(strings.TrimSpace(addr))
			if err != nil {
				t.Fatalf("unparsable address %q allowed", addr)
			}
			found := false
			for _, n := range p.AllowedSourceIPs {
				found = found || n.Contains(a.Unmap())
			}
			if !found {
				t.Fatalf("%q allowed outside %v", addr, p.AllowedSourceIPs)
			}
		}
		if p.AllowsSource(source) {
			ok := false
			for _, pre := range p.AllowedSources {
				ok = ok || source == pre || strings.HasPrefix(source, pre+"/")
			}
			if !ok {
				t.Fatalf("%q allowed by %v", source, p.AllowedSources)
			}
		}
	})
}
