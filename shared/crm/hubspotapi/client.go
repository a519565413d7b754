package hubspotapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/crm"
)

const crmName = "hubspot"

// DefaultBaseURL is HubSpot's API.
const DefaultBaseURL = "https://api.hubapi.com"

// Published limits (private apps and OAuth apps per account; the usage
// guidelines list higher ones for paid tiers).
const (
	DefaultBurstPer10s      = 100
	DefaultDailyLimit       = 250_000
	SearchRequestsPerSecond = 4
	// MaxBatch is the most ids one batch read takes.
	MaxBatch = 100
	// SearchCap is the most results one search returns, over all its pages.
	SearchCap = 10_000
)

// Options configure a Client; zero values take the defaults.
type Options struct {
	BaseURL     string
	AccessToken string
	HTTPClient  *http.Client
	Now         func() time.Time
	// BurstPer10s and DailyLimit are the account's limits.
	BurstPer10s int
	DailyLimit  int
	// Sleep replaces the limiter's timer (tests).
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxWait bounds a wait for a full window (crm.DefaultMaxWait when 0).
	MaxWait time.Duration
}

// Client calls HubSpot's CRM API. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	token  string
	http   *http.Client
	now    func() time.Time
	limit  *crm.Limiter // every call
	search *crm.Limiter // searches, on top
}

// New builds a client.
func New(o Options, optFns ...func(*Options)) (*Client, error) {
	for _, fn := range optFns {
		fn(&o)
	}
	conn, err := crm.NewConn(crmName, o.BaseURL, DefaultBaseURL, o.HTTPClient, o.Now)
	if err != nil {
		return nil, err
	}
	o.Now = conn.Now
	if strings.TrimSpace(o.AccessToken) == "" {
		return nil, fmt.Errorf("hubspotapi: %w: accessToken is required", crm.ErrCredentials)
	}
	if o.BurstPer10s <= 0 {
		o.BurstPer10s = DefaultBurstPer10s
	}
	if o.DailyLimit <= 0 {
		o.DailyLimit = DefaultDailyLimit
	}
	return &Client{
		base: conn.Base, token: strings.TrimSpace(o.AccessToken), http: conn.HTTP, now: conn.Now,
		limit: &crm.Limiter{CRM: crmName, Now: o.Now, Sleep: o.Sleep, MaxWait: o.MaxWait, Windows: []crm.Window{
			{Name: "burst", Length: 10 * time.Second, Limit: o.BurstPer10s},
			{Name: "daily", Length: 24 * time.Hour, Limit: o.DailyLimit},
		}},
		search: &crm.Limiter{CRM: crmName, Now: o.Now, Sleep: o.Sleep, MaxWait: o.MaxWait, Windows: []crm.Window{
			{Name: "search", Length: time.Second, Limit: SearchRequestsPerSecond},
		}},
	}, nil
}

// post sends body as JSON to path and decodes a 200 or 207 reply into out.
func (c *Client) post(ctx context.Context, path string, body, out any, searching bool) error {
	if searching {
		if err := c.search.Take(ctx, 1); err != nil {
			return err
		}
	}
	if err := c.limit.Take(ctx, 1); err != nil {
		return err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("hubspot API: %s: %w", path, redact(err, c.token))
	}
	defer resp.Body.Close()
	reply, err := crm.ReadBody(resp)
	if err != nil {
		return fmt.Errorf("hubspot API: %s: %w", path, err)
	}
	c.observe(resp.Header)
	if err := c.checkResponse(resp, reply, searching); err != nil {
		return err
	}
	return crm.Decode(crmName, reply, out)
}

// observe feeds the limiter what HubSpot says is left.
func (c *Client) observe(h http.Header) {
	if n, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Remaining")); err == nil {
		c.limit.Observe("burst", n)
	}
	if n, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Daily-Remaining")); err == nil {
		c.limit.Observe("daily", n)
	}
}

// apiErrorBody is HubSpot's error reply.
type apiErrorBody struct {
	Message    string `json:"message"`
	Category   string `json:"category"`
	ErrorType  string `json:"errorType"`
	PolicyName string `json:"policyName"`
}

// checkResponse is the one table from a HubSpot reply to an error:
//
//	200, 207         → nil (207: some ids were not found; the caller reads errors[])
//	429              → *crm.RateLimitError{Throttled} with Retry-After, else the
//	                   window of the policy named (daily: to the next UTC day;
//	                   search: 1 s; otherwise 10 s); the limiter pauses for it
//	anything else    → *crm.APIError with HubSpot's category and message
func (c *Client) checkResponse(resp *http.Response, body []byte, searching bool) error {
	switch resp.StatusCode {
	case http.StatusOK, http.StatusMultiStatus:
		return nil
	}
	var e apiErrorBody
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode == http.StatusTooManyRequests {
		now := c.now()
		rl := &crm.RateLimitError{CRM: crmName, Throttled: true, RetryAfter: crm.ParseRetryAfter(resp.Header.Get("Retry-After"), now)}
		policy := strings.ToUpper(e.PolicyName)
		switch {
		case strings.Contains(policy, "DAILY"):
			rl.Daily = true
			if rl.RetryAfter == 0 {
				rl.RetryAfter = now.Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now)
			}
		case rl.RetryAfter == 0 && (searching || strings.Contains(policy, "SECONDLY")):
			rl.RetryAfter = time.Second
		case rl.RetryAfter == 0:
			rl.RetryAfter = 10 * time.Second
		}
		if searching && !rl.Daily {
			c.search.Pause(rl.RetryAfter)
		} else {
			c.limit.Pause(rl.RetryAfter)
		}
		return rl
	}
	code := e.Category
	if code == "" {
		code = e.ErrorType
	}
	return &crm.APIError{CRM: crmName, Status: resp.StatusCode, Code: crm.Message(code), Message: crm.Message(redactString(e.Message, c.token))}
}

// redact removes the token from a transport error's text (a proxy or
// library could echo a header).
func redact(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %s", ue.Op, ue.URL, redactString(ue.Err.Error(), token))
	}
	return errors.New(redactString(err.Error(), token))
}

func redactString(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[redacted]")
}
