package gainsight_test

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// simVariant is one reading of the spec's ambiguous endpoints, as the
// simulator serves it, and what the client should learn from it.
type simVariant struct {
	name  string
	opt   func(*gainsighttest.Options)
	learn map[string]string // endpoint → "METHOD path"
}

func simVariants() []simVariant {
	learn := func(metricPrefix, tplMethod string) map[string]string {
		return map[string]string{
			gainsight.EndpointMetricCreate:   "POST " + metricPrefix + "/csgoal/external/metric/",
			gainsight.EndpointMetricUpdate:   "PUT " + metricPrefix + "/csgoal/external/metric/",
			gainsight.EndpointMetricDelete:   "DELETE " + metricPrefix + "/csgoal/external/metrics",
			gainsight.EndpointTemplateUpdate: tplMethod + " /v1/csgoal/external/template",
		}
	}
	v1 := func(o *gainsighttest.Options) { o.MetricPaths = gainsighttest.MetricPathsV1 }
	post := func(o *gainsighttest.Options) { o.TemplateUpdateMethod = http.MethodPost }
	return []simVariant{
		{"metrics without v1, template PUT (defaults)", func(*gainsighttest.Options) {}, learn("", "PUT")},
		{"metrics under v1, template PUT", v1, learn("/v1", "PUT")},
		{"metrics without v1, template POST", post, learn("", "POST")},
		{"metrics under v1, template POST", func(o *gainsighttest.Options) { v1(o); post(o) }, learn("/v1", "POST")},
	}
}

// variantRecorder collects Options.OnVariant reports.
type variantRecorder struct {
	mu  sync.Mutex
	got map[string][]string
}

func (r *variantRecorder) on(endpoint, variant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string][]string{}
	}
	r.got[endpoint] = append(r.got[endpoint], variant)
}

func (r *variantRecorder) reports() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.got)
}

func variantClient(t *testing.T, s *gainsighttest.Server, rec *variantRecorder) *gainsight.Client {
	t.Helper()
	c, err := gainsight.New(gainsight.Options{
		BaseURL: s.URL, AccessKey: gainsight.StaticAccessKey(s.AccessKey), HTTPClient: s.Client(), OnVariant: rec.on,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const seedTemplate = "1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX"

// The client reaches every ambiguous endpoint on every reading the
// simulator can serve; the first call learns it (one or two requests), the
// second of the same kind makes exactly one request.
func TestVariantsAgainstEverySimulatorReading(t *testing.T) {
	for _, sv := range simVariants() {
		t.Run(sv.name, func(t *testing.T) {
			s := gainsighttest.NewServer(t, sv.opt)
			var rec variantRecorder
			c := variantClient(t, s, &rec)
			ctx := t.Context()
			templates := len(s.Templates())

			// twice runs op twice: the first call may try both variants, the
			// second makes exactly one request, on the learnt variant.
			twice := func(endpoint string, op func(i int) error) {
				t.Helper()
				for i := range 2 {
					s.ResetRequests()
					if err := op(i); err != nil {
						t.Fatalf("%s #%d: %v", endpoint, i+1, err)
					}
					reqs := s.Requests()
					last := reqs[len(reqs)-1]
					if got := last.Method + " " + last.Path; got != sv.learn[endpoint] {
						t.Errorf("%s #%d answered on %s, want %s", endpoint, i+1, got, sv.learn[endpoint])
					}
					want := 1
					if i == 0 && sv.learn[endpoint] != fallbackFree[endpoint] {
						want = 2 // the literal variant's 404/405, then the alternative
						if reqs[0].Status != http.StatusNotFound && reqs[0].Status != http.StatusMethodNotAllowed {
							t.Errorf("%s: the literal variant answered %d", endpoint, reqs[0].Status)
						}
					}
					if len(reqs) != want {
						t.Errorf("%s #%d made %d requests, want %d", endpoint, i+1, len(reqs), want)
					}
				}
			}

			var ids []string
			twice(gainsight.EndpointMetricCreate, func(i int) error {
				res, err := c.CreateMetrics(ctx, &gainsight.CreateMetricsRequest{Requests: []gainsight.MetricInput{{
					Record: gainsight.MetricRecord{Name: fmt.Sprintf("variant metric %d", i), UnitOfMeasure: gainsight.UnitDecimal},
				}}})
				if err == nil {
					if len(res.SuccessList) != 1 {
						return fmt.Errorf("successList %+v failureList %s", res.SuccessList, res.FailureList)
					}
					ids = append(ids, res.SuccessList[0].Gsid)
				}
				return err
			})
			twice(gainsight.EndpointMetricUpdate, func(i int) error {
				res, err := c.UpdateMetrics(ctx, &gainsight.UpdateMetricsRequest{Requests: []gainsight.MetricInput{{
					Record: gainsight.MetricRecord{Gsid: ids[i], Name: fmt.Sprintf("variant metric %d updated", i)},
				}}})
				if err == nil && len(res.SuccessList) != 1 {
					return fmt.Errorf("failureList %s", res.FailureList)
				}
				return err
			})
			twice(gainsight.EndpointTemplateUpdate, func(i int) error {
				res, err := c.UpdateTemplates(ctx, &gainsight.UpdateTemplatesRequest{Requests: []gainsight.TemplateInput{{
					Record: gainsight.TemplateRecord{Gsid: seedTemplate, DueDays: gainsight.Ptr(40 + i)},
				}}})
				if err == nil && len(res.SuccessList) != 1 {
					return fmt.Errorf("failureList %s", res.FailureList)
				}
				if g, _ := s.Goal(seedTemplate); err == nil && g.DueDays != int64(40+i) {
					return fmt.Errorf("template not updated: %+v", g)
				}
				return err
			})
			twice(gainsight.EndpointMetricDelete, func(i int) error {
				_, err := c.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{RecordIDs: ids[i : i+1]})
				return err
			})

			if n := len(s.Templates()); n != templates {
				t.Errorf("%d templates, want %d: an update created one", n, templates)
			}
			for _, id := range ids {
				for _, m := range s.Metrics() {
					if m.Gsid == id {
						t.Errorf("metric %s not deleted", id)
					}
				}
			}
			want := map[string][]string{}
			for ep, v := range sv.learn {
				want[ep] = []string{v}
			}
			if got := rec.reports(); !maps.EqualFunc(got, want, func(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
				t.Errorf("OnVariant reports %v, want %v", got, want)
			}
			if got := c.Variants(); !maps.Equal(got, sv.learn) {
				t.Errorf("Variants() = %v, want %v", got, sv.learn)
			}
		})
	}
}

// fallbackFree is the variant the client tries first (the spec's literal
// reading).
var fallbackFree = map[string]string{
	gainsight.EndpointMetricCreate:   "POST /csgoal/external/metric/",
	gainsight.EndpointMetricUpdate:   "PUT /csgoal/external/metric/",
	gainsight.EndpointMetricDelete:   "DELETE /csgoal/external/metrics",
	gainsight.EndpointTemplateUpdate: "PUT /v1/csgoal/external/template",
}

// Concurrent first calls may each try both variants, but every call
// succeeds and the choice is reported once.
func TestVariantsConcurrent(t *testing.T) {
	sv := simVariants()[3] // both endpoints need the fallback
	s := gainsighttest.NewServer(t, sv.opt)
	var rec variantRecorder
	c := variantClient(t, s, &rec)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			_, err := c.CreateMetrics(t.Context(), &gainsight.CreateMetricsRequest{Requests: []gainsight.MetricInput{{
				Record: gainsight.MetricRecord{Name: fmt.Sprintf("concurrent %d", i)},
			}}})
			if err == nil {
				_, err = c.UpdateTemplates(t.Context(), &gainsight.UpdateTemplatesRequest{Requests: []gainsight.TemplateInput{{
					Record: gainsight.TemplateRecord{Gsid: seedTemplate, Description: fmt.Sprint(i)},
				}}})
			}
			if err != nil {
				t.Error(err)
				failed.Add(1)
			}
			_ = c.Variants()
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		return
	}
	got := rec.reports()
	for _, ep := range []string{gainsight.EndpointMetricCreate, gainsight.EndpointTemplateUpdate} {
		if len(got[ep]) != 1 || got[ep][0] != sv.learn[ep] {
			t.Errorf("OnVariant for %s: %v, want once %s", ep, got[ep], sv.learn[ep])
		}
	}
}

// Probe learns every variant with at most two requests per endpoint and
// writes nothing.
func TestProbe(t *testing.T) {
	for _, sv := range simVariants() {
		t.Run(sv.name, func(t *testing.T) {
			s := gainsighttest.NewServer(t, sv.opt)
			var rec variantRecorder
			c := variantClient(t, s, &rec)
			metrics, templates, goals := len(s.Metrics()), s.Templates(), s.Goals()

			got, err := c.Probe(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, sv.learn) {
				t.Fatalf("Probe = %v, want %v", got, sv.learn)
			}
			if n := len(s.Requests()); n > 8 {
				t.Errorf("Probe made %d requests", n)
			}
			if len(s.Metrics()) != metrics || !reflect.DeepEqual(s.Templates(), templates) || !reflect.DeepEqual(s.Goals(), goals) {
				t.Error("Probe changed the tenant")
			}
			if len(rec.reports()) != 4 {
				t.Errorf("OnVariant reports %v", rec.reports())
			}

			// Known now: a second Probe sends nothing, a call sends one request.
			s.ResetRequests()
			if _, err := c.Probe(t.Context()); err != nil || len(s.Requests()) != 0 {
				t.Fatalf("second Probe: %v, %d requests", err, len(s.Requests()))
			}
			if _, err := c.CreateMetrics(t.Context(), &gainsight.CreateMetricsRequest{Requests: []gainsight.MetricInput{{
				Record: gainsight.MetricRecord{Name: "after probe"},
			}}}); err != nil || len(s.Requests()) != 1 {
				t.Fatalf("create after Probe: %v, %d requests", err, len(s.Requests()))
			}
		})
	}
}

// Probe stops at a reply that proves nothing and learns nothing from it.
func TestProbeUnauthorized(t *testing.T) {
	s := gainsighttest.NewServer(t)
	c, err := gainsight.New(gainsight.Options{BaseURL: s.URL, AccessKey: gainsight.StaticAccessKey("wrong"), HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Probe(t.Context())
	if !gainsight.IsUnauthorized(err) || len(got) != 0 || len(s.Requests()) != 1 {
		t.Fatalf("Probe = %v, %v after %d requests", got, err, len(s.Requests()))
	}
}

// switchable answers a success envelope on the paths in served and the
// 404 of an unknown path elsewhere, counting requests.
type switchable struct {
	mu     sync.Mutex
	served map[string]bool // "METHOD path"
	status int             // answer for served paths; 0 means 200
	n      int
}

func (h *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.n++
	ok, status := h.served[r.Method+" "+r.URL.Path], h.status
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case !ok:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"timestamp":1,"status":404,"error":"Not Found","message":"No message available","path":%q}`, r.URL.Path)
	case status != 0:
		w.WriteHeader(status)
		fmt.Fprint(w, `{"result":false,"errorCode":"GS_4290","message":"slow down","requestId":"r"}`)
	default:
		fmt.Fprint(w, `{"result":true,"requestId":"r","data":{"deletedMetrics":[]}}`)
	}
}

func (h *switchable) set(status int, served ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.served, h.status, h.n = map[string]bool{}, status, 0
	for _, s := range served {
		h.served[s] = true
	}
}

func (h *switchable) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func TestVariantEdges(t *testing.T) {
	h := &switchable{}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var rec variantRecorder
	c := newClient(t, srv.URL, func(o *gainsight.Options) { o.OnVariant = rec.on })
	del := func() error {
		_, err := c.DeleteMetrics(t.Context(), &gainsight.DeleteMetricsRequest{RecordIDs: []string{"x"}})
		return err
	}

	// Neither variant served: the literal one's 404, nothing learnt.
	h.set(0)
	var ae *gainsight.APIError
	if err := del(); !errors.As(err, &ae) || ae.Status != 404 || ae.Endpoint != "DELETE /csgoal/external/metrics" || h.count() != 2 {
		t.Fatalf("%v after %d requests", err, h.count())
	}
	if len(c.Variants()) != 0 {
		t.Fatalf("learnt %v", c.Variants())
	}

	// A 429 on the literal variant proves nothing: no fallback, nothing learnt.
	h.set(http.StatusTooManyRequests, "DELETE /csgoal/external/metrics")
	var rl *gainsight.RateLimitError
	if err := del(); !errors.As(err, &rl) || h.count() != 1 || len(c.Variants()) != 0 {
		t.Fatalf("%v after %d requests, learnt %v", err, h.count(), c.Variants())
	}

	// Learn /v1, then the tenant moves to the literal path: the known
	// variant's 404 is returned once and forgotten, the next call learns
	// again.
	h.set(0, "DELETE /v1/csgoal/external/metrics")
	if err := del(); err != nil || h.count() != 2 {
		t.Fatalf("%v after %d requests", err, h.count())
	}
	h.set(0, "DELETE /csgoal/external/metrics")
	if err := del(); !errors.As(err, &ae) || ae.Status != 404 || h.count() != 1 {
		t.Fatalf("%v after %d requests", err, h.count())
	}
	if err := del(); err != nil || h.count() != 2 {
		t.Fatalf("%v after %d requests", err, h.count())
	}
	want := []string{"DELETE /v1/csgoal/external/metrics", "DELETE /csgoal/external/metrics"}
	if got := rec.reports()[gainsight.EndpointMetricDelete]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("OnVariant reports %v, want %v", got, want)
	}
}
