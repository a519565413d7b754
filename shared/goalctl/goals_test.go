package goalctl_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
)

func tenantHarness(s *gainsighttest.Server) *harness {
	return &harness{env: map[string]string{goalctl.EnvBaseURL: s.URL, goalctl.EnvAccessKey: s.AccessKey}}
}

func TestGoalsFetchTable(t *testing.T) {
	s := gainsighttest.NewServer(t)
	seeded := s.Goals()
	if len(seeded) == 0 {
		t.Fatal("the simulator has no seeded goals")
	}
	r := tenantHarness(s).run(t, "goals", "fetch")
	wantCode(t, r, goalctl.ExitOK)
	mustNotLeak(t, r, s.AccessKey)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if got := strings.Fields(lines[0]); !cmp.Equal(got, append(append([]string{}, goalctl.DefaultGoalFields...), "CTAS", "SPS")) {
		t.Errorf("header %q", lines[0])
	}
	if len(lines)-1 != len(seeded) {
		t.Errorf("%d rows, want %d\n%s", len(lines)-1, len(seeded), r)
	}
	for _, g := range seeded {
		if !strings.Contains(r.stdout, g.Gsid) {
			t.Errorf("goal %s missing\n%s", g.Gsid, r)
		}
	}
	if !strings.Contains(r.stderr, "goal(s)") {
		t.Errorf("stderr: %s", r)
	}
}

func TestGoalsFetchWhereJSON(t *testing.T) {
	s := gainsighttest.NewServer(t)
	target := s.Goals()[0]
	h := tenantHarness(s)
	r := h.run(t, "goals", "fetch", "--where", "Gsid EQ "+target.Gsid, "--select", "Gsid,Name,EntityType", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var got []struct {
		Fields         map[string]any   `json:"fields"`
		AssociatedCTAs []map[string]any `json:"associatedCTAs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	if len(got) != 1 || got[0].Fields["Gsid"] != target.Gsid || got[0].Fields["Name"] != target.Name {
		t.Fatalf("got %+v, want %s %q", got, target.Gsid, target.Name)
	}
	if got[0].AssociatedCTAs == nil {
		t.Errorf("associatedCTAs should be [] when empty")
	}

	// The where clause and select went to Gainsight as built.
	var body map[string]any
	for _, l := range s.Requests() {
		if l.Endpoint == gainsighttest.EndpointGoalFetch {
			body, _ = l.Body.(map[string]any)
		}
	}
	where, _ := json.Marshal(body["where"])
	want := `{"conditions":[{"alias":"A","fieldName":"Gsid","operator":"EQ","value":["` + target.Gsid + `"]}],"expression":"A"}`
	if string(where) != want {
		t.Errorf("where sent:\n%s\nwant\n%s", where, want)
	}

	// Conditions combined by --expression: A OR B finds two goals.
	other := s.Goals()[1]
	r = h.run(t, "goals", "fetch", "--where", "Gsid = "+target.Gsid, "--where", "Gsid EQ '"+other.Gsid+"'",
		"--expression", "A OR B", "--select", "Gsid", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	got = nil
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 2 {
		t.Fatalf("A OR B: %v, %d goals\n%s", err, len(got), r)
	}

	// IN with a list, and --limit across pages of 1.
	r = h.run(t, "goals", "fetch", "--where", "Gsid IN "+target.Gsid+", "+other.Gsid, "--select", "Gsid", "--page-size", "1", "--limit", "1", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	got = nil
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 1 {
		t.Fatalf("--limit 1: %v, %d goals\n%s", err, len(got), r)
	}

	// No match: an empty list, still success.
	r = h.run(t, "goals", "fetch", "--where", "Name EQ no such goal at all", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestGoalsFetchFailures(t *testing.T) {
	s := gainsighttest.NewServer(t)
	// A wrong key: Gainsight answers 401; the key is not echoed.
	wrong := "wrong-key-0123456789abcdef"
	h := &harness{env: map[string]string{goalctl.EnvBaseURL: s.URL}}
	r := h.run(t, "goals", "fetch", "--access-key", wrong)
	wantCode(t, r, goalctl.ExitFailure)
	mustNotLeak(t, r, wrong, s.AccessKey)
	if !strings.Contains(r.stderr, "401") {
		t.Errorf("stderr: %s", r)
	}
	// An unknown field in select: Gainsight's validation error is shown.
	r = tenantHarness(s).run(t, "goals", "fetch", "--select", "Gsid,NoSuchField")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "NoSuchField") {
		t.Errorf("stderr: %s", r)
	}
	mustNotLeak(t, r, s.AccessKey)
}

// The real binary reads the tenant from the environment.
func TestBinaryGoalsFetch(t *testing.T) {
	s := gainsighttest.NewServer(t)
	r := execGoalctl(t, []string{goalctl.EnvBaseURL + "=" + s.URL, goalctl.EnvAccessKey + "=" + s.AccessKey},
		"goals", "fetch", "--select", "Gsid,Name")
	wantCode(t, r, goalctl.ExitOK)
	mustNotLeak(t, r, s.AccessKey)
	if !strings.Contains(r.stdout, s.Goals()[0].Gsid) {
		t.Errorf("stdout:\n%s", r)
	}
}
