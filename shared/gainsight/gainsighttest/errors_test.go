package gainsighttest_test

import (
	"fmt"
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
		spring    bool   // a Spring-style 404 or 405 body with status
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
		{"goal type name on a goal", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "GoalTypeName": "Default", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid fields in request - GoalTypeName"}},
		{"goal type name on a goal update", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "Name": "x", "StatusName": "New", "GoalTypeName": "Default" } } ] }`,
			want{exception: "Invalid fields in request - GoalTypeName"}},
		{"unknown custom field in a record", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM", "nope__gc": "x" }`, ""),
			want{exception: "Invalid fields in request - nope__gc"}},
		{"unknown custom field on update", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "Name": "x", "StatusName": "New", "nope__gc": "x" } } ] }`,
			want{exception: "Invalid fields in request - nope__gc"}},
		{"update without Name", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "StatusName": "New" } } ] }`,
			want{exception: "Invalid Name provided in request"}},
		{"update without status", http.MethodPut, update,
			`{ "requests": [ { "record": { "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "Name": "x" } } ] }`,
			want{exception: "Invalid StatusName provided in request"}},
		{"unknown goal type id", http.MethodPost, create,
			createBody(`{ "Name": "g", "StatusName": "New", "GoalTypeId": "1I00NOPE", "EntityType": "COMPANY", "CompanyName": "IBM" }`, ""),
			want{exception: "Invalid GoalTypeId"}},
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
			`{ "requests": [ { "record": { "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "Name": "x", "StatusName": "New" }, "dissociation": { "CTA": [] } } ] }`,
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
		{"wrong method", http.MethodGet, create, ``, want{status: 405, spring: true}},
		{"wrong method on metrics delete", http.MethodDelete, "/csgoal/external/metric/", `{"recordIds": ["x"]}`, want{status: 405, spring: true}},
		{"unknown path", http.MethodPost, "/v1/csgoal/external/nothing", `{}`, want{status: 404, spring: true}},
		{"root", http.MethodGet, "/", ``, want{status: 404, spring: true}},
		{"goal create without /v1", http.MethodPost, "/csgoal/external/create", createBody(okRecord, ""), want{status: 404, spring: true}},
		{"metric create under /v1", http.MethodPost, "/v1/csgoal/external/metric/", `{ "requests": [ { "record": { "name": "x" } } ] }`, want{status: 404, spring: true}},
		{"metric create without its trailing slash", http.MethodPost, "/csgoal/external/metric", `{ "requests": [ { "record": { "name": "x" } } ] }`, want{status: 404, spring: true}},
		{"metric delete under /v1", http.MethodDelete, "/v1/csgoal/external/metrics", `{ "recordIds": ["1I0056K976K5AXWOB1NB0L2GCSS77AMROJ8W"] }`, want{status: 404, spring: true}},
		{"picklist by POST", http.MethodPost, "/v1/csgoal/external/admin/picklist", `{}`, want{status: 405, spring: true}},
		{"metric in use", http.MethodDelete, "/csgoal/external/metrics", `{ "recordIds": ["1I0056K976K5AXWOB1XICUZ6DNSP6MZDCWNQ"] }`,
			want{status: 400, code: "VC_8026"}},
		{"metric unknown on delete", http.MethodDelete, "/csgoal/external/metrics", `{ "recordIds": ["1I00NOPE"] }`,
			want{status: 400, code: "VC_1002"}},
		{"metric update unknown gsid", http.MethodPut, "/csgoal/external/metric/", `{ "requests": [ { "record": { "gsid": "1I00NOPE", "name": "x" } } ] }`,
			want{status: 400, code: "VC_1002"}},
		{"metric bad unit", http.MethodPost, "/csgoal/external/metric/", `{ "requests": [ { "record": { "name": "x", "unitOfMeasure": "FURLONGS" } } ] }`,
			want{status: 400, code: "VC_1002"}},
		{"metric duplicate name", http.MethodPost, "/csgoal/external/metric/", `{ "requests": [ { "record": { "name": "NPS" } } ] }`,
			want{status: 400, code: "VC_1002"}},
		{"metric unknown goal type name", http.MethodPost, "/csgoal/external/metric/", `{ "requests": [ { "record": { "name": "x" }, "associateGoalTypeNames": ["Nope"] } ] }`,
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
			} else if tt.want.spring {
				wantSpring(t, a, tt.want.status, tt.path)
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
	a := do(t, s, http.MethodDelete, "/csgoal/external/metrics", `{ "recordIds": ["1I0056K976K5AXWOB1XICUZ6DNSP6MZDCWNQ"] }`)
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
			`{ "requests": [ { "record": { "Gsid": "`+gsid+`", "Name": "g", "StatusName": "New", "metricsDissociation": ["`+nps+`"] } } ] }`))
	}
	wantOK(t, do(t, s, http.MethodPut, "/v1/csgoal/external/template",
		`{ "requests": [ { "record": { "Gsid": "1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX", "metricsDissociation": [{"metricId": "`+nps+`"}] } } ] }`))
	a = do(t, s, http.MethodDelete, "/csgoal/external/metrics", `{ "recordIds": ["`+nps+`"] }`)
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

// Each endpoint is served on one path and with one method; the options
// choose the variant where the spec is ambiguous, and the other variant
// gets what a gateway answers, never a success.
func TestOneVariantPerEndpoint(t *testing.T) {
	const (
		metric   = "/csgoal/external/metric/"
		metrics  = "/csgoal/external/metrics"
		template = "/v1/csgoal/external/template"
	)
	tplUpdate := func(days int) string {
		return fmt.Sprintf(`{ "requests": [ { "record": { "Gsid": "1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX", "DueDate": %d } } ] }`, days)
	}
	for _, tc := range []struct {
		name            string
		opt             func(*gainsighttest.Options)
		served, refused string // metric path prefixes
		update, other   string // template update method, and the other one
	}{
		{"defaults", func(*gainsighttest.Options) {}, "", "/v1", http.MethodPut, http.MethodPost},
		{"v1 metrics", func(o *gainsighttest.Options) { o.MetricPaths = gainsighttest.MetricPathsV1 }, "/v1", "", http.MethodPut, http.MethodPost},
		{"POST template update", func(o *gainsighttest.Options) { o.TemplateUpdateMethod = http.MethodPost }, "", "/v1", http.MethodPost, http.MethodPut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := gainsighttest.NewServer(t, tc.opt)
			a := do(t, s, http.MethodPost, tc.served+metric, `{ "requests": [ { "record": { "name": "m1" } } ] }`)
			wantOK(t, a)
			id := str(a.Body, "data", "successList", 0, "gsid")
			wantOK(t, do(t, s, http.MethodPut, tc.served+metric, `{ "requests": [ { "record": { "gsid": "`+id+`", "name": "m2" } } ] }`))
			for _, m := range []string{http.MethodPost, http.MethodPut} {
				wantSpring(t, do(t, s, m, tc.refused+metric, `{ "requests": [ { "record": { "name": "m3" } } ] }`), 404, tc.refused+metric)
			}
			wantSpring(t, do(t, s, http.MethodDelete, tc.refused+metrics, `{ "recordIds": ["`+id+`"] }`), 404, tc.refused+metrics)
			wantOK(t, do(t, s, http.MethodDelete, tc.served+metrics, `{ "recordIds": ["`+id+`"] }`))
			if s.MetricID("m3") != "" || s.MetricID("m2") != "" {
				t.Fatalf("metrics %+v", s.Metrics())
			}

			wantOK(t, do(t, s, tc.update, template, tplUpdate(26)))
			if g, _ := s.Goal("1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX"); g.DueDays != 26 {
				t.Fatalf("%+v", g)
			}
			a = do(t, s, tc.other, template, tplUpdate(27))
			if tc.other == http.MethodPut {
				wantSpring(t, a, 405, template)
				if a.Header.Get("Allow") != "POST" {
					t.Fatalf("Allow %q", a.Header.Get("Allow"))
				}
			} else {
				// POST is template create: a record with a Gsid fails there.
				wantOK(t, a)
				if len(list(a.Body, "data", "successList")) != 0 ||
					!strings.HasPrefix(str(a.Body, "data", "failureList", 0, "message"), "Invalid Gsid") {
					t.Fatal(a.Raw)
				}
			}
			if g, _ := s.Goal("1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX"); g.DueDays != 26 {
				t.Fatalf("the other variant changed the template: %+v", g)
			}
		})
	}

	// Goal endpoints and the picklist live under /v1 only, without a
	// trailing slash; the picklist is a GET.
	s := gainsighttest.NewServer(t)
	wantOK(t, do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", `{"select": ["Gsid"]}`))
	for _, p := range []string{"/csgoal/external/fetch", "/v1/csgoal/external/fetch/"} {
		wantSpring(t, do(t, s, http.MethodPost, p, `{"select": ["Gsid"]}`), 404, p)
	}
	wantOK(t, do(t, s, http.MethodGet, "/v1/csgoal/external/admin/picklist", nil)) // no body: defaults
	wantSpring(t, do(t, s, http.MethodPost, "/v1/csgoal/external/admin/picklist", `{}`), 405, "/v1/csgoal/external/admin/picklist")
	a := do(t, s, http.MethodPatch, template, `{}`)
	if a.Status != http.StatusMethodNotAllowed || a.Header.Get("Allow") != "POST, PUT" {
		t.Fatalf("%d %q", a.Status, a.Header.Get("Allow"))
	}

	// AcceptBothVariants (lenient) serves both at once.
	both := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.AcceptBothVariants = true })
	for _, p := range []string{"", "/v1"} {
		wantOK(t, do(t, both, http.MethodPost, p+metric, `{ "requests": [ { "record": { "name": "m`+p+`" } } ] }`))
	}
	wantOK(t, do(t, both, http.MethodPut, template, tplUpdate(28)))
	wantOK(t, do(t, both, http.MethodPost, template, tplUpdate(29)))
	if g, _ := both.Goal("1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX"); g.DueDays != 29 {
		t.Fatalf("%+v", g)
	}
}
