package pipedrive

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// ErrSecret is returned when the configured secret itself is unusable (not
// JSON, a credential missing). It is a configuration problem, not
// Pipedrive's: it wraps none of the webhook sentinels.
var ErrSecret = errors.New("pipedrive: invalid webhook secret configuration")

// Secret is this source's member of the webhook secret JSON: the HTTP auth
// user and password entered on the webhook.
type Secret struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Adapter is the Pipedrive source. The zero value is ready to use and safe
// for concurrent use.
type Adapter struct{}

// Verify checks the HTTP Basic credentials of r. It returns nil, an error
// wrapping webhook.ErrUnauthenticated, or ErrSecret. now is unused:
// Pipedrive sends no timestamp to check.
func (Adapter) Verify(r *webhook.Request, secret json.RawMessage, _ time.Time) error {
	s, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	user, pass, ok := parseBasicAuth(r.Get("authorization"))
	if !ok {
		return fmt.Errorf("%w: missing or malformed Authorization: Basic header", webhook.ErrUnauthenticated)
	}
	gu, wu := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(s.Username))
	gp, wp := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(s.Password))
	// Both comparisons always run; & does not short-circuit.
	if subtle.ConstantTimeCompare(gu[:], wu[:])&subtle.ConstantTimeCompare(gp[:], wp[:]) != 1 {
		return fmt.Errorf("%w: wrong username or password", webhook.ErrUnauthenticated)
	}
	return nil
}

func decodeSecret(raw json.RawMessage) (*Secret, error) {
	var s Secret
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object with \"username\" and \"password\"", ErrSecret)
	}
	if s.Username == "" || s.Password == "" {
		return nil, fmt.Errorf("%w: username and password are both required", ErrSecret)
	}
	if strings.Contains(s.Username, ":") {
		return nil, fmt.Errorf("%w: a Basic auth username cannot contain ':'", ErrSecret)
	}
	return &s, nil
}

// parseBasicAuth reads "Basic base64(user:password)"; the scheme is
// case-insensitive, the password may contain ':'.
func parseBasicAuth(h string) (user, pass string, ok bool) {
	const prefix = "basic "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(dec), ":")
}

// BasicAuth returns the Authorization header value Pipedrive sends for
// these credentials.
func BasicAuth(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}

// AuthHeader returns the Authorization header value for secret.
func AuthHeader(secret json.RawMessage) (string, error) {
	s, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return BasicAuth(s.Username, s.Password), nil
}
