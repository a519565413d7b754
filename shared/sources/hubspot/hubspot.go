package hubspot

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Adapter is the HubSpot source. The zero value is ready to use and safe
// for concurrent use.
type Adapter struct {
	// Tolerance is how far the v3 timestamp may lie from now, in either
	// direction; zero means DefaultTolerance.
	Tolerance time.Duration
}

// ErrSecret is returned by Verify when the configured secret is not usable
// (not JSON, or no clientSecret). It is a configuration problem, not the
// caller's fault, so it wraps none of the webhook sentinels.
var ErrSecret = errors.New("hubspot: invalid webhook secret configuration")

// Secret is the "hubspot" member of the webhook secret JSON:
//
//	{"clientSecret":"...", "previousClientSecret":"..."}
//
// clientSecret is the HubSpot app's client secret (Development → Apps →
// Auth). previousClientSecret is optional and accepted as well while a
// rotated secret propagates.
type Secret struct {
	ClientSecret         string `json:"clientSecret"`
	PreviousClientSecret string `json:"previousClientSecret,omitempty"`
}

func parseSecret(raw json.RawMessage) ([]string, error) {
	var s Secret
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object with clientSecret", ErrSecret)
	}
	if s.ClientSecret == "" {
		return nil, fmt.Errorf("%w: clientSecret is empty", ErrSecret)
	}
	if s.PreviousClientSecret == "" {
		return []string{s.ClientSecret}, nil
	}
	return []string{s.ClientSecret, s.PreviousClientSecret}, nil
}

// Verify checks r's HubSpot signature against the client secret in secret
// at time now. It is a pure function of its arguments.
//
//   - When X-HubSpot-Signature-v3 is present, only v3 is checked: the
//     X-HubSpot-Request-Timestamp header (Unix milliseconds) must lie
//     within the tolerance of now (older or further in the future wraps
//     webhook.ErrTimestamp; a timestamp in seconds reads as 1970 and is
//     rejected as old), and the HMAC over the method, NormalizeURI(PublicURL),
//     the body and the timestamp must match.
//   - Otherwise a Webhooks API delivery (a JSON array body) is rejected:
//     HubSpot always signs those with v3, and the v1 it also sends has no
//     replay protection.
//   - Otherwise (a workflow "Send a webhook" delivery) the legacy v2
//     signature is checked: X-HubSpot-Signature-Version must be v2 and
//     X-HubSpot-Signature the hex SHA-256 of the secret, method, PublicURL
//     and body. v2 has no timestamp, so a captured request can be replayed;
//     the change id makes a replay a no-op downstream.
//
// r.PublicURL must be the URL HubSpot was configured to call (scheme,
// host, path and query exactly as configured); http vs https or a trailing
// slash make the signature mismatch. Failures wrap webhook.ErrUnauthenticated
// or webhook.ErrTimestamp; an unusable secret returns ErrSecret.
func (a *Adapter) Verify(r *webhook.Request, secret json.RawMessage, now time.Time) error {
	secrets, err := parseSecret(secret)
	if err != nil {
		return err
	}
	if sig := r.Get(HeaderSignatureV3); sig != "" {
		return a.verifyV3(r, sig, secrets, now)
	}
	if isBatch(r.Body) {
		return fmt.Errorf("%w: hubspot: missing X-HubSpot-Signature-v3 header (required for Webhooks API deliveries)", webhook.ErrUnauthenticated)
	}
	return verifyV2(r, secrets)
}

func (a *Adapter) tolerance() time.Duration {
	if a == nil || a.Tolerance <= 0 {
		return DefaultTolerance
	}
	return a.Tolerance
}

func (a *Adapter) verifyV3(r *webhook.Request, sig string, secrets []string, now time.Time) error {
	ts := r.Get(HeaderTimestamp)
	if ts == "" {
		return fmt.Errorf("%w: hubspot: missing X-HubSpot-Request-Timestamp header", webhook.ErrUnauthenticated)
	}
	ms, ok := parseMillis(ts)
	if !ok {
		return fmt.Errorf("%w: hubspot: X-HubSpot-Request-Timestamp is not Unix milliseconds", webhook.ErrTimestamp)
	}
	tol := a.tolerance()
	switch d := now.Sub(time.UnixMilli(ms)); {
	case d > tol:
		return fmt.Errorf("%w: hubspot: request timestamp is %s old (tolerance %s)", webhook.ErrTimestamp, d.Truncate(time.Second), tol)
	case d < -tol:
		return fmt.Errorf("%w: hubspot: request timestamp is %s in the future (tolerance %s)", webhook.ErrTimestamp, (-d).Truncate(time.Second), tol)
	}
	if r.PublicURL == "" {
		return fmt.Errorf("%w: hubspot: no public URL to verify the signature against (set PUBLIC_BASE_URL)", webhook.ErrUnauthenticated)
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(got) != 32 {
		return fmt.Errorf("%w: hubspot: X-HubSpot-Signature-v3 is not a base64 SHA-256 HMAC", webhook.ErrUnauthenticated)
	}
	uri := NormalizeURI(r.PublicURL)
	for _, s := range secrets {
		if hmac.Equal(macV3(s, r.Method, uri, r.Body, ts), got) {
			return nil
		}
	}
	return fmt.Errorf("%w: hubspot: v3 signature mismatch", webhook.ErrUnauthenticated)
}

func verifyV2(r *webhook.Request, secrets []string) error {
	sig := r.Get(HeaderSignature)
	if sig == "" {
		return fmt.Errorf("%w: hubspot: missing X-HubSpot-Signature-v3 and X-HubSpot-Signature headers", webhook.ErrUnauthenticated)
	}
	if !strings.EqualFold(strings.TrimSpace(r.Get(HeaderSignatureVersion)), "v2") {
		return fmt.Errorf("%w: hubspot: X-HubSpot-Signature-Version must be v2 for a workflow webhook without v3", webhook.ErrUnauthenticated)
	}
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(got) != 32 {
		return fmt.Errorf("%w: hubspot: X-HubSpot-Signature is not a hex SHA-256", webhook.ErrUnauthenticated)
	}
	if r.PublicURL == "" {
		return fmt.Errorf("%w: hubspot: no public URL to verify the signature against (set PUBLIC_BASE_URL)", webhook.ErrUnauthenticated)
	}
	for _, s := range secrets {
		if hmac.Equal(sumV2(s, r.Method, r.PublicURL, r.Body), got) {
			return nil
		}
	}
	return fmt.Errorf("%w: hubspot: v2 signature mismatch", webhook.ErrUnauthenticated)
}

// parseMillis parses a decimal Unix-millisecond timestamp: digits only, at
// most 16 of them (year 318857), so no sign, spaces or exponent.
func parseMillis(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// isBatch reports whether body is a JSON array (a Webhooks API delivery).
func isBatch(body []byte) bool {
	c, _ := firstByte(body)
	return c == '['
}

func firstByte(body []byte) (byte, bool) {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, true
	}
	return 0, false
}
