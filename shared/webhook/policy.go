package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrForbidden: the request comes from an address the source's
// allowedSourceIps does not list (403).
var ErrForbidden = errors.New("source address not allowed")

// ErrPolicy is wrapped by ParsePolicy's errors: the secret's policy
// members are unusable (a configuration problem, not the sender's).
var ErrPolicy = errors.New("invalid webhook secret policy")

// Policy is what any source's member of the webhook secret JSON may say
// beside its credentials:
//
//	{"...credentials...", "allowedSourceIps": ["203.0.113.0/24", "2001:db8::/32"],
//	 "allowedSources": ["hubspot/portal/62515"]}
//
// allowedSourceIps (any source) lists the networks requests may come from;
// absent or empty allows every address. allowedSources (the generic source)
// lists the record-key namespaces of other sources that the source may
// write, as event-source prefixes matched at a '/' boundary.
type Policy struct {
	AllowedSourceIPs []netip.Prefix
	AllowedSources   []string
}

// Bounds of a policy, so that a secret cannot make every request costly.
const (
	maxPolicyEntries = 256
	maxSourcePrefix  = 256
)

// ParsePolicy reads the policy members of a source's secret. Errors wrap
// ErrPolicy and name the member and entry, never a credential.
func ParsePolicy(secret json.RawMessage) (Policy, error) {
	var raw struct {
		IPs     []string `json:"allowedSourceIps"`
		Sources []string `json:"allowedSources"`
	}
	if err := json.Unmarshal(secret, &raw); err != nil {
		return Policy{}, fmt.Errorf("%w: allowedSourceIps and allowedSources must be lists of strings", ErrPolicy)
	}
	if len(raw.IPs) > maxPolicyEntries || len(raw.Sources) > maxPolicyEntries {
		return Policy{}, fmt.Errorf("%w: more than %d entries in a list", ErrPolicy, maxPolicyEntries)
	}
	var p Policy
	for i, s := range raw.IPs {
		pre, err := parseNetwork(strings.TrimSpace(s))
		if err != nil {
			return Policy{}, fmt.Errorf("%w: allowedSourceIps[%d] is not a CIDR or an address", ErrPolicy, i)
		}
		p.AllowedSourceIPs = append(p.AllowedSourceIPs, pre)
	}
	for i, s := range raw.Sources {
		s = strings.TrimSuffix(strings.TrimSpace(s), "/")
		if s == "" || len(s) > maxSourcePrefix || strings.ContainsAny(s, " \t\r\n") {
			return Policy{}, fmt.Errorf("%w: allowedSources[%d] is not an event-source prefix", ErrPolicy, i)
		}
		p.AllowedSources = append(p.AllowedSources, s)
	}
	return p, nil
}

// parseNetwork reads a CIDR ("203.0.113.0/24", "2001:db8::/32") or a bare
// address (a /32 or /128). The prefix is masked, so "203.0.113.7/24" is
// 203.0.113.0/24.
func parseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		// Requests are matched by their unmapped address: an IPv4-mapped
		// IPv6 network ("::ffff:203.0.113.0/120") is its IPv4 network.
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, fmt.Errorf("an IPv4-mapped network needs at least 96 bits")
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// AllowsAddr reports whether a request from addr (as API Gateway reports
// the peer: requestContext.http.sourceIp) may be served. With no list every
// address may; with a list, an address that does not parse may not.
func (p Policy) AllowsAddr(addr string) bool {
	if len(p.AllowedSourceIPs) == 0 {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.AllowedSourceIPs {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// AllowsSource reports whether allowedSources lets the source write events
// of eventSource: it equals an entry or continues it after a '/'
// ("hubspot/portal/62515" allows "hubspot/portal/62515" and
// "hubspot/portal/62515/x", not "hubspot/portal/625150").
func (p Policy) AllowsSource(eventSource string) bool {
	for _, pre := range p.AllowedSources {
		if eventSource == pre || strings.HasPrefix(eventSource, pre) && eventSource[len(pre)] == '/' {
			return true
		}
	}
	return false
}
