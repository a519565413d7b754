package gainsighttest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

const lookupIBM = `"lookups": { "CompanyId": { "fields": { "CompanyName": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" } }`

func createBody(record, extra string) string {
	b := `{ "requests": [ { "record": ` + record
	if extra != "" {
		b += ", " + extra
	}
	return b + ` } ], ` + lookupIBM + ` }`
}

const okRecord = `{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM" }`

// Every error answer of the spec, and the simulator's own, from raw HTTP.
func TestErrorAnswers(t *testing.T) {
	const (
		create = "/v1/csgoal/external/create"
		update = "/v1/csgoal/external/update"
		fetch  = "/v1/csgoal/external/fetch"
	)
	fetchBody := func(sel, where, page string) string {
		b := `{ "select": ` + sel
		if where != "" {
			b += `, "where": ` + where
		}
		if page != "" {
			b += ", " + page
		}
		return b + " }"
	}
	type want struct {
		status    int
		code      string // envelope errorCode
		exception string // CSGoalException message prefix
	}
	tests := []struct {
		name, method, path, body string
		want                     want
	}{
		{"invalid status name", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "Nope", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid StatusName provided in request"}},
		{"invalid status id", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusId": "1I00XXXX", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid StatusId provided in request"}},
		{"missing status", http.MethodPost, create,
			createBody(`{ "Name": "g", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid StatusName provided in request"}},
		{"invalid goal type name", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "GoalTypeName": "Nope", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid GoalTypeName provided in request"}},
		{"inactive goal type", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "GoalTypeName": "Legacy Onboarding", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid GoalTypeName"}},
		{"missing name", http.MethodPost, create,
			createBody(`{ "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid Name provided in request"}},
		{"bad entity type", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "PLANET", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid EntityType"}},
		{"company goal without company", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY" }`, ""),
			want{exception: "Invalid CompanyId"}},
		{"bad due date", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "DueDate": "31/12/2026" }`, ""),
			want{exception: "Invalid DueDate"}},
		{"unknown field", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "colour__gc": "red" }`, ""),
			want{exception: "Invalid fields in request - colour__gc"}},
		{"read-only field", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "CreatedDate": 1 }`, ""),
			want{exception: "Invalid fields in request - CreatedDate"}},
		{"unknown metric", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "metricsAssociation": [{"metricId": "1I00NOPE"}] }`, ""),
			want{exception: "Invalid metricId"}},
		{"metric not linked to goal type", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "metricsAssociation": [{"metricId": "1I0056K976K5AXWOB1NB0L2GCSS77AMROJ8W"}] }`, ""),
			want{exception: "Invalid metricId"}},
		{"bulk create", http.MethodPost, create,
			`{ "requests": [ { "record": ` + okRecord + ` }, { "record": ` + okRecord + ` } ], ` + lookupIBM + ` }`,
			want{exception: "Invalid request - a create carries exactly one goal"}},
		{"no request", http.MethodPost, create, `{ "requests": [] }`,
			want{exception: "Invalid request"}},
		{"create with Gsid", http.MethodPost, create,
			createBody(`{ "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid Gsid"}},
		{"empty CTA set", http.MethodPost, create, createBody(okRecord, `"association": { "CTA": [] }`),
			want{status: 400, code: "8001"}},
		{"empty SP set", http.MethodPost, create, createBody(okRecord, `"association": { "SP": [] }`),
			want{status: 400, code: "8002"}},
		{"empty CTA dissociation on update", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9" }, "dissociation": { "CTA": [] } } ] }`,
			want{status: 400, code: "8001"}},
		{"unknown CTA", http.MethodPost, create, createBody(okRecord, `"association": { "CTA": ["1S01NOPE"] }`),
			want{exception: "Invalid CTA Gsid"}},
		{"unknown SP", http.MethodPost, create, createBody(okRecord, `"association": { "SP": ["1S02NOPE"] }`),
			want{exception: "Invalid Success Plan Gsid"}},
		{"lookup no match", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "Nobody Inc" }`, ""),
			want{status: 400, code: "8008"}},
		{"lookup unknown object", http.MethodPost, create,
			`{ "requests": [ { "record": ` + okRecord + ` } ], "lookups": { "CompanyId": { "fields": { "CompanyName": "Name" }, "lookupField": "Gsid", "objectName": "planet", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" } } }`,
			want{status: 400, code: "8008"}},
		{"lookup bad target", http.MethodPost, create,
			`{ "requests": [ { "record": ` + okRecord + ` } ], "lookups": { "Name": { "fields": { "CompanyName": "Name" }, "lookupField": "Gsid", "objectName": "company" } } }`,
			want{status: 400, code: "8008"}},
		{"lookup bad multiMatchOption", http.MethodPost, create,
			`{ "requests": [ { "record": ` + okRecord + ` } ], "lookups": { "CompanyId": { "fields": { "CompanyName": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "ANY" } } }`,
			want{status: 400, code: "8008"}},
		{"lookup bad lookupField", http.MethodPost, create,
			`{ "requests": [ { "record": ` + okRecord + ` } ], "lookups": { "CompanyId": { "fields": { "CompanyName": "Name" }, "lookupField": "Shoe", "objectName": "company" } } }`,
			want{status: 400, code: "8008"}},
		{"CompanyName without lookup", http.MethodPost, create,
			`{ "requests": [ { "record": ` + okRecord + ` } ] }`,
			want{status: 400, code: "8008"}},
		{"unknown gsid on update", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Name": "x" } } ] }`,
			want{exception: "Invalid Gsid provided in request"}},
		{"template gsid on goal update", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX", "Name": "x" } } ] }`,
			want{exception: "Invalid Gsid provided in request"}},
		{"missing gsid on update", http.MethodPut, update,
			`{ "requests": [ { "record": { "Name": "x" } } ] }`,
			want{exception: "Invalid Gsid provided in request"}},
		{"empty name on update", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "Name": "" } } ] }`,
			want{exception: "Invalid Name provided in request"}},
		{"invalid status name on update", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "StatusName": "Sideways" } } ] }`,
			want{exception: "Invalid StatusName provided in request"}},
		{"invalid select field", http.MethodPost, fetch, fetchBody(`["Gsd"]`, "", ""),
			want{exception: "Invalid fields in select clause - Gsd"}},
		{"empty select", http.MethodPost, fetch, fetchBody(`[]`, "", ""),
			want{exception: "Invalid fields in select clause"}},
		{"invalid where field", http.MethodPost, fetch,
			fetchBody(`["Gsid"]`, `{ "conditions": [ { "fieldName": "Nme", "value": ["x"], "alias": "A", "operator": "EQ" } ], "expression": "A" }`, ""),
			want{exception: "Invalid fields in where clause - Nme"}},
		{"invalid operator", http.MethodPost, fetch,
			fetchBody(`["Gsid"]`, `{ "conditions": [ { "fieldName": "Name", "value": ["x"], "alias": "A", "operator": "LIKE" } ], "expression": "A" }`, ""),
			want{exception: "Invalid operator in where clause"}},
		{"invalid expression", http.MethodPost, fetch,
			fetchBody(`["Gsid"]`, `{ "conditions": [ { "fieldName": "Name", "value": ["x"], "alias": "A", "operator": "EQ" } ], "expression": "A AND (" }`, ""),
			want{exception: "Invalid expression in where clause"}},
		{"unknown alias in expression", http.MethodPost, fetch,
			fetchBody(`["Gsid"]`, `{ "conditions": [ { "fieldName": "Name", "value": ["x"], "alias": "A", "operator": "EQ" } ], "expression": "A OR B" }`, ""),
			want{exception: "Invalid expression in where clause - unknown alias B"}},
		{"duplicate alias", http.MethodPost, fetch,
			fetchBody(`["Gsid"]`, `{ "conditions": [ { "fieldName": "Name", "value": ["x"], "alias": "A", "operator": "EQ" }, { "fieldName": "Name", "value": ["y"], "alias": "A", "operator": "EQ" } ] }`, ""),
			want{exception: "Invalid alias"}},
		{"pageSize zero", http.MethodPost, fetch, fetchBody(`["Gsid"]`, "", `"pageSize": 0, "pageNumber": 1`),
			want{status: 400, code: "8007"}},
		{"pageSize too big", http.MethodPost, fetch, fetchBody(`["Gsid"]`, "", `"pageSize": 5001`),
			want{status: 400, code: "8007"}},
		{"pageNumber zero", http.MethodPost, fetch, fetchBody(`["Gsid"]`, "", `"pageSize": 10, "pageNumber": 0`),
			want{status: 400, code: "8007"}},
		{"pageNumber negative", http.MethodPost, fetch, fetchBody(`["Gsid"]`, "", `"pageNumber": -3`),
			want{status: 400, code: "8007"}},
		{"pageSize not a number", http.MethodPost, fetch, fetchBody(`["Gsid"]`, "", `"pageSize": "ten"`),
			want{status: 400, code: "8007"}},
		{"pageSize fractional", http.MethodPost, fetch, fetchBody(`["Gsid"]`, "", `"pageSize": 2.5`),
			want{status: 400, code: "8007"}},
		{"malformed JSON", http.MethodPost, create, `{ "requests": [ `, want{status: 400, code: "GS_4000"}},
		{"empty body", http.MethodPost, create, ``, want{status: 400, code: "GS_4000"}},
		{"unknown member", http.MethodPost, create, `{ "request": [] }`, want{status: 400, code: "GS_4000"}},
		{"wrong method", http.MethodGet, create, ``, want{status: 405, code: "GS_4050"}},
		{"wrong method on metrics delete", http.MethodDelete, "/csgoal/external/metric", `{"recordIds": ["x"]}`, want{status: 405, code: "GS_4050"}},
		{"unknown path", http.MethodPost, "/v1/csgoal/external/nothing", `{}`, want{status: 404, code: "GS_4040"}},
		{"root", http.MethodGet, "/", ``, want{status: 404, code: "GS_4040"}},
		{"metric in use", http.MethodDelete, "/csgoal/external/metrics", `{ "recordIds": ["1I0056K976K5AXWOB1XICUZ6DNSP6MZDCWNQ"] }`,
			want{status: 400, code: "VC_8026"}},
		{"metric unknown on delete", http.MethodDelete, "/csgoal/external/metrics", `{ "recordIds": ["1I00NOPE"] }`,
			want{status: 400, code: "VC_1002"}},
		{"metric update unknown gsid", http.MethodPut, "/csgoal/external/metric", `{ "requests": [ { "record": { "gsid": "1I00NOPE", "name": "x" } } ] }`,
			want{status: 400, code: "VC_1002"}},
		{"metric bad unit", http.MethodPost, "/csgoal/external/metric", `{ "requests": [ { "record": { "name": "x", "unitOfMeasure": "FURLONGS" } } ] }`,
			want{status: 400, code: "VC_1002"}},
		{"metric duplicate name", http.MethodPost, "/csgoal/external/metric", `{ "requests": [ { "record": { "name": "NPS" } } ] }`,
			want{status: 400, code: "VC_1002"}},
		{"metric unknown goal type name", http.MethodPost, "/csgoal/external/metric", `{ "requests": [ { "record": { "name": "x" }, "associateGoalTypeNames": ["Nope"] } ] }`,
			want{status: 400, code: "VC_1002"}},
		{"picklist bad category", http.MethodGet, "/v1/csgoal/external/admin/picklist", `{ "picklistCategory": "GOAL_COLOUR" }`,
			want{status: 400, code: "GS_4000"}},
		{"template delete empty", http.MethodDelete, "/v1/csgoal/external/template/delete", `{ "recordIds": [] }`,
			want{status: 400, code: "GS_4000"}},
	}
	s := gainsighttest.NewServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.Goals())
			a := do(t, s, tt.method, tt.path, tt.body)
			if tt.want.exception != "" {
				wantException(t, a, tt.want.exception)
				if p := str(a.Body, "path"); strings.HasPrefix(p, "/v1") || !strings.HasPrefix(p, "/csgoal/external/") {
					t.Errorf("path %q", p)
				}
			} else {
				wantCode(t, a, tt.want.status, tt.want.code)
			}
			if after := len(s.Goals()); after != before {
				t.Errorf("a refused request changed the tenant: %d goals, then %d", before, after)
			}
		})
	}
}

func TestMetricInUseErrorInfo(t *testing.T) {
	s := gainsighttest.NewServer(t)
	a := do(t, s, http.MethodDelete, "/v1/csgoal/external/metrics", `{ "recordIds": ["1I0056K976K5AXWOB1XICUZ6DNSP6MZDCWNQ"] }`)
	wantCode(t, a, 400, "VC_8026")
	if get(a.Body, "errorInfo", "hasUsage") != true || str(a.Body, "errorInfo", "usageInGoals", 0, "gsid") != "1CG0LXVS2HO4Y5ZF1FQZ4XVPN0VE1AJSZ415" ||
		str(a.Body, "errorInfo", "usageInGoals", 0, "name") != "gggg" || len(list(a.Body, "errorInfo", "usageInLayouts")) == 0 {
		t.Fatal(a.Raw)
	}
	// A template's use refuses too; once nothing uses it, delete works.
	nps := s.MetricID("NPS")
	a = do(t, s, http.MethodDelete, "/csgoal/external/metrics", `{ "recordIds": ["`+nps+`"] }`)
	wantCode(t, a, 400, "VC_8026")
	if len(list(a.Body, "errorInfo", "usageInGoals")) != 2 { // a goal and a template
		t.Fatal(a.Raw)
	}
	for _, gsid := range []string{"1CG0LXVS2HO4Y5ZF1F6TV4R7ZV0ZO6MPG6S1"} {
		wantOK(t, do(t, s, http.MethodPut, "/v1/csgoal/external/update",
			`{ "requests": [ { "record": { "Gsid": "`+gsid+`", "metricsDissociation": ["`+nps+`"] } } ] }`))
	}
	wantOK(t, do(t, s, http.MethodPut, "/v1/csgoal/external/template",
		`{ "requests": [ { "record": { "Gsid": "1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX", "metricsDissociation": [{"metricId": "`+nps+`"}] } } ] }`))
	a = do(t, s, http.MethodDelete, "/csgoal/external/metrics/", `{ "recordIds": ["`+nps+`"] }`)
	wantOK(t, a)
	if str(a.Body, "data", "deletedMetrics", 0, "gsid") != nps || s.MetricID("NPS") != "" {
		t.Fatal(a.Raw)
	}
}

func TestAuth(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.AccessKey = "k-123" })
	if s.AccessKey != "k-123" {
		t.Fatal(s.AccessKey)
	}
	for _, key := range []string{"", "wrong", "k-1234", "K-123"} {
		a := doKey(t, s, key, http.MethodPost, "/v1/csgoal/external/fetch", `{"select": ["Gsid"]}`)
		wantCode(t, a, http.StatusUnauthorized, "GS_4010")
		if strings.Contains(a.Raw, "k-123") {
			t.Fatal("answer reveals the key")
		}
	}
	wantOK(t, doKey(t, s, "k-123", http.MethodPost, "/v1/csgoal/external/fetch", `{"select": ["Gsid"]}`))
	st := s.Stats()
	if st.Unauthorized != 4 || st.Calls != 1 || st.Requests != 5 {
		t.Fatalf("%+v", st)
	}
	// A random key is generated when none is configured.
	if r := gainsighttest.NewServer(t); len(r.AccessKey) < 20 || r.AccessKey == s.AccessKey {
		t.Fatal(r.AccessKey)
	}
}

func TestOversizedBody(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.MaxBodyBytes = 1024 })
	big := `{"select": ["Gsid"], "x": "` + strings.Repeat("a", 2048) + `"}`
	wantCode(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", big), http.StatusRequestEntityTooLarge, "GS_4130")
}

func TestPathsWithAndWithoutV1(t *testing.T) {
	s := gainsighttest.NewServer(t)
	for _, p := range []string{
		"/v1/csgoal/external/fetch", "/csgoal/external/fetch", "/csgoal/external/fetch/", "/v1/csgoal/external/fetch/",
	} {
		wantOK(t, do(t, s, http.MethodPost, p, `{"select": ["Gsid"]}`))
	}
	for _, p := range []string{"/csgoal/external/metric", "/csgoal/external/metric/", "/v1/csgoal/external/metric", "/v1/csgoal/external/metric/"} {
		a := do(t, s, http.MethodPost, p, `{ "requests": [ { "record": { "name": "m `+p+`" } } ] }`)
		wantOK(t, a)
	}
	for _, p := range []string{"/v1/csgoal/external/admin/picklist", "/csgoal/external/admin/picklist"} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			wantOK(t, do(t, s, m, p, `{"picklistCategory": "GOAL_STATUS"}`))
		}
		wantOK(t, do(t, s, http.MethodGet, p, nil)) // no body: defaults
	}
	a := do(t, s, http.MethodPatch, "/v1/csgoal/external/template", `{}`)
	if a.Status != http.StatusMethodNotAllowed || a.Header.Get("Allow") != "POST, PUT" {
		t.Fatalf("%d %q", a.Status, a.Header.Get("Allow"))
	}
}
