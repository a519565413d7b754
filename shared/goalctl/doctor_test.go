package goalctl_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
)

func TestDoctorReadyTenant(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opts  func(*gainsighttest.Options)
		wants string
	}{
		{"metric paths as the spec writes them", func(*gainsighttest.Options) {}, "metric.create POST /csgoal/external/metric/"},
		{"metric paths under /v1", func(o *gainsighttest.Options) { o.MetricPaths = gainsighttest.MetricPathsV1 }, "metric.create POST /v1/csgoal/external/metric/"},
		{"metric paths under /v1, template update by POST", func(o *gainsighttest.Options) {
			o.MetricPaths, o.TemplateUpdateMethod = gainsighttest.MetricPathsV1, "POST"
		}, "within the 10-call budget"},
	} {
		t.Run(tt.name, func(t *testing.T) { doctorReady(t, tt.opts, tt.wants) })
	}
}

func doctorReady(t *testing.T, opts func(*gainsighttest.Options), wants string) {
	t.Helper()
	s := gainsighttest.NewServer(t, opts)
	goals, templates, metrics := len(s.Goals()), len(s.Templates()), len(s.Metrics())
	r := tenantHarness(s).run(t, "doctor")
	if !strings.Contains(r.stdout, wants) {
		t.Errorf("stdout lacks %q\n%s", wants, r)
	}
	wantCode(t, r, goalctl.ExitOK)
	mustNotLeak(t, r, s.AccessKey)
	if strings.Contains(r.stdout, "✗") || strings.Count(r.stdout, "✓") != 5 {
		t.Errorf("checklist:\n%s", r)
	}
	if calls := s.Stats().Calls; calls > 10 {
		t.Errorf("doctor made %d calls, at most 10 allowed", calls)
	}
	// Probing the write endpoints sends empty lists: nothing changes.
	if g, tpl, m := len(s.Goals()), len(s.Templates()), len(s.Metrics()); g != goals || tpl != templates || m != metrics {
		t.Errorf("doctor changed the tenant: %d/%d/%d goals/templates/metrics, was %d/%d/%d", g, tpl, m, goals, templates, metrics)
	}
}

func TestDoctorFindsProblems(t *testing.T) {
	dir := t.TempDir()
	badMapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(badMapping, []byte(`
source: hubspot
objects:
  deal:
    type: goal
    externalId: fields.hs_object_id
    fields:
      Name: {expr: fields.dealname}
      StatusName: {expr: fields.dealstage, map: {closedwon: Achieved, open: Nearly There}}
    constants: {EntityType: COMPANY, GoalTypeName: Moonshot}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		key   string
		wants []string
	}{
		{"wrong key", []string{"doctor"}, "not-the-key", []string{"✗ access key accepted", "fix:"}},
		{"names missing from the picklist", []string{"doctor", "--mapping", badMapping}, "",
			[]string{`✗ every goal status the mapping writes is in the picklist: not in the tenant: "Nearly There"`,
				`✗ every goal type the mapping writes is in the picklist: not in the tenant: "Moonshot"`}},
		{"no external-id field", []string{"doctor", "--external-id-field", "crm_key__gc"}, "",
			[]string{"✗ external-id field crm_key__gc exists on goals", "fix: create a text custom field crm_key__gc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gainsighttest.NewServer(t)
			h := tenantHarness(s)
			if tt.key != "" {
				h.env[goalctl.EnvAccessKey] = tt.key
			}
			r := h.run(t, tt.args...)
			wantCode(t, r, goalctl.ExitFailure)
			mustNotLeak(t, r, s.AccessKey)
			for _, w := range tt.wants {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q\n%s", w, r)
				}
			}
		})
	}
}

func TestDoctorJSON(t *testing.T) {
	s := gainsighttest.NewServer(t)
	r := tenantHarness(s).run(t, "doctor", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	mustNotLeak(t, r, s.AccessKey)
	var rep goalctl.DoctorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if len(rep.Checks) != 5 || rep.Failed != 0 || rep.Calls < 1 || rep.Calls > 10 || rep.Checks[0].Name != "access key accepted" || !rep.Checks[0].OK {
		t.Errorf("report %+v", rep)
	}

	// A wrong key: exit 1, the failed check with its fix, in JSON.
	h := tenantHarness(s)
	h.env[goalctl.EnvAccessKey] = "wrong-key"
	r = h.run(t, "doctor", "-o", "json")
	wantCode(t, r, goalctl.ExitFailure)
	rep = goalctl.DoctorReport{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Failed != 1 || rep.Checks[0].OK || rep.Checks[0].Fix == "" {
		t.Errorf("report %+v, %v\n%s", rep, err, r)
	}
}
