package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Client is the part of the Secrets Manager API the cache calls
// (DescribeSecret, then GetSecretValue by version). Pass
// secretsmanager.NewFromConfig(cfg) built from the function's own
// aws.Config, so that AWS_ENDPOINT_URL_SECRETS_MANAGER, the region and the
// credentials it resolved apply.
type Client interface {
	DescribeSecret(ctx context.Context, params *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// DefaultTTL is how long a secret is used before Secrets Manager is asked
// whether it changed. The cache asks after a random time between TTL/2 and
// TTL, so a rotation takes effect within TTL.
const DefaultTTL = 5 * time.Minute

var (
	// ErrSourceDisabled: the webhook secret has no member for the source,
	// which switches the source off (the ingest function answers 404).
	ErrSourceDisabled = errors.New("source disabled")
	// ErrFormat: the secret's value is not in the documented format. The
	// error never quotes the value.
	ErrFormat = errors.New("secret value has the wrong format")
)

// Options configure WebhookSecrets and AccessKey. Zero values take the
// defaults.
type Options struct {
	// TTL is how long a value is used before Secrets Manager is asked
	// whether it changed (after a random time between TTL/2 and TTL);
	// DefaultTTL when zero. A negative TTL is an error.
	TTL time.Duration
}

func newCached(client Client, id string, optFns []func(*Options)) (*cached, error) {
	if client == nil {
		return nil, errors.New("secrets: nil Secrets Manager client (build one from the function's aws.Config)")
	}
	if id == "" {
		return nil, errors.New("secrets: empty secret id")
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.TTL < 0 {
		return nil, fmt.Errorf("secrets: TTL must not be negative, got %v", o.TTL)
	}
	return &cached{client: client, id: id, ttl: o.TTL}, nil
}

// WebhookSecrets is the ingest function's webhook secret: a SecretString
// holding a JSON object keyed by source, e.g.
//
//	{"hubspot":{"clientSecret":"..."}, "salesforce":{"organizationId":"00D..."},
//	 "dynamics":{"header":"x-goalrelay-key","value":"..."},
//	 "pipedrive":{"username":"...","password":"..."}, "generic":{"secret":"whsec_..."}}
//
// A source absent from it (or null) is switched off. It is safe for
// concurrent use; build it once at init.
type WebhookSecrets struct {
	c *cached

	mu     sync.Mutex
	raw    string // the value parsed last
	parsed map[string]json.RawMessage
}

// NewWebhookSecrets reads secretID (WEBHOOK_SECRETS_ID) through a cache
// with Options.TTL. It does not call AWS; the first Source does.
func NewWebhookSecrets(client Client, secretID string, optFns ...func(*Options)) (*WebhookSecrets, error) {
	c, err := newCached(client, secretID, optFns)
	if err != nil {
		return nil, err
	}
	return &WebhookSecrets{c: c}, nil
}

// Source returns the member of the secret for the named source, as the
// adapter's Verify takes it. It returns an error wrapping ErrSourceDisabled
// when the source is absent, ErrFormat when the secret is not a JSON object,
// and the Secrets Manager error when it cannot be read.
func (w *WebhookSecrets) Source(ctx context.Context, name string) (json.RawMessage, error) {
	raw, err := w.c.get(ctx)
	if err != nil {
		return nil, err
	}
	return w.lookup(raw, name)
}

// Refresh re-reads the secret now, bypassing the cache.
func (w *WebhookSecrets) Refresh(ctx context.Context) error {
	raw, err := w.c.refresh(ctx)
	if err != nil {
		return err
	}
	_, err = w.parse(raw)
	return err
}

func (w *WebhookSecrets) lookup(raw, name string) (json.RawMessage, error) {
	m, err := w.parse(raw)
	if err != nil {
		return nil, err
	}
	v, ok := m[name]
	if !ok || string(v) == "null" {
		return nil, fmt.Errorf("secrets: source %q: %w", name, ErrSourceDisabled)
	}
	return append(json.RawMessage(nil), v...), nil
}

func (w *WebhookSecrets) parse(raw string) (map[string]json.RawMessage, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.parsed != nil && raw == w.raw {
		return w.parsed, nil
	}
	m, err := ParseWebhookSecrets(raw)
	if err != nil {
		return nil, fmt.Errorf("secrets: %s: %w", w.c.id, err)
	}
	w.raw, w.parsed = raw, m
	return m, nil
}

// ParseWebhookSecrets parses the webhook secret's value: a JSON object
// whose members are the sources. Errors wrap ErrFormat and never quote the
// value.
func ParseWebhookSecrets(value string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(value), &m); err != nil {
		return nil, fmt.Errorf("%w: want a JSON object keyed by source (%s)", ErrFormat, describeJSONError(err))
	}
	if m == nil {
		return nil, fmt.Errorf("%w: want a JSON object keyed by source, got null", ErrFormat)
	}
	return m, nil
}

// describeJSONError says where JSON broke without echoing any of it
// (encoding/json's messages quote the offending character).
func describeJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("found a JSON %s", te.Value)
	}
	return "not valid JSON"
}

// AccessKey is the Gainsight access key (GAINSIGHT_ACCESS_KEY_SECRET_ID):
// a SecretString that is the key itself or JSON {"accessKey": "..."}. It
// implements the Gainsight client's AccessKeyProvider. It is safe for
// concurrent use; build it once at init.
type AccessKey struct {
	c *cached
}

// NewAccessKey reads secretID through a cache with Options.TTL. It does
// not call AWS; the first AccessKey does.
func NewAccessKey(client Client, secretID string, optFns ...func(*Options)) (*AccessKey, error) {
	c, err := newCached(client, secretID, optFns)
	if err != nil {
		return nil, err
	}
	return &AccessKey{c: c}, nil
}

// AccessKey returns the current key, from the cache when it is fresh.
func (a *AccessKey) AccessKey(ctx context.Context) (string, error) {
	raw, err := a.c.get(ctx)
	if err != nil {
		return "", err
	}
	return a.parse(raw)
}

// Refresh re-reads the key now, bypassing the cache; the apply function
// calls it once when Gainsight answers 401, then retries with AccessKey.
func (a *AccessKey) Refresh(ctx context.Context) error {
	raw, err := a.c.refresh(ctx)
	if err != nil {
		return err
	}
	_, err = a.parse(raw)
	return err
}

func (a *AccessKey) parse(raw string) (string, error) {
	k, err := ParseAccessKey(raw)
	if err != nil {
		return "", fmt.Errorf("secrets: %s: %w", a.c.id, err)
	}
	return k, nil
}

// ParseAccessKey extracts the key from the secret's value: the value itself
// (surrounding white space removed) or the accessKey member of a JSON
// object. Errors wrap ErrFormat and never quote the value.
func ParseAccessKey(value string) (string, error) {
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "{") {
		var doc struct {
			AccessKey *string `json:"accessKey"`
		}
		if err := json.Unmarshal([]byte(v), &doc); err != nil {
			return "", fmt.Errorf(`%w: want the key or JSON {"accessKey": "..."} (%s)`, ErrFormat, describeJSONError(err))
		}
		if doc.AccessKey == nil || strings.TrimSpace(*doc.AccessKey) == "" {
			return "", fmt.Errorf(`%w: JSON without a non-empty "accessKey" member`, ErrFormat)
		}
		return strings.TrimSpace(*doc.AccessKey), nil
	}
	if v == "" {
		return "", fmt.Errorf("%w: empty key", ErrFormat)
	}
	if strings.ContainsAny(v, " \t\r\n\"") {
		return "", fmt.Errorf(`%w: want the key alone (no spaces or quotes) or JSON {"accessKey": "..."}`, ErrFormat)
	}
	return v, nil
}

// CRMCredentials is the CRM credentials secret (CRM_CREDENTIALS_ID), read
// only by the functions that call the CRMs' APIs: like the webhook secret,
// a JSON object keyed by source,
//
//	{"hubspot": {"accessToken": "..."}, "pipedrive": {"apiToken": "..."}}
//
// Source returns a source's member, or an error wrapping ErrSourceDisabled
// when it has none: that source is never read back. It is safe for
// concurrent use; build it once at init.
type CRMCredentials struct{ WebhookSecrets }

// NewCRMCredentials reads secretID through a cache with Options.TTL. It
// does not call AWS; the first Source does.
func NewCRMCredentials(client Client, secretID string, optFns ...func(*Options)) (*CRMCredentials, error) {
	c, err := newCached(client, secretID, optFns)
	if err != nil {
		return nil, err
	}
	return &CRMCredentials{WebhookSecrets{c: c}}, nil
}
