package dynamics

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// DefaultHeader carries the secret when the secret JSON names no header.
const DefaultHeader = "x-goalrelay-key"

// ErrSecret is returned when the configured secret itself is unusable (not
// JSON, no value). It is a configuration problem, not Dataverse's: it wraps
// none of the webhook sentinels.
var ErrSecret = errors.New("dynamics: invalid webhook secret configuration")

// Secret is this source's member of the webhook secret JSON.
type Secret struct {
	// Header is the request header holding the value (HttpHeader
	// authentication); DefaultHeader when empty.
	Header string `json:"header,omitempty"`
	// Value is the accepted value; Values lists more (rotation).
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
	// QueryParam, when set (normally "code", for WebhookKey
	// authentication), also accepts the value from that query parameter.
	QueryParam string `json:"queryParam,omitempty"`
}

// Adapter is the Dynamics 365 / Dataverse source. The zero value is ready
// to use and safe for concurrent use.
type Adapter struct{}

// Verify checks the static secret of r. It returns nil, an error wrapping
// webhook.ErrUnauthenticated, or ErrSecret. now is unused: Dataverse sends
// no timestamp.
func (Adapter) Verify(r *webhook.Request, secret json.RawMessage, _ time.Time) error {
	s, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	got := r.Get(s.Header)
	where := "header " + s.Header
	if got == "" && s.QueryParam != "" {
		q, _ := url.ParseQuery(r.RawQuery)
		got = q.Get(s.QueryParam)
		where += " or query parameter " + s.QueryParam
	}
	if got == "" {
		return fmt.Errorf("%w: missing %s", webhook.ErrUnauthenticated, where)
	}
	// Compare fixed-length digests so that neither content nor length
	// leaks; look at every configured value.
	gotSum := sha256.Sum256([]byte(got))
	ok := 0
	for _, v := range s.values() {
		want := sha256.Sum256([]byte(v))
		ok |= subtle.ConstantTimeCompare(gotSum[:], want[:])
	}
	if ok != 1 {
		return fmt.Errorf("%w: wrong value in %s", webhook.ErrUnauthenticated, where)
	}
	return nil
}

func (s *Secret) values() []string {
	if s.Value == "" {
		return s.Values
	}
	return append([]string{s.Value}, s.Values...)
}

func decodeSecret(raw json.RawMessage) (*Secret, error) {
	var s Secret
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object with \"header\" and \"value\"", ErrSecret)
	}
	s.Header = strings.ToLower(strings.TrimSpace(s.Header))
	if s.Header == "" {
		s.Header = DefaultHeader
	}
	vals := s.values()
	if len(vals) == 0 {
		return nil, fmt.Errorf("%w: no value configured", ErrSecret)
	}
	for i, v := range vals {
		if v == "" {
			return nil, fmt.Errorf("%w: value %d is empty", ErrSecret, i)
		}
	}
	return &s, nil
}

// AuthHeader returns the header name and value that Dataverse sends for
// secret (the first configured value), for tests, testevents and the CLI.
func AuthHeader(secret json.RawMessage) (name, value string, err error) {
	s, err := decodeSecret(secret)
	if err != nil {
		return "", "", err
	}
	return s.Header, s.values()[0], nil
}
