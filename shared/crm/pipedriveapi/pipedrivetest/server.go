package pipedrivetest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/goalrelay/goalrelay/shared/crm/crmtest"
	"time"
)

// Options configure the fake; zero values take the defaults.
type Options struct {
	// APIToken is the token it accepts (random when empty).
	APIToken string
	// BurstPer2s (20) and DailyTokens (30,000) are its limits; negative:
	// unlimited.
	BurstPer2s  int
	DailyTokens int
	// ReturnDeleted returns deleted deals with is_deleted true.
	ReturnDeleted bool
	Now           func() time.Time
}

// Deal is a deal of the fake company.
type Deal struct {
	ID                int64
	Title, Status     string // Status: open (default), won, lost
	OrgID             int64
	ExpectedCloseDate string
	// Updated is update_time; the clock's now when zero.
	Updated time.Time
}

// Request is one logged request.
type Request struct {
	Path   string
	Query  string
	Status int
}

// Server is the fake.
type Server struct {
	crmtest.Listener // URL, Listen(addr), Close
	APIToken         string

	o Options

	mu       sync.Mutex
	deals    map[int64]*Deal
	deleted  map[int64]bool
	orgs     map[int64]string
	log      []Request
	throttle []time.Duration
	burst    struct {
		start time.Time
		n     int
	}
	day struct {
		start time.Time
		n     int
	}
}

// New builds a server; Start or Listen serves it.
func New(o Options, optFns ...func(*Options)) *Server {
	for _, fn := range optFns {
		fn(&o)
	}
	if o.APIToken == "" {
		var b [20]byte
		_, _ = rand.Read(b[:])
		o.APIToken = hex.EncodeToString(b[:])
	}
	if o.BurstPer2s == 0 {
		o.BurstPer2s = 20
	}
	if o.DailyTokens == 0 {
		o.DailyTokens = 30_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{o: o, APIToken: o.APIToken, deals: map[int64]*Deal{}, deleted: map[int64]bool{}, orgs: map[int64]string{}}
}

// NewServer starts a server on 127.0.0.1, closed by t.Cleanup.
func NewServer(t testing.TB, optFns ...func(*Options)) *Server {
	t.Helper()
	s := New(Options{}, optFns...)
	crmtest.Start(t, &s.Listener, s)
	return s
}

// Start serves on a free loopback port until Close.
func (s *Server) Start() error { return s.Listener.Listen("127.0.0.1:0", s) }

// Listen serves on addr until Close.
func (s *Server) Listen(addr string) error { return s.Listener.Listen(addr, s) }

// PutDeal creates or replaces a deal (and restores a deleted one).
func (s *Server) PutDeal(d Deal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.Updated.IsZero() {
		d.Updated = s.o.Now()
	}
	if d.Status == "" {
		d.Status = "open"
	}
	s.deals[d.ID] = &d
	delete(s.deleted, d.ID)
}

// DeleteDeal deletes a deal.
func (s *Server) DeleteDeal(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted[id] = true
}

// PutOrganization creates or renames an organisation.
func (s *Server) PutOrganization(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgs[id] = name
}

// Throttle makes the next n requests answer 429 with Retry-After (whole
// seconds, rounded up; none when 0).
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.throttle = append(s.throttle, retryAfter)
	}
}

// Requests returns the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// tokenCost is each endpoint's cost (the published x-token-cost of the
// list endpoints).
const tokenCost = 10

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	status, body := s.serve(w.Header(), r)
	s.log = append(s.log, Request{Path: r.URL.Path, Query: r.URL.RawQuery, Status: status})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func fail(status int, msg, code string) map[string]any {
	return map[string]any{"success": false, "error": msg, "code": code, "error_info": "Please check developers.pipedrive.com"}
}

func (s *Server) serve(h http.Header, r *http.Request) (int, any) {
	if r.Header.Get("x-api-token") != s.o.APIToken && r.Header.Get("Authorization") != "Bearer "+s.o.APIToken {
		return http.StatusUnauthorized, fail(401, "unauthorized access", "unauthorized")
	}
	if r.URL.Query().Has("api_token") {
		return http.StatusBadRequest, fail(400, "send the token in a header", "bad_request")
	}
	now := s.o.Now()
	if len(s.throttle) > 0 {
		ra := s.throttle[0]
		s.throttle = s.throttle[1:]
		if ra > 0 {
			h.Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		}
		return http.StatusTooManyRequests, fail(429, "Request over limit", "rate_limit")
	}
	if st := now.Truncate(2 * time.Second); !st.Equal(s.burst.start) {
		s.burst.start, s.burst.n = st, 0
	}
	if st := now.Truncate(24 * time.Hour); !st.Equal(s.day.start) {
		s.day.start, s.day.n = st, 0
	}
	h.Set("x-ratelimit-limit", strconv.Itoa(s.o.BurstPer2s))
	h.Set("x-ratelimit-reset", "2")
	if s.o.BurstPer2s > 0 && s.burst.n >= s.o.BurstPer2s || s.o.DailyTokens > 0 && s.day.n+tokenCost > s.o.DailyTokens {
		h.Set("x-ratelimit-remaining", "0")
		return http.StatusTooManyRequests, fail(429, "Request over limit", "rate_limit")
	}
	s.burst.n++
	s.day.n += tokenCost
	h.Set("x-ratelimit-remaining", strconv.Itoa(max(s.o.BurstPer2s-s.burst.n, 0)))
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, fail(405, "method not allowed", "method_not_allowed")
	}
	q := r.URL.Query()
	var ids []int64
	if v := q.Get("ids"); v != "" {
		for _, p := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return http.StatusBadRequest, fail(400, "ids must be integers", "bad_request")
			}
			ids = append(ids, n)
		}
		if len(ids) > 100 {
			return http.StatusBadRequest, fail(400, "at most 100 ids", "bad_request")
		}
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return http.StatusBadRequest, fail(400, "limit must be 1..500", "bad_request")
		}
		limit = n
	}
	switch r.URL.Path {
	case "/api/v2/organizations":
		var data []any
		for _, id := range ids {
			if name, ok := s.orgs[id]; ok {
				data = append(data, map[string]any{"id": id, "name": name, "update_time": now.UTC().Format(time.RFC3339)})
			}
		}
		return http.StatusOK, map[string]any{"success": true, "data": nonNil(data), "additional_data": map[string]any{"next_cursor": nil}}
	case "/api/v2/deals":
		return s.listDeals(q, ids, limit)
	}
	return http.StatusNotFound, fail(404, "not found", "not_found")
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func (s *Server) dealJSON(d *Deal) map[string]any {
	m := map[string]any{
		"id": d.ID, "title": d.Title, "status": d.Status, "expected_close_date": nil,
		"update_time": d.Updated.UTC().Format(time.RFC3339), "add_time": d.Updated.UTC().Format(time.RFC3339),
		"org_id": nil, "is_deleted": false, "value": 0, "currency": "USD",
	}
	if d.OrgID != 0 {
		m["org_id"] = d.OrgID
	}
	if d.ExpectedCloseDate != "" {
		m["expected_close_date"] = d.ExpectedCloseDate
	}
	if s.deleted[d.ID] {
		m["is_deleted"] = true
	}
	return m
}

func (s *Server) listDeals(q map[string][]string, ids []int64, limit int) (int, any) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var since, until time.Time
	for k, t := range map[string]*time.Time{"updated_since": &since, "updated_until": &until} {
		if v := get(k); v != "" {
			p, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return http.StatusBadRequest, fail(400, k+" must be RFC 3339", "bad_request")
			}
			*t = p
		}
	}
	var hits []*Deal
	for id, d := range s.deals {
		if s.deleted[id] && !s.o.ReturnDeleted {
			continue
		}
		if len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		if !since.IsZero() && d.Updated.Before(since) || !until.IsZero() && !d.Updated.Before(until) {
			continue
		}
		hits = append(hits, d)
	}
	slices.SortFunc(hits, func(a, b *Deal) int {
		if get("sort_by") == "update_time" {
			if c := a.Updated.Compare(b.Updated); c != 0 {
				if get("sort_direction") == "desc" {
					return -c
				}
				return c
			}
		}
		return int(a.ID - b.ID)
	})
	offset := 0
	if c := get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return http.StatusBadRequest, fail(400, "invalid cursor", "bad_request")
		}
		offset = n
	}
	var data []any
	for i := offset; i < len(hits) && i < offset+limit; i++ {
		data = append(data, s.dealJSON(hits[i]))
	}
	var next any
	if offset+limit < len(hits) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + limit)))
	}
	return http.StatusOK, map[string]any{"success": true, "data": nonNil(data), "additional_data": map[string]any{"next_cursor": next}}
}
