package apply_test

import (
	"strings"
	"testing"

	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// goalBodies returns the "record" of every goal create and update request
// the simulator received.
func goalBodies(t *testing.T, e *env) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range e.sim.Requests() {
		if r.Endpoint != gt.EndpointGoalCreate && r.Endpoint != gt.EndpointGoalUpdate {
			continue
		}
		body, _ := r.Body.(map[string]any)
		reqs, _ := body["requests"].([]any)
		if len(reqs) == 0 {
			// update: {"requests": [...]} too; a body without it is a bug
			t.Fatalf("%s body without requests: %v", r.Endpoint, r.Body)
		}
		for _, one := range reqs {
			rec, _ := one.(map[string]any)["record"].(map[string]any)
			out = append(out, rec)
		}
	}
	return out
}

// A goal's type is sent as the GoalTypeId the API documents for goals,
// resolved from the event's GoalTypeName through the picklist; the name
// itself is never sent on a goal.
func TestGoalTypeIsSentByID(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	fields := fullGoal("typed")
	fields["GoalTypeName"] = "adoption" // any case, as Gainsight compares names
	if failed := e.handle(ctx, e.batch(goalEvent("e1", "901", 0, fields))); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	if failed := e.handle(ctx, e.batch(goalEvent("e2", "901", 1, map[string]any{"Name": "retyped", "StatusName": "On Track", "GoalTypeName": "Adoption"}))); len(failed) != 0 {
		t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
	}
	bodies := goalBodies(t, e)
	if len(bodies) != 2 {
		t.Fatalf("%d goal writes, want a create and an update", len(bodies))
	}
	want := e.sim.GoalTypeID("Adoption")
	for i, rec := range bodies {
		if _, ok := rec["GoalTypeName"]; ok {
			t.Errorf("write %d sends GoalTypeName: %v", i, rec)
		}
		if rec["GoalTypeId"] != want {
			t.Errorf("write %d: GoalTypeId = %v, want %s", i, rec["GoalTypeId"], want)
		}
	}
	if g, _ := e.sim.GoalByExternalID(key901); g.GoalTypeName != "Adoption" {
		t.Errorf("goal type = %q, want Adoption", g.GoalTypeName)
	}
}

// A picklist reply the client cannot read does not block events: the name
// check is skipped, said once in the log, and the goal is still written.
func TestUnreadablePicklistDoesNotBlock(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.sim.FailNext(1, gt.Fault{Status: 200, Body: `{"result":true,"requestId":"r1","data":{"picklists":"not a list"}}`})
	for i, deal := range []string{"901", "902"} {
		ev := goalEvent("e"+deal, deal, i, fullGoal("goal "+deal))
		if failed := e.handle(ctx, e.batch(ev)); len(failed) != 0 {
			t.Fatalf("failed = %v; logs:\n%s", failed, e.logs)
		}
	}
	if _, ok := e.sim.GoalByExternalID(key901); !ok {
		t.Errorf("no goal written while the picklist was unreadable; logs:\n%s", e.logs)
	}
	if n := strings.Count(e.logs.String(), "picklist reply not readable"); n != 1 {
		t.Errorf("said %d times in the log, want once:\n%s", n, e.logs)
	}
}

// Relationship goals as the API documents them: RelationshipTypeId is
// required to create one, the relationship is matched by name within its
// type (and company, when the event gives CompanyId), and a name that
// still matches several relationships is refused, never the first taken.
func TestRelationshipGoals(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const relType = "1P06RELTYPEPLATFORM00000000000000000"
	ibm, acme := e.sim.CompanyID("IBM"), e.sim.CompanyID("Acme Corp")
	ibmPlatform := e.sim.AddRelationship("Platform", ibm, relType)
	e.sim.AddRelationship("Platform", acme, relType)
	rel := func(deal string, extra map[string]any) map[string]any {
		f := map[string]any{"Name": "rel " + deal, "StatusName": "On Track", "EntityType": "RELATIONSHIP", "RelationshipName": "Platform"}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	tests := []struct {
		deal     string
		fields   map[string]any
		wantCode string // "" = created on ibmPlatform
	}{
		{"801", rel("801", map[string]any{"RelationshipTypeId": relType, "CompanyId": ibm}), ""},
		{"802", rel("802", map[string]any{"RelationshipTypeId": relType}), "8008"},
		{"803", rel("803", nil), "CANNOT_CREATE"},
	}
	for i, tt := range tests {
		if failed := e.handle(ctx, e.batch(goalEvent("e"+tt.deal, tt.deal, i, tt.fields))); len(failed) != 0 {
			t.Fatalf("%s: failed = %v; logs:\n%s", tt.deal, failed, e.logs)
		}
		g, ok := e.sim.GoalByExternalID("hubspot/portal/62515:" + tt.deal)
		if tt.wantCode == "" {
			if !ok || g.RelationshipID != ibmPlatform {
				t.Errorf("%s: goal %+v, %v; want one on IBM's Platform %s", tt.deal, g, ok, ibmPlatform)
			}
			continue
		}
		if ok {
			t.Errorf("%s: a goal was created on relationship %s; want the DLQ", tt.deal, g.RelationshipID)
		}
	}
	var codes []string
	for _, m := range e.dlq() {
		codes = append(codes, attr(m, "error_code"))
	}
	for _, tt := range tests {
		if tt.wantCode != "" && !contains(codes, tt.wantCode) {
			t.Errorf("deal %s: DLQ codes %v lack %s", tt.deal, codes, tt.wantCode)
		}
	}
}
