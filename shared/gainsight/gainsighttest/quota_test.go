package gainsighttest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

const fetchGsid = `{"select": ["Gsid"], "pageSize": 1}`

func TestQuotaMinuteWindow(t *testing.T) {
	clock := gainsighttest.NewManualClock(mustTime(t, "2026-11-27T10:00:15.250Z"))
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
		o.Now, o.CallsPerMinute, o.CallsPerDay = clock.Now, 3, 100
	})
	for range 3 {
		wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid))
	}
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	wantCode(t, a, http.StatusTooManyRequests, "GS_4290")
	if ra := a.Header.Get("Retry-After"); ra != "45" { // 44.75 s to 10:01:00, rounded up
		t.Fatalf("Retry-After %q", ra)
	}
	clock.Advance(44 * time.Second) // 10:00:59.250
	a = do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	if a.Status != http.StatusTooManyRequests || a.Header.Get("Retry-After") != "1" {
		t.Fatalf("%d Retry-After %q", a.Status, a.Header.Get("Retry-After"))
	}
	clock.Advance(750 * time.Millisecond) // 10:01:00.000: a new window
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid))
	st := s.Stats()
	if st.Calls != 4 || st.RateLimited != 2 || st.ByEndpoint[gainsighttest.EndpointGoalFetch] != 4 {
		t.Fatalf("%+v", st)
	}
	if u := s.Usage(); u.MinuteCalls != 1 || u.DayCalls != 4 {
		t.Fatalf("%+v", u)
	}
}

func TestQuotaDayWindow(t *testing.T) {
	clock := gainsighttest.NewManualClock(mustTime(t, "2026-11-27T23:59:00Z"))
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
		o.Now, o.CallsPerMinute, o.CallsPerDay = clock.Now, 100, 2
	})
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid))
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid))
	clock.Advance(30 * time.Second) // next minute window, same day
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	if a.Status != http.StatusTooManyRequests || a.Header.Get("Retry-After") != "30" {
		t.Fatalf("%d Retry-After %q", a.Status, a.Header.Get("Retry-After"))
	}
	clock.Advance(30 * time.Second) // midnight UTC
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid))
}

func TestQuotaScaledWindows(t *testing.T) {
	clock := gainsighttest.NewManualClock(mustTime(t, "2026-01-01T00:00:00Z"))
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
		o.Now = clock.Now
		o.CallsPerMinute, o.CallsPerDay = 2, 5
		o.MinuteWindow, o.DayWindow = time.Second, 10*time.Second
	})
	ok, limited := 0, 0
	for range 20 { // 20 × 250 ms = 5 s: minute windows allow 2/s, the day window 5
		a := do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
		switch a.Status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			if a.Header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
		default:
			t.Fatal(a.Raw)
		}
		clock.Advance(250 * time.Millisecond)
	}
	if ok != 5 || limited != 15 || s.Stats().RateLimited != 15 {
		t.Fatalf("ok %d limited %d", ok, limited)
	}
}

func TestQuotaNotSpentOnRefusedRequests(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.CallsPerMinute, o.CallsPerDay = 1, 10 })
	doKey(t, s, "", http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)     // 401
	do(t, s, http.MethodPost, "/v1/csgoal/external/nope", fetchGsid)             // 404
	do(t, s, http.MethodGet, "/v1/csgoal/external/fetch", fetchGsid)             // 405
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)) // the one call
	wantCode(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid), 429, "GS_4290")
	s.SetQuota(-1, -1)
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid))
}

func TestFailNext(t *testing.T) {
	s := gainsighttest.NewServer(t)
	s.FailNext(1, gainsighttest.FaultUnavailable)
	s.FailNext(1, gainsighttest.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}})
	s.FailNext(1, gainsighttest.Fault{Status: 500, Body: `{"timestamp": 1, "status": 500, "error": "Internal Server Error", "message": "boom"}`})
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	wantCode(t, a, 503, "GS_FAULT")
	a = do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	if a.Status != 429 || a.Header.Get("Retry-After") != "7" {
		t.Fatal(a.Status, a.Header)
	}
	a = do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	if a.Status != 500 || str(a.Body, "message") != "boom" {
		t.Fatal(a.Raw)
	}
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid))
	if st := s.Stats(); st.Faults != 3 || st.Calls != 4 {
		t.Fatalf("%+v", st)
	}
	var kinds []string
	for _, r := range s.Requests() {
		kinds = append(kinds, fmt.Sprint(r.Status, r.Fault))
	}
	if strings.Join(kinds, ",") != "503status,429status,500status,200" {
		t.Fatal(kinds)
	}
}

// rawPost posts without failing the test on transport errors.
func rawPost(ctx context.Context, s *gainsighttest.Server, path, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("accesskey", s.AccessKey)
	resp, err := s.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func TestFaultHangAndDrop(t *testing.T) {
	s := gainsighttest.NewServer(t)
	s.FailNext(1, gainsighttest.FaultHang)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := rawPost(ctx, s, "/v1/csgoal/external/fetch", fetchGsid); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hang: %v", err)
	}
	s.FailNext(1, gainsighttest.FaultDrop)
	if _, err := rawPost(t.Context(), s, "/v1/csgoal/external/fetch", fetchGsid); err == nil {
		t.Fatal("drop: no error")
	}
	if code, err := rawPost(t.Context(), s, "/v1/csgoal/external/fetch", fetchGsid); err != nil || code != 200 {
		t.Fatal(code, err)
	}
}

func TestFaultAfterApply(t *testing.T) {
	s := gainsighttest.NewServer(t)
	before := len(s.Goals())
	s.FailNext(1, gainsighttest.Fault{Drop: true, AfterApply: true})
	body := createBody(`{ "Name": "lost answer", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "goalrelay_external_id__gc": "ext-1" }`, "")
	if _, err := rawPost(t.Context(), s, "/v1/csgoal/external/create", body); err == nil {
		t.Fatal("want a transport error")
	}
	if len(s.Goals()) != before+1 {
		t.Fatal("the call did not take effect")
	}
	if _, ok := s.GoalByExternalID("ext-1"); !ok {
		t.Fatal("GoalByExternalID")
	}
}

func TestFaultRateIsReproducible(t *testing.T) {
	run := func() string {
		s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
			o.FaultRate, o.RandomFault, o.Seed = 0.3, gainsighttest.Fault{}, 42
		})
		var b strings.Builder
		for range 60 {
			code, err := rawPost(t.Context(), s, "/v1/csgoal/external/fetch", fetchGsid)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(fmt.Sprint(code / 100))
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, "5"); n < 8 || n > 30 {
		t.Fatalf("%d of 60 failed at rate 0.3: %s", n, a)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.Latency = time.Hour })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := rawPost(ctx, s, "/v1/csgoal/external/fetch", fetchGsid); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("latency ignored the context")
	}
	s.SetLatency(2 * time.Millisecond)
	if code, err := rawPost(t.Context(), s, "/v1/csgoal/external/fetch", fetchGsid); err != nil || code != 200 {
		t.Fatal(code, err)
	}
	s.ClearFaults()
}

// Many goroutines at once: creates, updates, fetches, faults and quota,
// under -race.
func TestConcurrentHammering(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
		o.CallsPerMinute, o.CallsPerDay = -1, -1
		o.FaultRate, o.RandomFault, o.Seed = 0.1, gainsighttest.Fault{}, 7
	})
	const workers, each = 8, 40
	before := len(s.Goals())
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				body := createBody(fmt.Sprintf(`{ "Name": "w%d-%d", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "goalrelay_external_id__gc": "w%d-%d" }`, w, i, w, i), "")
				code, err := rawPost(t.Context(), s, "/v1/csgoal/external/create", body)
				if err != nil {
					t.Error(err)
					return
				}
				if code == 200 {
					mu.Lock()
					created++
					mu.Unlock()
				}
				if _, err := rawPost(t.Context(), s, "/v1/csgoal/external/fetch", `{"select": ["Gsid", "Name"], "pageSize": 5}`); err != nil {
					t.Error(err)
				}
				_ = s.Stats()
				_ = s.Goals()
				if i%10 == 0 {
					s.AddCompany(fmt.Sprintf("c%d-%d", w, i))
					_ = s.Requests()
				}
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if got := len(s.Goals()) - before; got != created {
		t.Fatalf("%d goals created, %d answers said so", got, created)
	}
	if st.Calls != 2*workers*each || st.Faults == 0 || created == workers*each {
		t.Fatalf("%+v created %d", st, created)
	}
}

func TestRequestLog(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.AccessKey = "secret-key-xyz" })
	do(t, s, http.MethodPost, "/v1/csgoal/external/create", sampleCreate)
	doKey(t, s, "", http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", "not json")
	log := s.Requests()
	if len(log) != 3 {
		t.Fatal(len(log))
	}
	l := log[0]
	if l.Method != "POST" || l.Path != "/v1/csgoal/external/create" || l.Endpoint != gainsighttest.EndpointGoalCreate ||
		l.Status != 200 || len(l.RequestID) != 36 || l.Time.IsZero() || str(l.Body, "requests", 0, "record", "Name") != "create_test1" ||
		!strings.Contains(string(l.Response), l.RequestID) {
		t.Fatalf("%+v", l)
	}
	if log[1].Status != 401 || log[1].Endpoint != "" || log[2].Status != 400 || log[2].Body != "not json" {
		t.Fatalf("%+v", log[1:])
	}
	for _, l := range log {
		if strings.Contains(fmt.Sprintf("%+v %s", l, l.Response), "secret-key-xyz") {
			t.Fatal("the request log holds the access key")
		}
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Fatal("ResetRequests")
	}
}

func TestHandlerInProcess(t *testing.T) {
	s := gainsighttest.New(gainsighttest.Options{AccessKey: "k"})
	defer s.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "/v1/csgoal/external/fetch", strings.NewReader(fetchGsid))
	req.Header.Set("accesskey", "k")
	rec := &recorder{header: http.Header{}}
	s.Handler().ServeHTTP(rec, req)
	if rec.code != 200 || !strings.Contains(rec.body.String(), `"result":true`) {
		t.Fatal(rec.code, rec.body.String())
	}
}

type recorder struct {
	header http.Header
	code   int
	body   strings.Builder
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(c int)           { r.code = c }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

// Every answer carries a Date header on the server's clock, in whole
// seconds, as HTTP servers send it: a 200, a 429 and a 401 alike.
func TestDateHeader(t *testing.T) {
	clock := gainsighttest.NewManualClock(mustTime(t, "2026-11-27T10:00:59.750Z"))
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
		o.Now, o.CallsPerMinute = clock.Now, 1
	})
	want := "Fri, 27 Nov 2026 10:00:59 GMT"
	for _, a := range []answer{
		do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid),
		do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid),
		doKey(t, s, "wrong", http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid),
	} {
		if got := a.Header.Get("Date"); got != want {
			t.Errorf("status %d: Date %q, want %q", a.Status, got, want)
		}
	}
}

// ClockOffset moves the server's quota windows and Date; DateResolution
// below a second keeps milliseconds in the Date header.
func TestClockOffsetAndDateResolution(t *testing.T) {
	clock := gainsighttest.NewManualClock(mustTime(t, "2026-11-27T10:00:59.900Z"))
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
		o.Now, o.CallsPerMinute, o.ClockOffset, o.DateResolution = clock.Now, 1, 150*time.Millisecond, 10*time.Millisecond
	})
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	wantOK(t, a)
	if got, want := a.Header.Get("Date"), "Fri, 27 Nov 2026 10:01:00.050 GMT"; got != want {
		t.Fatalf("Date %q, want %q", got, want)
	}
	if d, err := http.ParseTime(a.Header.Get("Date")); err != nil || !d.Equal(mustTime(t, "2026-11-27T10:01:00.050Z")) {
		t.Fatalf("ParseTime: %v %v", d, err)
	}
	if u := s.Usage(); !u.MinuteStart.Equal(mustTime(t, "2026-11-27T10:01:00Z")) || u.MinuteCalls != 1 {
		t.Fatalf("the call was not counted in the server's minute 10:01: %+v", u)
	}
}
