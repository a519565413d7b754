package pipedriveapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/crm"
)

const crmName = "pipedrive"

// DefaultBaseURL is Pipedrive's API (company domains also serve it).
const DefaultBaseURL = "https://api.pipedrive.com"

// Limits and token costs. The costs are the API's published x-token-cost
// of the list endpoints.
const (
	DefaultBurstPer2s  = 20
	DefaultDailyTokens = 30_000
	DealListCost       = 10
	OrgListCost        = 10
	// MaxIDs is the most ids one list call takes.
	MaxIDs = 100
	// PageSize is the page size of the updated-deals listing.
	PageSize = 500
)

// Options configure a Client; zero values take the defaults.
type Options struct {
	BaseURL string
	// APIToken (personal token) or AccessToken (OAuth); one is required.
	APIToken    string
	AccessToken string
	HTTPClient  *http.Client
	Now         func() time.Time
	BurstPer2s  int
	DailyTokens int
	Sleep       func(ctx context.Context, d time.Duration) error
	MaxWait     time.Duration
}

// Client calls Pipedrive's API v2. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	header string // the credential header's name
	value  string // and value
	secret string // the token, for redaction
	http   *http.Client
	now    func() time.Time
	limit  *crm.Limiter
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
	c := &Client{base: conn.Base, http: conn.HTTP, now: conn.Now}
	switch api, oauth := strings.TrimSpace(o.APIToken), strings.TrimSpace(o.AccessToken); {
	case api != "":
		c.header, c.value, c.secret = "x-api-token", api, api
	case oauth != "":
		c.header, c.value, c.secret = "Authorization", "Bearer "+oauth, oauth
	default:
		return nil, fmt.Errorf("pipedriveapi: %w: apiToken or accessToken is required", crm.ErrCredentials)
	}
	if o.BurstPer2s <= 0 {
		o.BurstPer2s = DefaultBurstPer2s
	}
	if o.DailyTokens <= 0 {
		o.DailyTokens = DefaultDailyTokens
	}
	c.limit = &crm.Limiter{CRM: crmName, Now: c.now, Sleep: o.Sleep, MaxWait: o.MaxWait, Windows: []crm.Window{
		{Name: "burst", Length: 2 * time.Second, Limit: o.BurstPer2s},
		{Name: "daily", Length: 24 * time.Hour, Limit: o.DailyTokens, Tokens: true},
	}}
	return c, nil
}

// get calls path with query, spending cost tokens, and decodes the reply.
func (c *Client) get(ctx context.Context, path string, q url.Values, cost int, out any) error {
	if err := c.limit.Take(ctx, cost); err != nil {
		return err
	}
	u := c.base.String() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set(c.header, c.value)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("pipedrive API: %s: %s", path, strings.ReplaceAll(err.Error(), c.secret, "[redacted]"))
	}
	defer resp.Body.Close()
	body, err := crm.ReadBody(resp)
	if err != nil {
		return fmt.Errorf("pipedrive API: %s: %w", path, err)
	}
	if n, err := strconv.Atoi(resp.Header.Get("x-ratelimit-remaining")); err == nil {
		c.limit.Observe("burst", n)
	}
	if err := c.checkResponse(resp, body); err != nil {
		return err
	}
	return crm.Decode(crmName, body, out)
}

type errorBody struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
	Code    string `json:"code"`
}

// checkResponse is the one table from a Pipedrive reply to an error:
//
//	200              → nil
//	429              → *crm.RateLimitError{Throttled} with Retry-After, else
//	                   x-ratelimit-reset (seconds), else 2 s; the limiter pauses
//	anything else    → *crm.APIError with Pipedrive's error and code
func (c *Client) checkResponse(resp *http.Response, body []byte) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		d := crm.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		if d == 0 {
			d = crm.ParseRetryAfter(resp.Header.Get("x-ratelimit-reset"), c.now())
		}
		if d == 0 {
			d = 2 * time.Second
		}
		c.limit.Pause(d)
		return &crm.RateLimitError{CRM: crmName, Throttled: true, RetryAfter: d}
	}
	var e errorBody
	_ = json.Unmarshal(body, &e)
	return &crm.APIError{CRM: crmName, Status: resp.StatusCode, Code: crm.Message(e.Code),
		Message: crm.Message(strings.ReplaceAll(e.Error, c.secret, "[redacted]"))}
}

// listReply is a v2 list page.
type listReply struct {
	Success        bool             `json:"success"`
	Data           []map[string]any `json:"data"`
	AdditionalData struct {
		NextCursor *string `json:"next_cursor"`
	} `json:"additional_data"`
}

// Page is one page of a listing.
type Page struct {
	Records    []map[string]any
	NextCursor string
}

// Deals lists deals by id (at most MaxIDs), as Pipedrive returns them.
func (c *Client) Deals(ctx context.Context, ids []string) ([]map[string]any, error) {
	return c.byIDs(ctx, "/api/v2/deals", ids, DealListCost)
}

// Organizations lists organisations by id (at most MaxIDs).
func (c *Client) Organizations(ctx context.Context, ids []string) ([]map[string]any, error) {
	return c.byIDs(ctx, "/api/v2/organizations", ids, OrgListCost)
}

func (c *Client) byIDs(ctx context.Context, path string, ids []string, cost int) ([]map[string]any, error) {
	if len(ids) > MaxIDs {
		return nil, fmt.Errorf("pipedriveapi: %d ids in one call; at most %d", len(ids), MaxIDs)
	}
	var r listReply
	q := url.Values{"ids": {strings.Join(ids, ",")}, "limit": {strconv.Itoa(MaxIDs)}}
	if err := c.get(ctx, path, q, cost, &r); err != nil {
		return nil, err
	}
	return r.Data, nil
}

// UpdatedDeals lists a page of the deals updated in [since, until),
// oldest update first, from cursor ("" for the first page).
func (c *Client) UpdatedDeals(ctx context.Context, since, until time.Time, cursor string) (Page, error) {
	q := url.Values{
		"updated_since":  {since.UTC().Format(time.RFC3339)},
		"updated_until":  {until.UTC().Format(time.RFC3339)},
		"sort_by":        {"update_time"},
		"sort_direction": {"asc"},
		"limit":          {strconv.Itoa(PageSize)},
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var r listReply
	if err := c.get(ctx, "/api/v2/deals", q, DealListCost, &r); err != nil {
		return Page{}, err
	}
	p := Page{Records: r.Data}
	if r.AdditionalData.NextCursor != nil {
		p.NextCursor = *r.AdditionalData.NextCursor
	}
	return p, nil
}
