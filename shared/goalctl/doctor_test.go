package goalctl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
)

func TestDoctorReadyTenant(t *testing.T) {
	s := gainsighttest.NewServer(t)
	r := tenantHarness(s).run(t, "doctor")
	wantCode(t, r, goalctl.ExitOK)
	mustNotLeak(t, r, s.AccessKey)
	if strings.Contains(r.stdout, "✗") || strings.Count(r.stdout, "✓") < 4 {
		t.Errorf("checklist:\n%s", r)
	}
	if calls := s.Stats().Calls; calls > 10 {
		t.Errorf("doctor made %d calls, at most 10 allowed", calls)
	}
	for _, l := range s.Requests() {
		if l.Endpoint == gainsighttest.EndpointGoalCreate || l.Endpoint == gainsighttest.EndpointGoalUpdate {
			t.Errorf("doctor wrote to the tenant: %s %s", l.Method, l.Path)
		}
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
