package standardwebhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Header names, lower case as API Gateway HTTP API delivers them.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

const (
	// SecretPrefix starts every symmetric Standard Webhooks secret.
	SecretPrefix = "whsec_"
	// DefaultTolerance is how far webhook-timestamp may be from now, in
	// either direction, when Adapter.Tolerance is zero.
	DefaultTolerance = 5 * time.Minute
	// maxSignatures bounds the work one webhook-signature header can cause;
	// entries past it are ignored.
	maxSignatures = 32
	// maxTimestampDigits keeps webhook-timestamp within int64 and sane.
	maxTimestampDigits = 12
)

// ErrSecret is returned when the configured secret itself is unusable
// (not JSON, no secret, not base64). It is a configuration problem, not the
// sender's: it wraps none of the webhook sentinels.
var ErrSecret = errors.New("standardwebhooks: invalid webhook secret configuration")

// Secret is this source's member of the webhook secret JSON. Secret and
// Secrets may be combined; every listed secret is tried.
type Secret struct {
	Secret  string   `json:"secret,omitempty"`
	Secrets []string `json:"secrets,omitempty"`
}

// Adapter is the generic source. The zero value is ready to use and safe
// for concurrent use.
type Adapter struct {
	// Tolerance is the allowed distance between webhook-timestamp and now,
	// both ways; zero means DefaultTolerance.
	Tolerance time.Duration
}

// Verify checks the Standard Webhooks signature of r with the keys in
// secret. It returns nil, an error wrapping webhook.ErrUnauthenticated
// (missing or malformed headers, no matching v1 signature) or
// webhook.ErrTimestamp (a matching signature on a timestamp outside the
// tolerance), or ErrSecret.
func (a Adapter) Verify(r *webhook.Request, secret json.RawMessage, now time.Time) error {
	keys, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	id := r.Get(HeaderID)
	tsRaw := r.Get(HeaderTimestamp)
	sigHeader := r.Get(HeaderSignature)
	switch {
	case id == "":
		return fmt.Errorf("%w: missing %s header", webhook.ErrUnauthenticated, HeaderID)
	case tsRaw == "":
		return fmt.Errorf("%w: missing %s header", webhook.ErrUnauthenticated, HeaderTimestamp)
	case sigHeader == "":
		return fmt.Errorf("%w: missing %s header", webhook.ErrUnauthenticated, HeaderSignature)
	case strings.Contains(id, "."):
		// The signed content joins id, timestamp and body with '.', so an id
		// with a dot would make the split ambiguous.
		return fmt.Errorf("%w: %s must not contain '.'", webhook.ErrUnauthenticated, HeaderID)
	}
	ts, ok := parseTimestamp(tsRaw)
	if !ok {
		return fmt.Errorf("%w: %s is not a unix time in seconds", webhook.ErrUnauthenticated, HeaderTimestamp)
	}
	sigs := parseSignatures(sigHeader)
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s holds no v1 signature", webhook.ErrUnauthenticated, HeaderSignature)
	}
	matched := false
	for _, key := range keys {
		want := sum(key, id, tsRaw, r.Body)
		for _, got := range sigs {
			if hmac.Equal(want, got) {
				matched = true
			}
		}
	}
	if !matched {
		return fmt.Errorf("%w: no v1 signature matches", webhook.ErrUnauthenticated)
	}
	tol := a.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	sent := time.Unix(ts, 0)
	if now.Sub(sent) > tol {
		return fmt.Errorf("%w: %s is %s old (tolerance %s)", webhook.ErrTimestamp, HeaderTimestamp, now.Sub(sent).Truncate(time.Second), tol)
	}
	if sent.Sub(now) > tol {
		return fmt.Errorf("%w: %s is %s in the future (tolerance %s)", webhook.ErrTimestamp, HeaderTimestamp, sent.Sub(now).Truncate(time.Second), tol)
	}
	return nil
}

// decodeSecret returns the HMAC keys of every configured secret.
func decodeSecret(raw json.RawMessage) ([][]byte, error) {
	var s Secret
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object with \"secret\" or \"secrets\"", ErrSecret)
	}
	all := s.Secrets
	if s.Secret != "" {
		all = append([]string{s.Secret}, all...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: no secret configured", ErrSecret)
	}
	keys := make([][]byte, 0, len(all))
	for i, sec := range all {
		k, err := decodeKey(sec)
		if err != nil {
			return nil, fmt.Errorf("%w: secret %d: %v", ErrSecret, i, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// decodeKey turns "whsec_<base64>" (or bare base64, as the Standard
// Webhooks project's own Go library also accepts) into the HMAC key.
func decodeKey(secret string) ([]byte, error) {
	b64 := strings.TrimPrefix(secret, SecretPrefix)
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil {
		return nil, errors.New("not base64 after the whsec_ prefix")
	}
	if len(key) == 0 {
		return nil, errors.New("empty key")
	}
	return key, nil
}

// parseTimestamp accepts only decimal digits (no sign, no fraction).
func parseTimestamp(s string) (int64, bool) {
	if len(s) == 0 || len(s) > maxTimestampDigits {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseSignatures returns the decoded v1 signatures of a webhook-signature
// header: space-separated "<version>,<base64>" entries. Entries of another
// version, without a comma, not base64 or not 32 bytes long are skipped;
// at most maxSignatures entries are looked at.
func parseSignatures(h string) [][]byte {
	var out [][]byte
	seen := 0
	for entry := range strings.FieldsSeq(h) {
		if seen++; seen > maxSignatures {
			break
		}
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		sig, err := base64.StdEncoding.Strict().DecodeString(b64)
		if err != nil || len(sig) != sha256.Size {
			continue
		}
		out = append(out, sig)
	}
	return out
}

func sum(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the webhook-signature header value ("v1,<base64>") for body
// sent as message msgID at ts, with a "whsec_..." secret.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := decodeKey(secret)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSecret, err)
	}
	if msgID == "" || strings.Contains(msgID, ".") {
		return "", errors.New("standardwebhooks: message id must be non-empty and contain no '.'")
	}
	mac := sum(key, msgID, strconv.FormatInt(ts.Unix(), 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(mac), nil
}

// SignedHeaders returns the three Standard Webhooks headers (lower-case
// names) for body sent as message msgID at ts.
func SignedHeaders(secret, msgID string, ts time.Time, body []byte) (map[string]string, error) {
	sig, err := Sign(secret, msgID, ts, body)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		HeaderID:        msgID,
		HeaderTimestamp: strconv.FormatInt(ts.Unix(), 10),
		HeaderSignature: sig,
	}, nil
}

// NewSecret returns a fresh random secret ("whsec_" + base64 of 32 bytes).
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}
