package hubspottest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	// Token is the access token it accepts; random when empty.
	Token string
	// BurstPer10s and SearchPerSecond are the limits it enforces (100 and
	// 4 when 0; negative: unlimited). DailyLimit is the daily cap it
	// reports and enforces (250,000 when 0).
	BurstPer10s     int
	SearchPerSecond int
	DailyLimit      int
	Now             func() time.Time
}

// Deal is a deal of the fake account.
type Deal struct {
	ID         string
	Properties map[string]string
	// CompanyID is its primary company ("" for none); OtherCompanyIDs are
	// further associated companies.
	CompanyID       string
	OtherCompanyIDs []string
	// Modified is hs_lastmodifieddate; the clock's now when zero.
	Modified time.Time
}

// Request is one logged request.
type Request struct {
	Method, Path string
	Status       int
	// IDs is the number of inputs of a batch request.
	IDs int
}

// Server is the fake.
type Server struct {
	crmtest.Listener // URL, Listen(addr), Close
	Token            string

	o Options

	mu        sync.Mutex
	deals     map[string]*Deal
	archived  map[string]bool
	companies map[string]string
	log       []Request
	throttle  []time.Duration // injected 429s, each with its Retry-After
	burst     window
	search    window
	daily     window
}

type window struct {
	start time.Time
	n     int
}

func (w *window) take(now time.Time, length time.Duration, limit int) (ok bool, left int) {
	if s := now.Truncate(length); !s.Equal(w.start) {
		w.start, w.n = s, 0
	}
	if limit < 0 {
		return true, 1 << 30
	}
	if w.n >= limit {
		return false, 0
	}
	w.n++
	return true, limit - w.n
}

// New builds a server; Start or Listen serves it.
func New(o Options, optFns ...func(*Options)) *Server {
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Token == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		o.Token = "pat-fake-" + hex.EncodeToString(b[:])
	}
	if o.BurstPer10s == 0 {
		o.BurstPer10s = 100
	}
	if o.SearchPerSecond == 0 {
		o.SearchPerSecond = 4
	}
	if o.DailyLimit == 0 {
		o.DailyLimit = 250_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{o: o, Token: o.Token, deals: map[string]*Deal{}, archived: map[string]bool{}, companies: map[string]string{}}
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

// PutDeal creates or replaces a deal (and restores an archived one).
func (s *Server) PutDeal(d Deal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.Modified.IsZero() {
		d.Modified = s.o.Now()
	}
	d.Properties = mapsClone(d.Properties)
	s.deals[d.ID] = &d
	delete(s.archived, d.ID)
}

func mapsClone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// DeleteDeal archives a deal, as deleting it in HubSpot does.
func (s *Server) DeleteDeal(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.archived[id] = true
}

// PutCompany creates or renames a company.
func (s *Server) PutCompany(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.companies[id] = name
}

// Throttle makes the next n requests answer 429 with Retry-After (in whole
// seconds, rounded up; none when retryAfter is 0).
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

// Count is the number of logged requests whose path contains substr and
// whose status is 200 or 207 (all when any is true).
func (s *Server) Count(substr string, any bool) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.Contains(r.Path, substr) && (any || r.Status == 200 || r.Status == 207) {
			n++
		}
	}
	return n
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entry := Request{Method: r.Method, Path: r.URL.Path}
	status, body, header := s.serve(r, &entry)
	entry.Status = status
	s.log = append(s.log, entry)
	for k, v := range header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func errBody(status int, category, msg string) map[string]any {
	return map[string]any{"status": "error", "message": msg, "category": category, "correlationId": "00000000-fake"}
}

// serve answers one request; s.mu is held.
func (s *Server) serve(r *http.Request, entry *Request) (int, any, map[string]string) {
	h := map[string]string{}
	if r.Header.Get("Authorization") != "Bearer "+s.o.Token {
		return http.StatusUnauthorized, errBody(401, "INVALID_AUTHENTICATION", "Authentication credentials not found."), h
	}
	now := s.o.Now()
	if len(s.throttle) > 0 {
		ra := s.throttle[0]
		s.throttle = s.throttle[1:]
		if ra > 0 {
			h["Retry-After"] = strconv.Itoa(int((ra + time.Second - 1) / time.Second))
		}
		b := errBody(429, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.")
		b["errorType"], b["policyName"] = "RATE_LIMIT", "TEN_SECONDLY_ROLLING"
		return http.StatusTooManyRequests, b, h
	}
	searching := strings.HasSuffix(r.URL.Path, "/search")
	if searching {
		if ok, _ := s.search.take(now, time.Second, s.o.SearchPerSecond); !ok {
			b := errBody(429, "RATE_LIMITS", "You have reached your secondly limit.")
			b["errorType"], b["policyName"] = "RATE_LIMIT", "SECONDLY"
			return http.StatusTooManyRequests, b, h
		}
	}
	ok, left := s.burst.take(now, 10*time.Second, s.o.BurstPer10s)
	dok, dleft := s.daily.take(now, 24*time.Hour, s.o.DailyLimit)
	h["X-HubSpot-RateLimit-Max"] = strconv.Itoa(s.o.BurstPer10s)
	h["X-HubSpot-RateLimit-Interval-Milliseconds"] = "10000"
	h["X-HubSpot-RateLimit-Remaining"] = strconv.Itoa(max(left, 0))
	h["X-HubSpot-RateLimit-Daily"] = strconv.Itoa(s.o.DailyLimit)
	h["X-HubSpot-RateLimit-Daily-Remaining"] = strconv.Itoa(max(dleft, 0))
	if !dok {
		b := errBody(429, "RATE_LIMITS", "You have reached your daily limit.")
		b["errorType"], b["policyName"] = "RATE_LIMIT", "DAILY"
		return http.StatusTooManyRequests, b, h
	}
	if !ok {
		b := errBody(429, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.")
		b["errorType"], b["policyName"] = "RATE_LIMIT", "TEN_SECONDLY_ROLLING"
		return http.StatusTooManyRequests, b, h
	}
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, errBody(405, "VALIDATION_ERROR", "method not allowed"), h
	}
	var req struct {
		Properties []string `json:"properties"`
		Inputs     []struct {
			ID string `json:"id"`
		} `json:"inputs"`
		FilterGroups []struct {
			Filters []struct {
				PropertyName string `json:"propertyName"`
				Operator     string `json:"operator"`
				Value        string `json:"value"`
			} `json:"filters"`
		} `json:"filterGroups"`
		Sorts []struct {
			PropertyName string `json:"propertyName"`
			Direction    string `json:"direction"`
		} `json:"sorts"`
		Limit int    `json:"limit"`
		After string `json:"after"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&req); err != nil {
		return http.StatusBadRequest, errBody(400, "VALIDATION_ERROR", "Invalid input JSON"), h
	}
	entry.IDs = len(req.Inputs)
	if len(req.Inputs) > 100 {
		return http.StatusBadRequest, errBody(400, "VALIDATION_ERROR", "Batch input limit is 100"), h
	}
	ids := make([]string, len(req.Inputs))
	for i, in := range req.Inputs {
		ids[i] = in.ID
	}
	switch r.URL.Path {
	case "/crm/v3/objects/deals/batch/read":
		st, b := s.batch(ids, func(id string) (map[string]any, bool) {
			d, ok := s.deals[id]
			if !ok || s.archived[id] {
				return nil, false
			}
			return s.dealJSON(d, req.Properties), true
		})
		return st, b, h
	case "/crm/v3/objects/companies/batch/read":
		st, b := s.batch(ids, func(id string) (map[string]any, bool) {
			name, ok := s.companies[id]
			if !ok {
				return nil, false
			}
			props := map[string]any{"hs_object_id": id}
			if slices.Contains(req.Properties, "name") {
				props["name"] = name
			}
			return map[string]any{"id": id, "properties": props, "archived": false}, true
		})
		return st, b, h
	case "/crm/v4/associations/deals/companies/batch/read":
		var results []any
		for _, id := range ids {
			d, ok := s.deals[id]
			if !ok || s.archived[id] || d.CompanyID == "" && len(d.OtherCompanyIDs) == 0 {
				continue
			}
			var to []any
			for _, c := range d.OtherCompanyIDs {
				n, _ := strconv.ParseInt(c, 10, 64)
				to = append(to, map[string]any{"toObjectId": n, "associationTypes": []any{map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 341, "label": nil}}})
			}
			if d.CompanyID != "" {
				n, _ := strconv.ParseInt(d.CompanyID, 10, 64)
				to = append(to, map[string]any{"toObjectId": n, "associationTypes": []any{
					map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"},
					map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 341, "label": nil}}})
			}
			results = append(results, map[string]any{"from": map[string]any{"id": id}, "to": to})
		}
		return http.StatusOK, map[string]any{"status": "COMPLETE", "results": nonNil(results)}, h
	case "/crm/v3/objects/deals/search":
		return s.searchDeals(req.FilterGroups, req.Properties, req.Limit, req.After, h)
	}
	return http.StatusNotFound, errBody(404, "OBJECT_NOT_FOUND", "no route"), h
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func (s *Server) batch(ids []string, get func(string) (map[string]any, bool)) (int, any) {
	var results []any
	var missing []string
	for _, id := range ids {
		if o, ok := get(id); ok {
			results = append(results, o)
		} else {
			missing = append(missing, id)
		}
	}
	body := map[string]any{"status": "COMPLETE", "results": nonNil(results), "startedAt": "2026-01-01T00:00:00Z", "completedAt": "2026-01-01T00:00:00Z"}
	if len(missing) == 0 {
		return http.StatusOK, body
	}
	body["numErrors"] = 1
	body["errors"] = []any{map[string]any{"status": "error", "category": "OBJECT_NOT_FOUND",
		"message": "Could not get some DEAL objects, they may be deleted or not exist. Check that ids are valid.",
		"context": map[string]any{"ids": missing}}}
	return http.StatusMultiStatus, body
}

func (s *Server) dealJSON(d *Deal, props []string) map[string]any {
	p := map[string]any{"hs_object_id": d.ID, "hs_lastmodifieddate": d.Modified.UTC().Format("2006-01-02T15:04:05.000Z")}
	for _, name := range props {
		if v, ok := d.Properties[name]; ok {
			p[name] = v
		} else if _, set := p[name]; !set && name != "company_name" {
			p[name] = nil // HubSpot returns asked-for properties without a value as null
		}
	}
	return map[string]any{"id": d.ID, "properties": p, "archived": false,
		"createdAt": d.Modified.UTC().Format(time.RFC3339Nano), "updatedAt": d.Modified.UTC().Format(time.RFC3339Nano)}
}

func (s *Server) searchDeals(groups []struct {
	Filters []struct {
		PropertyName string `json:"propertyName"`
		Operator     string `json:"operator"`
		Value        string `json:"value"`
	} `json:"filters"`
}, props []string, limit int, after string, h map[string]string) (int, any, map[string]string) {
	if limit <= 0 {
		limit = 10
	}
	if limit > 200 {
		return http.StatusBadRequest, errBody(400, "VALIDATION_ERROR", "limit must be at most 200"), h
	}
	offset := 0
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			return http.StatusBadRequest, errBody(400, "VALIDATION_ERROR", "after is not valid"), h
		}
		offset = n
	}
	if offset+limit > 10_000 {
		return http.StatusBadRequest, errBody(400, "VALIDATION_ERROR", "Paging beyond 10,000 results is not supported"), h
	}
	match := func(d *Deal) bool {
		if len(groups) == 0 {
			return true
		}
		for _, g := range groups {
			all := true
			for _, f := range g.Filters {
				if f.PropertyName != "hs_lastmodifieddate" {
					all = false
					continue
				}
				v, err := parseTime(f.Value)
				if err != nil {
					all = false
					continue
				}
				m := d.Modified.UnixMilli()
				switch f.Operator {
				case "GTE":
					all = all && m >= v
				case "GT":
					all = all && m > v
				case "LT":
					all = all && m < v
				case "LTE":
					all = all && m <= v
				case "EQ":
					all = all && m == v
				default:
					all = false
				}
			}
			if all {
				return true
			}
		}
		return false
	}
	var hits []*Deal
	for id, d := range s.deals {
		if !s.archived[id] && match(d) {
			hits = append(hits, d)
		}
	}
	slices.SortFunc(hits, func(a, b *Deal) int {
		if c := a.Modified.Compare(b.Modified); c != 0 {
			return c
		}
		if len(a.ID) != len(b.ID) {
			return len(a.ID) - len(b.ID)
		}
		return strings.Compare(a.ID, b.ID)
	})
	body := map[string]any{"total": len(hits)}
	var results []any
	for i := offset; i < len(hits) && i < offset+limit; i++ {
		results = append(results, s.dealJSON(hits[i], props))
	}
	body["results"] = nonNil(results)
	if offset+limit < len(hits) {
		body["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(offset + limit), "link": "?after=" + strconv.Itoa(offset+limit)}}
	}
	return http.StatusOK, body, h
}

// parseTime reads a filter value: epoch milliseconds or RFC 3339.
func parseTime(v string) (int64, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, fmt.Errorf("not a time: %q", v)
	}
	return t.UnixMilli(), nil
}
