package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-secretsmanager-caching-go/v2/secretcache"
)

// Client is the part of the Secrets Manager API the cache calls
// (DescribeSecret, then GetSecretValue by version). Pass
// secretsmanager.NewFromConfig(cfg) built from the function's own
// aws.Config, so that AWS_ENDPOINT_URL_SECRETS_MANAGER, the region and the
// credentials it resolved apply; the caching library would otherwise load a
// default config of its own.
type Client = secretcache.SecretsManagerAPIClient

// DefaultTTL is how long a secret is used before Secrets Manager is asked
// whether it changed. The library refreshes each item after a random time
// between TTL/2 and TTL, so a rotation takes effect within TTL.
const DefaultTTL = 5 * time.Minute

var (
	// ErrSourceDisabled: the webhook secret has no member for the source,
	// which switches the source off (the ingest function answers 404).
	ErrSourceDisabled = errors.New("source disabled")
	// ErrFormat: the secret's value is not in the documented format. The
	// error never quotes the value.
	ErrFormat = errors.New("secret value has the wrong format")
)

// Option configures WebhookSecrets and AccessKey.
type Option func(*options)

type options struct {
	ttl time.Duration
}

// WithTTL sets the cache time (default DefaultTTL).
func WithTTL(d time.Duration) Option { return func(o *options) { o.ttl = d } }

// cached is one secret read through an aws-secretsmanager-caching-go cache
// of its own. Refresh swaps in a fresh cache: the library's RefreshNow
// sleeps 2.5–5 s without watching the context and reports no error.
type cached struct {
	client Client
	id     string
	ttl    time.Duration
	cache  atomic.Pointer[secretcache.Cache]
}

func newCached(client Client, id string, opts []Option) (*cached, error) {
	if client == nil {
		return nil, errors.New("secrets: nil Secrets Manager client (build one from the function's aws.Config)")
	}
	if id == "" {
		return nil, errors.New("secrets: empty secret id")
	}
	o := options{ttl: DefaultTTL}
	for _, fn := range opts {
		fn(&o)
	}
	if o.ttl <= 0 {
		return nil, fmt.Errorf("secrets: TTL must be positive, got %v", o.ttl)
	}
	c := &cached{client: client, id: id, ttl: o.ttl}
	cache, err := c.newCache()
	if err != nil {
		return nil, err
	}
	c.cache.Store(cache)
	return c, nil
}

func (c *cached) newCache() (*secretcache.Cache, error) {
	cache, err := secretcache.New(func(sc *secretcache.Cache) {
		sc.Client = c.client
		sc.CacheItemTTL = c.ttl.Nanoseconds()
		sc.MaxCacheSize = 1
	})
	if err != nil {
		return nil, fmt.Errorf("secrets: cache: %w", err)
	}
	return cache, nil
}

func (c *cached) get(ctx context.Context) (string, error) {
	s, err := c.cache.Load().GetSecretStringWithContext(ctx, c.id)
	if err != nil {
		return "", fmt.Errorf("secrets: read %s: %w", c.id, err)
	}
	return s, nil
}

// refresh reads the secret through a new cache and keeps that cache only
// when the read succeeded, so a failed refresh leaves the last good value.
func (c *cached) refresh(ctx context.Context) (string, error) {
	cache, err := c.newCache()
	if err != nil {
		return "", err
	}
	s, err := cache.GetSecretStringWithContext(ctx, c.id)
	if err != nil {
		return "", fmt.Errorf("secrets: refresh %s: %w", c.id, err)
	}
	c.cache.Store(cache)
	return s, nil
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
// with the given TTL. It does not call AWS; the first Source does.
func NewWebhookSecrets(client Client, secretID string, opts ...Option) (*WebhookSecrets, error) {
	c, err := newCached(client, secretID, opts)
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

// NewAccessKey reads secretID through a cache with the given TTL. It does
// not call AWS; the first AccessKey does.
func NewAccessKey(client Client, secretID string, opts ...Option) (*AccessKey, error) {
	c, err := newCached(client, secretID, opts)
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
