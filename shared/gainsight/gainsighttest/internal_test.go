package gainsighttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// A panicking endpoint answers a 500 envelope and the server goes on.
func TestPanicRecovery(t *testing.T) {
	s := New(Options{AccessKey: "k"})
	defer s.Close()
	s.routes["/v1/boom"] = map[string]route{http.MethodPost: {"boom", func(*Server, *call) reply { panic("kaboom") }}}
	for range 2 {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/v1/boom", strings.NewReader("{}"))
		req.Header.Set("accesskey", "k")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var env map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || rec.Code != 500 || env["errorCode"] != "GS_5000" ||
			!strings.Contains(env["message"].(string), "kaboom") {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	if l := s.Requests(); len(l) != 2 || l[0].Status != 500 {
		t.Fatalf("%+v", l)
	}
}

var gsidRE = regexp.MustCompile(`^1(CG0|I00|P01|P02|P05|P06|P0A|S01|S02)[0-9A-Z]{32}$`)

// Every Gsid of the seeded tenant has the real shape, and the same seed
// gives the same tenant.
func TestSeedShapeAndDeterminism(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	defer a.Close()
	defer b.Close()
	ids := func(s *Server) []string {
		var out []string
		for _, objs := range s.t.objects {
			for _, o := range objs {
				out = append(out, o.gsid)
			}
		}
		for _, p := range append(append([]*picklistItem{}, s.t.statuses...), s.t.goalTypes...) {
			out = append(out, p.gsid)
		}
		for _, m := range s.t.metrics {
			out = append(out, m.gsid)
		}
		for _, w := range append(append([]*work{}, s.t.ctas...), s.t.sps...) {
			out = append(out, w.gsid)
		}
		for gsid, g := range s.t.goals {
			out = append(out, gsid)
			for _, m := range g.metrics {
				out = append(out, m.gsid)
			}
		}
		return out
	}
	for _, id := range ids(a) {
		if !gsidRE.MatchString(id) {
			t.Errorf("Gsid %q has not the Gainsight shape", id)
		}
	}
	if a.CompanyID("Acme Corp") != b.CompanyID("Acme Corp") || a.StatusID("In Progress") != b.StatusID("In Progress") {
		t.Error("same seed, different tenant")
	}
	c := New(Options{Seed: 99})
	defer c.Close()
	if c.CompanyID("Acme Corp") == a.CompanyID("Acme Corp") {
		t.Error("different seed, same generated Gsid")
	}
	if a.CompanyID("IBM") != "1P02GZA9BI8FRI07JF95E331G0FA4RHW6LUB" {
		t.Error("IBM keeps the Gsid of the spec's sample")
	}
}

func TestRequestIDShape(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		s.mu.Lock()
		id := s.requestIDLocked()
		s.mu.Unlock()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("request id %q", id)
		}
		seen[id] = true
	}
}
