package gainsighttest_test

import (
	"net/http"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// The strict defaults and the named options that relax them.

func TestRateLimitWithoutRetryAfter(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
		o.CallsPerMinute, o.CallsPerDay, o.RateLimitNoRetryAfter = -1, 1, true
	})
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid))
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", fetchGsid)
	wantCode(t, a, http.StatusTooManyRequests, "GS_4290")
	if _, has := a.Header["Retry-After"]; has {
		t.Fatalf("Retry-After %q", a.Header.Get("Retry-After"))
	}
}

func TestLenientUpdate(t *testing.T) {
	const goal = "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9"
	body := `{ "requests": [ { "record": { "Gsid": "` + goal + `", "Description": "only this" } } ] }`
	wantException(t, do(t, gainsighttest.NewServer(t), http.MethodPut, "/v1/csgoal/external/update", body), "Invalid Name provided in request")

	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.LenientUpdate = true })
	before, _ := s.Goal(goal)
	wantOK(t, do(t, s, http.MethodPut, "/v1/csgoal/external/update", body))
	g, _ := s.Goal(goal)
	if g.Description != "only this" || g.Name != before.Name || g.StatusID != before.StatusID {
		t.Fatalf("%+v", g)
	}
}

func TestAcceptGoalTypeName(t *testing.T) {
	rec := `{ "Name": "g", "StatusName": "New", "GoalTypeName": "Adoption", "EntityType": "COMPANY", "CompanyName": "IBM" }`
	wantException(t, do(t, gainsighttest.NewServer(t), http.MethodPost, "/v1/csgoal/external/create", createBody(rec, "")),
		"Invalid fields in request - GoalTypeName")

	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.AcceptGoalTypeName = true })
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/create", createBody(rec, ""))
	wantOK(t, a)
	if g, _ := s.Goal(str(a.Body, "data", "goal", "Gsid")); g.GoalTypeName != "Adoption" {
		t.Fatalf("%+v", g)
	}
	wantException(t, do(t, s, http.MethodPost, "/v1/csgoal/external/create",
		createBody(`{ "Name": "g", "StatusName": "New", "GoalTypeName": "Nope", "EntityType": "COMPANY", "CompanyName": "IBM" }`, "")),
		"Invalid GoalTypeName provided in request")
}

func TestCustomFields(t *testing.T) {
	sel := func(f string) string { return `{ "select": ["Gsid", "` + f + `"] }` }
	where := func(f string) string {
		return `{ "select": ["Gsid"], "where": { "conditions": [ { "fieldName": "` + f + `", "value": ["x"], "alias": "A", "operator": "EQ" } ] } }`
	}
	rec := func(f string) string {
		return createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "`+f+`": "x" }`, "")
	}

	s := gainsighttest.NewServer(t)
	for _, f := range gainsighttest.DefaultCustomFields() {
		wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", sel(f)))
		wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", where(f)))
	}
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/create", rec("goalrelay_external_id__gc")))
	wantException(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", sel("region__gc")), "Invalid fields in select clause - region__gc")
	wantException(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", where("region__gc")), "Invalid fields in where clause - region__gc")
	wantException(t, do(t, s, http.MethodPost, "/v1/csgoal/external/create", rec("region__gc")), "Invalid fields in request - region__gc")

	// A tenant that defines other fields, empty or seeded.
	for _, empty := range []bool{false, true} {
		c := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
			o.CustomFields, o.Empty = []string{"region__gc"}, empty
		})
		wantOK(t, do(t, c, http.MethodPost, "/v1/csgoal/external/fetch", sel("region__gc")))
		wantException(t, do(t, c, http.MethodPost, "/v1/csgoal/external/fetch", sel("crm_stage__gc")), "Invalid fields in select clause - crm_stage__gc")
	}
	// Empty tenants define the default fields too.
	e := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.Empty = true })
	wantOK(t, do(t, e, http.MethodPost, "/v1/csgoal/external/fetch", where("goalrelay_external_id__gc")))
}

// ErrorsAsTable answers the table's 400 envelopes where the samples answer
// a 500 CSGoalException.
func TestValidationErrorsAsTable(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.ValidationErrors = gainsighttest.ErrorsAsTable })
	wantCode(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", `{ "select": ["Gsd"] }`), 400, "8009")
	wantCode(t, do(t, s, http.MethodPost, "/v1/csgoal/external/create",
		createBody(`{ "Name": "g", "StatusName": "Nope", "EntityType": "COMPANY", "CompanyName": "IBM" }`, "")), 400, "8010")
	wantCode(t, do(t, s, http.MethodPost, "/v1/csgoal/external/create",
		createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "x__gc": 1 }`, "")), 400, "8009")
	// Other "Invalid ..." failures keep the sample's shape.
	wantException(t, do(t, s, http.MethodPut, "/v1/csgoal/external/update",
		`{ "requests": [ { "record": { "Gsid": "1CG0NOPE", "Name": "x", "StatusName": "New" } } ] }`), "Invalid Gsid")
}
