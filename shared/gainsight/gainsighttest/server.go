package gainsighttest

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of Options.
const (
	DefaultCallsPerMinute = 100
	DefaultCallsPerDay    = 50000
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxRequestLog  = 10000
)

// Endpoint names, as used by Stats.ByEndpoint and RequestLog.Endpoint.
const (
	EndpointGoalCreate     = "goal.create"
	EndpointGoalUpdate     = "goal.update"
	EndpointGoalFetch      = "goal.fetch"
	EndpointTemplateCreate = "template.create"
	EndpointTemplateUpdate = "template.update"
	EndpointTemplateDelete = "template.delete"
	EndpointTemplateFetch  = "template.fetch"
	EndpointMetricCreate   = "metric.create"
	EndpointMetricUpdate   = "metric.update"
	EndpointMetricDelete   = "metric.delete"
	EndpointPicklist       = "picklist"
)

// Options configure a Server. Zero values take the defaults: a random
// access key, the real clock, Gainsight's default quota, no faults.
type Options struct {
	// AccessKey is the key the server accepts in the "accesskey" header.
	// Empty: a random key (read it back from Server.AccessKey).
	AccessKey string
	// Now is the clock for quota windows and record timestamps. Nil: time.Now.
	Now func() time.Time
	// CallsPerMinute and CallsPerDay are the quota per window. Zero means the
	// Gainsight default (100 and 50,000); a negative value means unlimited.
	CallsPerMinute int
	CallsPerDay    int
	// MinuteWindow and DayWindow are the lengths of the two fixed windows
	// (default 1 minute and 24 hours); shorten them for scaled-down tests.
	MinuteWindow time.Duration
	DayWindow    time.Duration
	// FaultRate is the probability (0..1) that a counted call fails with
	// RandomFault (default: a 503) instead of being served.
	FaultRate   float64
	RandomFault Fault
	// Latency is added to every routed call (honouring the request context).
	Latency time.Duration
	// InboundLatency delays every request before the server reads its
	// clock and counts it against the quota: the request's trip to
	// Gainsight, during which a call sent at the end of a window arrives in
	// the next one. LatencyJitter adds a uniform random [0, LatencyJitter)
	// to each of InboundLatency and Latency, per request.
	InboundLatency time.Duration
	LatencyJitter  time.Duration
	// ClockOffset sets the server's clock ahead of Now (negative: behind):
	// quota windows, Date headers, record timestamps and the request log
	// all read Now() + ClockOffset, as a tenant whose clock differs from
	// the caller's.
	ClockOffset time.Duration
	// DateResolution is the resolution of the Date header: zero means
	// whole seconds (HTTP-date, what every server sends). Scaled-down
	// quota benchmarks shorten it with the windows (a 1 s "minute" gets a
	// 1/60 s Date); below a second the header carries milliseconds after
	// the seconds ("10:00:59.750 GMT", which http.ParseTime reads).
	DateResolution time.Duration
	// Seed seeds the generator of Gsids, request ids and random faults, so a
	// run is reproducible. Zero means seed 1.
	Seed uint64
	// MaxBodyBytes bounds request bodies (413 past it). Zero: 1 MiB.
	MaxBodyBytes int64
	// MaxRequestLog bounds the request log; the oldest entries are dropped.
	// Zero: 10,000.
	MaxRequestLog int
	// TemplateFetchBare makes template fetch answer the bare
	// {"recordList": [...]} of the spec's sample instead of the envelope.
	TemplateFetchBare bool
	// Empty starts the tenant without seed data (statuses and goal types
	// "Default"/"New" are still created, as every tenant has them).
	Empty bool

	// The options below choose between the readings of an ambiguous spec
	// (one reading at a time, so that tests prove the client against each)
	// or make the simulator more lenient than the spec. Their zero values
	// are the strict, literal readings.

	// MetricPaths selects where metric create, update and delete are
	// served: MetricPathsNoV1 (the default, the spec's literal
	// "/csgoal/external/metric/" and "/csgoal/external/metrics") or
	// MetricPathsV1 (the same under /v1, as every other endpoint). A
	// request on the other variant gets the 404 of an unknown path.
	MetricPaths MetricPaths
	// TemplateUpdateMethod is the method of template update on
	// /v1/csgoal/external/template: http.MethodPut (the default, the
	// method the URL line "Put /v1/csgoal/external/template" names) or
	// http.MethodPost (the "Method POST" line; a POST record with a Gsid
	// then updates, one without creates). With PUT, a PUT is refused with
	// 405 only when POST is chosen, and a POST record carrying a Gsid is a
	// create that fails ("Invalid Gsid"). Other values panic.
	TemplateUpdateMethod string
	// AcceptBothVariants is LENIENT: it serves both metric path variants and
	// both template update methods at once. No test of the client should
	// need it; it exists for hand-run experiments.
	AcceptBothVariants bool
	// RateLimitNoRetryAfter answers 429 without a Retry-After header, as a
	// tenant whose day another integration spent might; the default sends
	// Retry-After with the seconds until the binding window ends.
	RateLimitNoRetryAfter bool
	// LenientUpdate is LENIENT: a goal update whose record lacks Name, or
	// lacks both StatusName and StatusId, is accepted and keeps the stored
	// values. By default it is refused (the spec: Name "cannot be left
	// empty", StatusName "need to be filled with relevant status").
	LenientUpdate bool
	// AcceptGoalTypeName is LENIENT: goal create and update resolve a
	// GoalTypeName to its GoalTypeId. The spec documents GoalTypeName for
	// templates only and GoalTypeId for goals, so by default GoalTypeName in
	// a goal record is an unknown field ("Invalid fields in request -
	// GoalTypeName"). Templates always accept GoalTypeName.
	AcceptGoalTypeName bool
	// CustomFields are the custom goal fields (…__gc) the tenant defines;
	// nil means DefaultCustomFields(). Any other …__gc name is refused in
	// fetch select and where and in create and update records. An empty,
	// non-nil slice defines none.
	CustomFields []string
	// PicklistDetails is LENIENT (a guess): the picklist fills
	// childPicklistIds ({"GOAL_STATUS": [status Gsids]}), childPicklists
	// and metrics (the metrics of the returned goal types, each with
	// goalTypeIds) when includeChildPicklist and includeMetrics ask for
	// them. The spec never shows those members filled: by default every
	// entry has "childPicklistIds": {}, and "childPicklists" is [] and
	// "metrics" null, exactly as in its sample reply.
	PicklistDetails bool
	// ValidationErrors selects how validation failures are answered:
	// ErrorsAsSamples (the default) answers an invalid field or status name
	// with the HTTP 500 CSGoalException bodies of the spec's samples;
	// ErrorsAsTable answers them with the error table's HTTP 400 envelopes,
	// 8009 INVALID_FIELD (unknown fields in select, where or a record) and
	// 8010 INVALID_STATUS_NAME.
	ValidationErrors ValidationErrors
}

// MetricPaths is where the metric endpoints are served (Options.MetricPaths).
type MetricPaths int

const (
	// MetricPathsNoV1 serves POST and PUT /csgoal/external/metric/ and
	// DELETE /csgoal/external/metrics, as the spec writes them.
	MetricPathsNoV1 MetricPaths = iota
	// MetricPathsV1 serves the same paths under /v1.
	MetricPathsV1
)

// String names the variant.
func (m MetricPaths) String() string {
	if m == MetricPathsV1 {
		return "v1"
	}
	return "no-v1"
}

// ValidationErrors is the shape of validation failures
// (Options.ValidationErrors).
type ValidationErrors int

const (
	// ErrorsAsSamples answers HTTP 500 CSGoalException bodies, as the
	// spec's samples do.
	ErrorsAsSamples ValidationErrors = iota
	// ErrorsAsTable answers HTTP 400 envelopes with the error table's codes
	// 8009 and 8010.
	ErrorsAsTable
)

// DefaultCustomFields are the custom goal fields a tenant defines unless
// Options.CustomFields says otherwise: goalrelay's external-id field
// goalrelay_external_id__gc and crm_stage__gc (used by package apply and
// the mappings), and cf_picklist__gc, cust_string_value__gc and
// comp_lookup_gsid__gc (used by the spec's samples).
func DefaultCustomFields() []string {
	return []string{"goalrelay_external_id__gc", "crm_stage__gc", "cf_picklist__gc", "cust_string_value__gc", "comp_lookup_gsid__gc"}
}

// Server is an in-memory Gainsight tenant speaking the Customer Goals API.
// All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port, no trailing slash, no
	// /v1) once started.
	URL string
	// AccessKey is the key the server accepts.
	AccessKey string

	o        Options
	listener net.Listener
	srv      *http.Server
	client   *http.Client
	closing  chan struct{}
	closeOne sync.Once

	mu       sync.Mutex
	rng      *rand.Rand // ids
	faultRng *rand.Rand // random faults
	jitRng   *rand.Rand // latency jitter
	t        *tenant
	reqLog   []RequestLog
	stats    Stats
	minute   window
	day      window
	queued   []Fault
	faultP   float64
	faultF   Fault
	latency  time.Duration
	routes   map[string]map[string]route
}

// NewServer starts a Server on 127.0.0.1 and closes it with t.Cleanup.
// optFns change the Options, e.g.
//
//	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
//		o.CallsPerMinute, o.Now = 2, clock.Now
//	})
func NewServer(t testing.TB, optFns ...func(*Options)) *Server {
	t.Helper()
	s := New(Options{}, optFns...)
	if err := s.Start(); err != nil {
		t.Fatalf("gainsighttest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New builds a Server for o after applying optFns to a copy of it; the
// server is not yet listening: use Start or Listen, or mount Handler
// yourself. Call Close when done.
func New(o Options, optFns ...func(*Options)) *Server {
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if off := o.ClockOffset; off != 0 {
		base := o.Now
		o.Now = func() time.Time { return base().Add(off) }
	}
	if o.CallsPerMinute == 0 {
		o.CallsPerMinute = DefaultCallsPerMinute
	}
	if o.CallsPerDay == 0 {
		o.CallsPerDay = DefaultCallsPerDay
	}
	if o.MinuteWindow <= 0 {
		o.MinuteWindow = time.Minute
	}
	if o.DayWindow <= 0 {
		o.DayWindow = 24 * time.Hour
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxRequestLog <= 0 {
		o.MaxRequestLog = DefaultMaxRequestLog
	}
	switch o.TemplateUpdateMethod {
	case "":
		o.TemplateUpdateMethod = http.MethodPut
	case http.MethodPut, http.MethodPost:
	default:
		panic(fmt.Sprintf("gainsighttest: Options.TemplateUpdateMethod %q is not PUT or POST", o.TemplateUpdateMethod))
	}
	if o.MetricPaths != MetricPathsNoV1 && o.MetricPaths != MetricPathsV1 {
		panic(fmt.Sprintf("gainsighttest: Options.MetricPaths %d is not MetricPathsNoV1 or MetricPathsV1", o.MetricPaths))
	}
	if o.CustomFields == nil {
		o.CustomFields = DefaultCustomFields()
	}
	if o.RandomFault.isZero() {
		o.RandomFault = Fault{Status: http.StatusServiceUnavailable}
	}
	s := &Server{
		o:        o,
		closing:  make(chan struct{}),
		rng:      rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15)),
		faultRng: rand.New(rand.NewPCG(o.Seed, 0xda942042e4dd58b5)),
		jitRng:   rand.New(rand.NewPCG(o.Seed, 0x2545f4914f6cdd1d)),
		faultP:   o.FaultRate,
		faultF:   o.RandomFault,
		latency:  o.Latency,
	}
	s.AccessKey = o.AccessKey
	if s.AccessKey == "" {
		s.AccessKey = "gssim-" + randomKey()
	}
	s.t = newTenant(s.newIDLocked, o.Now)
	s.t.acceptGoalTypeName = o.AcceptGoalTypeName
	s.t.seed(!o.Empty)
	for _, f := range o.CustomFields {
		s.t.customFields[f] = true
	}
	s.routes = s.routeTable()
	s.stats.ByEndpoint = map[string]int{}
	return s
}

// Start listens on a free port of 127.0.0.1 and serves in the background.
func (s *Server) Start() error { return s.Listen("127.0.0.1:0") }

// Listen listens on addr (host:port) and serves in the background; URL is
// set from the bound address.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	s.listener = ln
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.client = &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 64,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// Handler is the server's http.Handler, for mounting without a listener.
func (s *Server) Handler() http.Handler { return s }

// Client returns an HTTP client for the server (it does not add the access
// key: that is the job of the code under test).
func (s *Server) Client() *http.Client {
	if s.client == nil {
		return http.DefaultClient
	}
	return s.client
}

// Close releases hanging calls, stops listening and closes every connection.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		close(s.closing)
		if s.srv != nil {
			_ = s.srv.Close()
		}
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
	})
}

// SetLatency changes the latency added to every routed call.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetQuota changes the limits per window (negative: unlimited).
func (s *Server) SetQuota(perMinute, perDay int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o.CallsPerMinute, s.o.CallsPerDay = perMinute, perDay
}

// Stats counts what the server has seen.
type Stats struct {
	// Requests is every request received, whatever its fate.
	Requests int
	// Calls is the requests counted against the quota (authenticated,
	// routed, not refused with 429).
	Calls int
	// RateLimited is the quota's 429 answers.
	RateLimited int
	// Unauthorized is the 401 answers.
	Unauthorized int
	// Faults is the injected faults (FailNext or FaultRate).
	Faults int
	// ByEndpoint counts Calls per endpoint name (Endpoint* constants).
	ByEndpoint map[string]int
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByEndpoint = make(map[string]int, len(s.stats.ByEndpoint))
	for k, v := range s.stats.ByEndpoint {
		st.ByEndpoint[k] = v
	}
	return st
}

// ResetStats zeroes the counters (the quota windows are left alone).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{ByEndpoint: map[string]int{}}
}

// RequestLog is one request as the server saw it. Headers are not kept, so
// the access key is never recorded.
type RequestLog struct {
	Time      time.Time
	Method    string
	Path      string // as received
	Endpoint  string // an Endpoint* constant; empty when not routed
	Status    int    // 0 when the connection was dropped or the call hung
	RequestID string
	// Body is the decoded JSON body (json.Number for numbers), the raw text
	// when it is not JSON, or nil when empty.
	Body any
	// Response is the JSON answer sent, if any.
	Response []byte
	// Fault names the injected fault ("status", "hang", "drop"), if any.
	Fault string
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []RequestLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestLog(nil), s.reqLog...)
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqLog = nil
}

func (s *Server) appendLog(l RequestLog) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqLog) >= s.o.MaxRequestLog {
		n := len(s.reqLog) - s.o.MaxRequestLog + 1
		s.reqLog = append(s.reqLog[:0], s.reqLog[n:]...)
	}
	s.reqLog = append(s.reqLog, l)
}

// call is one routed request handed to an endpoint handler.
type call struct {
	method    string
	path      string // normalised, without /v1
	body      []byte
	requestID string
	now       time.Time
	// tableErrors renders invalid-field and invalid-status failures as the
	// error table's 400 envelopes (Options.ValidationErrors).
	tableErrors bool
}

type handlerFunc func(*Server, *call) reply

type route struct {
	endpoint string
	handle   handlerFunc
}

// routeTable maps each exact path (as received, /v1 included) to its
// methods. Every endpoint has one path and one method per operation,
// chosen by the Options where the spec is ambiguous.
func (s *Server) routeTable() map[string]map[string]route {
	rt := map[string]map[string]route{
		"/v1/csgoal/external/create":          {http.MethodPost: {EndpointGoalCreate, (*Server).goalCreate}},
		"/v1/csgoal/external/update":          {http.MethodPut: {EndpointGoalUpdate, (*Server).goalUpdate}},
		"/v1/csgoal/external/fetch":           {http.MethodPost: {EndpointGoalFetch, (*Server).goalFetch}},
		"/v1/csgoal/external/template":        {},
		"/v1/csgoal/external/template/delete": {http.MethodDelete: {EndpointTemplateDelete, (*Server).templateDelete}},
		"/v1/csgoal/external/template/fetch":  {http.MethodPost: {EndpointTemplateFetch, (*Server).templateFetch}},
		"/v1/csgoal/external/admin/picklist":  {http.MethodGet: {EndpointPicklist, (*Server).picklist}},
	}
	tpl := rt["/v1/csgoal/external/template"]
	both := s.o.AcceptBothVariants
	if s.o.TemplateUpdateMethod == http.MethodPost || both {
		// POST creates records without a Gsid and updates the others.
		tpl[http.MethodPost] = route{EndpointTemplateCreate, (*Server).templateUpsertPost}
	} else {
		tpl[http.MethodPost] = route{EndpointTemplateCreate, (*Server).templateCreate}
	}
	if s.o.TemplateUpdateMethod == http.MethodPut || both {
		tpl[http.MethodPut] = route{EndpointTemplateUpdate, (*Server).templateUpdate}
	}
	var prefixes []string
	if s.o.MetricPaths == MetricPathsNoV1 || both {
		prefixes = append(prefixes, "")
	}
	if s.o.MetricPaths == MetricPathsV1 || both {
		prefixes = append(prefixes, "/v1")
	}
	for _, p := range prefixes {
		rt[p+"/csgoal/external/metric/"] = map[string]route{
			http.MethodPost: {EndpointMetricCreate, (*Server).metricCreate},
			http.MethodPut:  {EndpointMetricUpdate, (*Server).metricUpdate},
		}
		rt[p+"/csgoal/external/metrics"] = map[string]route{http.MethodDelete: {EndpointMetricDelete, (*Server).metricDelete}}
	}
	return rt
}

// normalisePath strips the /v1 prefix and trailing slashes: the path the
// spec's CSGoalException bodies print.
func normalisePath(p string) string {
	if p == "/v1" || strings.HasPrefix(p, "/v1/") {
		p = p[len("/v1"):]
	}
	p = strings.TrimRight(p, "/")
	if p == "" {
		p = "/"
	}
	return p
}

// ServeHTTP serves one request: body limit, access key, routing, quota,
// faults, latency, then the endpoint. Panics become a 500 answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d := s.jittered(s.o.InboundLatency); d > 0 && !s.sleep(r.Context(), d) {
		return
	}
	now := s.o.Now()
	s.mu.Lock()
	reqID := s.requestIDLocked()
	s.stats.Requests++
	s.mu.Unlock()

	lg := RequestLog{Time: now, Method: r.Method, Path: r.URL.Path, RequestID: reqID}
	rw := &logWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				lg.Status = rw.status
				s.appendLog(lg)
				panic(p)
			}
			if !rw.wrote {
				s.send(rw, reqID, envelopeError(http.StatusInternalServerError, "GS_5000", "INTERNAL_ERROR",
					fmt.Sprintf("internal simulator error: %v", p), reqID))
			}
		}
		lg.Status = rw.status
		lg.Response = rw.body
		s.appendLog(lg)
	}()
	w.Header().Set("X-Request-Id", reqID)
	w.Header().Set("Date", s.httpDate(now))

	r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.send(rw, reqID, envelopeError(http.StatusRequestEntityTooLarge, "GS_4130", "PAYLOAD_TOO_LARGE",
				fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit), reqID))
			return
		}
		s.send(rw, reqID, envelopeError(http.StatusBadRequest, "GS_4000", "BAD_REQUEST", "cannot read request body", reqID))
		return
	}
	lg.Body = decodeForLog(body)

	key := r.Header.Get("accesskey")
	if key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.AccessKey)) != 1 {
		s.mu.Lock()
		s.stats.Unauthorized++
		s.mu.Unlock()
		msg := "access key is missing: send it in the accesskey header"
		if key != "" {
			msg = "access key is not valid"
		}
		s.send(rw, reqID, envelopeError(http.StatusUnauthorized, "GS_4010", "UNAUTHORIZED", msg, reqID))
		return
	}

	path := normalisePath(r.URL.Path)
	methods, ok := s.routes[r.URL.Path]
	if !ok {
		// What a Spring gateway answers for a path it does not map.
		s.send(rw, reqID, reply{status: http.StatusNotFound, body: springError{
			Timestamp: now.UnixMilli(), Status: http.StatusNotFound, Error: "Not Found",
			Message: "No message available", Path: r.URL.Path,
		}})
		return
	}
	rt, ok := methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		sortStrings(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.send(rw, reqID, reply{status: http.StatusMethodNotAllowed, body: springError{
			Timestamp: now.UnixMilli(), Status: http.StatusMethodNotAllowed, Error: "Method Not Allowed",
			Exception: "org.springframework.web.HttpRequestMethodNotSupportedException",
			Message:   fmt.Sprintf("Request method '%s' is not supported", r.Method), Path: r.URL.Path,
		}})
		return
	}
	lg.Endpoint = rt.endpoint

	fault, latency, retryAfter, limited := s.admit(now, rt.endpoint)
	if limited {
		if !s.o.RateLimitNoRetryAfter {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		}
		s.send(rw, reqID, envelopeError(http.StatusTooManyRequests, "GS_4290", "TOO_MANY_REQUESTS",
			fmt.Sprintf("API rate limit exceeded; retry after %d seconds", retryAfter), reqID))
		return
	}
	if latency > 0 && !s.sleep(r.Context(), latency) {
		return
	}
	if fault != nil && !fault.AfterApply {
		lg.Fault = s.applyFault(rw, r, reqID, *fault)
		return
	}
	c := &call{method: r.Method, path: path, body: body, requestID: reqID, now: now,
		tableErrors: s.o.ValidationErrors == ErrorsAsTable}
	rep := rt.handle(s, c)
	if fault != nil {
		lg.Fault = s.applyFault(rw, r, reqID, *fault)
		return
	}
	s.send(rw, reqID, rep)
}

// admit counts a routed call against the quota and picks its fault.
func (s *Server) admit(now time.Time, endpoint string) (f *Fault, latency time.Duration, retryAfter int, limited bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ra, ok := s.takeQuotaLocked(now); !ok {
		s.stats.RateLimited++
		return nil, 0, ra, true
	}
	s.stats.Calls++
	s.stats.ByEndpoint[endpoint]++
	latency = s.latency
	if j := s.o.LatencyJitter; j > 0 {
		latency += time.Duration(s.jitRng.Int64N(int64(j)))
	}
	if len(s.queued) > 0 {
		q := s.queued[0]
		s.queued = s.queued[1:]
		s.stats.Faults++
		return &q, latency, 0, false
	}
	if s.faultP > 0 && s.faultRng.Float64() < s.faultP {
		q := s.faultF
		s.stats.Faults++
		return &q, latency, 0, false
	}
	return nil, latency, 0, false
}

// jittered is d plus Options.LatencyJitter's random share, or 0 when d
// is 0.
func (s *Server) jittered(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.o.LatencyJitter; j > 0 {
		d += time.Duration(s.jitRng.Int64N(int64(j)))
	}
	return d
}

// sleep waits d, the request's end or the server's close; true if d passed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// logWriter remembers the status and JSON answer for the request log.
type logWriter struct {
	http.ResponseWriter
	status int
	body   []byte
	wrote  bool
}

func (w *logWriter) WriteHeader(code int) {
	w.status, w.wrote = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	w.body = append(w.body, b...)
	return w.ResponseWriter.Write(b)
}

func randomKey() string {
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 32)
	for i := range b {
		b[i] = alnum[rand.IntN(len(alnum))]
	}
	return string(b)
}
