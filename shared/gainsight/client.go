package gainsight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Paths of the endpoints, relative to Options.BaseURL, each exactly as the
// spec writes it (the trailing slash of "metric/" and the plural "metrics"
// of delete included).
//
// The spec writes the metric endpoints without the /v1 prefix and every
// other endpoint with it; Gainsight's other REST APIs live under /v1, and
// the Spring error bodies print paths without /v1 even for endpoints
// written with it. Which one a tenant serves is therefore learnt, not
// assumed: the client sends the spec's literal path (PathMetric,
// PathDeleteMetrics) first and, on 404 or 405, the /v1 one (PathMetricV1,
// PathDeleteMetricsV1) once, and remembers the answer (see
// Client.Variants). Template update is learnt the same way (PUT, then
// POST).
const (
	PathCreateGoal      = "/v1/csgoal/external/create"
	PathUpdateGoal      = "/v1/csgoal/external/update"
	PathFetchGoals      = "/v1/csgoal/external/fetch"
	PathTemplate        = "/v1/csgoal/external/template" // create (POST), update (PUT)
	PathDeleteTemplates = "/v1/csgoal/external/template/delete"
	PathFetchTemplates  = "/v1/csgoal/external/template/fetch"
	PathMetric          = "/csgoal/external/metric/" // create (POST), update (PUT), as written
	PathMetricV1        = "/v1/csgoal/external/metric/"
	PathDeleteMetrics   = "/csgoal/external/metrics" // as written
	PathDeleteMetricsV1 = "/v1/csgoal/external/metrics"
	PathPicklist        = "/v1/csgoal/external/admin/picklist"
)

// DefaultMaxResponseBytes bounds a reply body when Options.MaxResponseBytes
// is zero. A full fetch page of 100 goals with their CTAs and SPs is well
// under 1 MiB.
const DefaultMaxResponseBytes int64 = 8 << 20

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "goalrelay-gainsight/1"

// AccessKeyProvider supplies the tenant's access key, sent as the accesskey
// header. It is asked once per request, so an implementation should answer
// from memory (and refresh on its own schedule, or when the caller, having
// seen IsUnauthorized, asks it to).
type AccessKeyProvider interface {
	AccessKey(ctx context.Context) (string, error)
}

// ErrNoAccessKey is returned when the provider has no key to give.
var ErrNoAccessKey = errors.New("gainsight: no access key")

// StaticAccessKey is an AccessKeyProvider for a fixed key. It prints as
// "[redacted]" so that logging an Options value does not leak the key.
type StaticAccessKey string

// AccessKey returns k, or ErrNoAccessKey when k is empty.
func (k StaticAccessKey) AccessKey(context.Context) (string, error) {
	if k == "" {
		return "", ErrNoAccessKey
	}
	return string(k), nil
}

// String hides the key.
func (k StaticAccessKey) String() string { return "[redacted]" }

// GoString hides the key from %#v.
func (k StaticAccessKey) GoString() string { return "gainsight.StaticAccessKey([redacted])" }

// Options configure a Client. BaseURL and AccessKey are required; the
// other fields' zero values take the defaults.
type Options struct {
	// BaseURL is the tenant's address, e.g. https://acme.gainsightcloud.com,
	// without the /v1 that every path already carries. Required.
	BaseURL string
	// AccessKey supplies the accesskey header. Required.
	AccessKey AccessKeyProvider
	// HTTPClient sends the requests; nil means a new http.Client with the
	// default transport. Its Timeout should be zero: time-outs come from the
	// context. The client is copied and told not to follow redirects, so
	// the access key is never replayed to another host.
	HTTPClient *http.Client
	// MaxResponseBytes bounds a reply body; a longer one is an error
	// (ErrResponseTooLarge), never silently truncated. Zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// UserAgent is sent as User-Agent; empty means DefaultUserAgent.
	UserAgent string
	// OnVariant, if set, is called once when the client learns which
	// variant of an ambiguous endpoint the tenant serves (endpoint is one of
	// the Endpoint* names, variant "METHOD path", as in Client.Variants),
	// and again only if the tenant later stops serving it and another is
	// learnt. It is called synchronously from the request's goroutine, so
	// it should be quick (a log line). The package itself never logs.
	OnVariant func(endpoint, variant string)
	// OnResponse, if set, is called for every reply received (whatever
	// its status; not when no reply came) with when the request was sent
	// and its reply's headers received, on the client's clock (time.Now),
	// and the reply's Date header (zero when absent or unreadable). The
	// apply function gives them to the quota limiter (quota.Limiter.
	// Observe), which sizes its window-edge guard from the latency and the
	// clock offset they show. Called synchronously; keep it quick.
	OnResponse func(sent, received, serverDate time.Time)
}

// Client calls the Customer Goals API. It is safe for concurrent use.
type Client struct {
	base string
	key  AccessKeyProvider
	hc   *http.Client
	max  int64
	ua   string
	now  func() time.Time

	onVariant  func(endpoint, variant string)
	onResponse func(sent, received, serverDate time.Time)
	memo       variantMemo
}

// New returns a Client for o after applying optFns to a copy of it.
func New(o Options, optFns ...func(*Options)) (*Client, error) {
	for _, fn := range optFns {
		fn(&o)
	}
	if o.BaseURL == "" {
		return nil, errors.New("gainsight: Options.BaseURL is required")
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gainsight: Options.BaseURL %q is not an http(s) URL", o.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("gainsight: Options.BaseURL must not carry a query, fragment or user info")
	}
	if o.AccessKey == nil {
		return nil, errors.New("gainsight: Options.AccessKey is required")
	}
	if o.MaxResponseBytes < 0 {
		return nil, errors.New("gainsight: Options.MaxResponseBytes must not be negative")
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	var hc http.Client
	if o.HTTPClient != nil {
		hc = *o.HTTPClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		base: strings.TrimRight(o.BaseURL, "/"),
		key:  o.AccessKey,
		hc:   &hc,
		max:  o.MaxResponseBytes,
		ua:   o.UserAgent,
		now:  time.Now,

		onVariant:  o.OnVariant,
		onResponse: o.OnResponse,
	}, nil
}

// call describes one endpoint call.
type call struct {
	method string
	path   string
	in     any // request body, marshalled as JSON
	out    any // pointer the envelope's data (or the bare body) decodes into
	// bare allows a success body without the envelope (template fetch).
	bare bool
}

// do sends one request and decodes its reply. It returns the Gainsight
// request id of a successful reply.
func (c *Client) do(ctx context.Context, cl call) (string, error) {
	endpoint := cl.method + " " + cl.path
	body, err := marshalJSON(cl.in)
	if err != nil {
		return "", fmt.Errorf("gainsight: %s: encoding request: %w", endpoint, err)
	}
	key, err := c.key.AccessKey(ctx)
	if err != nil {
		return "", fmt.Errorf("gainsight: %s: access key: %w", endpoint, err)
	}
	if key == "" {
		return "", fmt.Errorf("gainsight: %s: %w", endpoint, ErrNoAccessKey)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.base+cl.path, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("gainsight: %s: %w", endpoint, err)
	}
	req.Header = http.Header{
		"Accesskey":    {key},
		"Content-Type": {"application/json"},
		"Accept":       {"application/json"},
		"User-Agent":   {c.ua},
	}
	sent := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", redact(&TransportError{Endpoint: endpoint, Err: err}, key)
	}
	if c.onResponse != nil {
		received := c.now()
		date, _ := http.ParseTime(resp.Header.Get("Date"))
		c.onResponse(sent, received, date)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.max+1))
	if err != nil {
		return "", redact(&TransportError{Endpoint: endpoint, Err: fmt.Errorf("reading reply: %w", err)}, key)
	}
	if int64(len(data)) > c.max {
		if resp.StatusCode == http.StatusTooManyRequests {
			_, err := c.checkResponse(resp, nil, endpoint, key, false)
			return "", err
		}
		return "", redact(&APIError{
			Status:     resp.StatusCode,
			Message:    fmt.Sprintf("reply body larger than %d bytes", c.max),
			RequestID:  headerRequestID(resp.Header),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
			Endpoint:   endpoint,
			Err:        ErrResponseTooLarge,
		}, key)
	}
	rep, err := c.checkResponse(resp, data, endpoint, key, cl.bare)
	if err != nil {
		return "", err
	}
	payload := rep.Data
	if rep.Result == nil { // bare body (cl.bare)
		payload = data
	}
	if cl.out != nil && len(payload) > 0 && string(payload) != "null" {
		if err := json.Unmarshal(payload, cl.out); err != nil {
			return "", redact(&APIError{
				Status:    resp.StatusCode,
				Message:   "cannot decode reply data: " + err.Error(),
				RequestID: rep.RequestID,
				Endpoint:  endpoint,
				Err:       ErrMalformedResponse,
			}, key)
		}
	}
	// A success's request id is redacted and bounded as an error's is.
	return newRedactor(key).bounded(rep.RequestID, maxField), nil
}

// headerRequestID returns a request id from the reply headers, for replies
// without a JSON body that carries one.
func headerRequestID(h http.Header) string {
	for _, k := range [...]string{"X-Request-Id", "X-Gs-Request-Id", "Requestid"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// marshalJSON encodes v without HTML escaping, so that descriptions such as
// "<p>text</p>" go out as written.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Ptr returns a pointer to v, for the optional numeric fields
// (MetricAssociation.BaseValue, TemplateRecord.DueDays, ...).
func Ptr[T any](v T) *T { return &v }
