package gainsighttest_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// createGoal creates a COMPANY goal on IBM with extra record members.
func createGoal(t *testing.T, s *gainsighttest.Server, name, extra string) string {
	t.Helper()
	rec := `{ "Name": "` + name + `", "StatusName": "New", "EntityType": "COMPANY", "CompanyName": "IBM"` + extra + ` }`
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/create", createBody(rec, ""))
	wantOK(t, a)
	return str(a.Body, "data", "goal", "Gsid")
}

func fetchNames(t *testing.T, s *gainsighttest.Server, body string) []string {
	t.Helper()
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/fetch", body)
	wantOK(t, a)
	var names []string
	for _, r := range list(a.Body, "data", "recordList") {
		names = append(names, str(r, "dataList", "Name"))
	}
	return names
}

func TestFetchPagination(t *testing.T) {
	s := gainsighttest.NewServer(t)
	for i := range 25 {
		createGoal(t, s, fmt.Sprintf("page-%02d", i), fmt.Sprintf(`, "goalrelay_external_id__gc": "p-%02d"`, i))
	}
	where := `{ "conditions": [ { "fieldName": "goalrelay_external_id__gc", "value": ["p-"], "alias": "A", "operator": "STARTS_WITH" } ], "expression": "A" }`
	var all []string
	for page, want := range []int{10, 10, 5, 0} {
		names := fetchNames(t, s, fmt.Sprintf(`{ "select": ["Name"], "where": %s, "pageSize": 10, "pageNumber": %d }`, where, page+1))
		if len(names) != want {
			t.Fatalf("page %d: %d records, want %d", page+1, len(names), want)
		}
		all = append(all, names...)
	}
	if len(all) != 25 || all[0] != "page-00" || all[24] != "page-24" || !slices.IsSorted(all) {
		t.Fatalf("records across pages: %v", all)
	}
	// Defaults: pageSize 100, pageNumber 1.
	if n := len(fetchNames(t, s, `{ "select": ["Name"], "where": `+where+` }`)); n != 25 {
		t.Fatal(n)
	}
}

func TestFetchOperators(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.Empty = true })
	s.AddCompany("IBM")
	s.AddCustomField("goalrelay_external_id__gc")
	s.AddCustomField("score__gc")
	createGoal(t, s, "Alpha", `, "DueDate": "2026-01-10", "goalrelay_external_id__gc": "x1", "score__gc": 5`)
	createGoal(t, s, "alphabet soup", `, "DueDate": "2026-03-01", "score__gc": 40`)
	createGoal(t, s, "Beta", `, "DueDate": "2026-02-15", "goalrelay_external_id__gc": "x3", "score__gc": 100`)
	createGoal(t, s, "Gamma", `, "goalrelay_external_id__gc": ""`)

	cond := func(field, op, values string) string {
		return fmt.Sprintf(`{ "select": ["Name"], "where": { "conditions": [ { "fieldName": %q, "value": %s, "alias": "A", "operator": %q } ], "expression": "A" } }`, field, values, op)
	}
	tests := []struct {
		name, body string
		want       []string
	}{
		{"EQ is case-sensitive", cond("Name", "EQ", `["alpha"]`), nil},
		{"EQ exact", cond("Name", "EQ", `["Alpha"]`), []string{"Alpha"}},
		{"EQ several values acts as IN", cond("Name", "EQ", `["Alpha", "beta"]`), []string{"Alpha"}},
		{"IN is case-sensitive", cond("Name", "IN", `["BETA", "gamma"]`), nil},
		{"NE is case-sensitive", cond("Name", "NE", `["alpha"]`), []string{"Alpha", "alphabet soup", "Beta", "Gamma"}},
		{"EQ numeric", cond("score__gc", "EQ", `["5.0"]`), []string{"Alpha"}},
		{"EQ scalar value", cond("Name", "EQ", `"Beta"`), []string{"Beta"}},
		{"NE", cond("Name", "NE", `["Alpha"]`), []string{"alphabet soup", "Beta", "Gamma"}},
		{"IN", cond("Name", "IN", `["Beta", "Gamma", "Delta"]`), []string{"Beta", "Gamma"}},
		{"NOT_IN", cond("Name", "NOT_IN", `["Beta", "Gamma"]`), []string{"Alpha", "alphabet soup"}},
		{"CONTAINS", cond("Name", "CONTAINS", `["ET"]`), []string{"alphabet soup", "Beta"}},
		{"NOT_CONTAINS", cond("Name", "NOT_CONTAINS", `["a"]`), nil},
		{"STARTS_WITH", cond("Name", "STARTS_WITH", `["ALPHA"]`), []string{"Alpha", "alphabet soup"}},
		{"ENDS_WITH", cond("Name", "ENDS_WITH", `["MA"]`), []string{"Gamma"}},
		{"GT numeric", cond("score__gc", "GT", `[9]`), []string{"alphabet soup", "Beta"}},
		{"GTE numeric", cond("score__gc", "GTE", `["40"]`), []string{"alphabet soup", "Beta"}},
		{"LT numeric", cond("score__gc", "LT", `[40]`), []string{"Alpha"}},
		{"LTE numeric", cond("score__gc", "LTE", `[40]`), []string{"Alpha", "alphabet soup"}},
		{"GT date", cond("DueDate", "GT", `["2026-02-01"]`), []string{"alphabet soup", "Beta"}},
		{"LT date", cond("DueDate", "LT", `["2026-02-01"]`), []string{"Alpha"}},
		{"BTW date", cond("DueDate", "BTW", `["2026-01-01", "2026-02-28"]`), []string{"Alpha", "Beta"}},
		{"IS_NULL", cond("DueDate", "IS_NULL", `[]`), []string{"Gamma"}},
		{"IS_NULL empty string", cond("goalrelay_external_id__gc", "IS_NULL", `null`), []string{"alphabet soup", "Gamma"}},
		{"IS_NOT_NULL", cond("goalrelay_external_id__gc", "IS_NOT_NULL", `[]`), []string{"Alpha", "Beta"}},
		{"CreatedDate GT 0", cond("CreatedDate", "GT", `[0]`), []string{"Alpha", "alphabet soup", "Beta", "Gamma"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fetchNames(t, s, tt.body); !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFetchExpressions(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.Empty = true })
	s.AddCompany("IBM")
	s.AddCustomField("crm_stage__gc")
	for _, g := range []struct{ name, stage string }{{"a1", "won"}, {"a2", "lost"}, {"b1", "won"}, {"b2", "open"}} {
		createGoal(t, s, g.name, `, "crm_stage__gc": "`+g.stage+`"`)
	}
	conds := `[ { "fieldName": "Name", "value": ["a"], "alias": "A", "operator": "STARTS_WITH" },
	            { "fieldName": "Name", "value": ["b"], "alias": "B", "operator": "STARTS_WITH" },
	            { "fieldName": "crm_stage__gc", "value": ["won"], "alias": "W", "operator": "EQ" } ]`
	tests := []struct {
		expr string
		want []string
	}{
		{"A", []string{"a1", "a2"}},
		{"A AND W", []string{"a1"}},
		{"A OR B", []string{"a1", "a2", "b1", "b2"}},
		{"B OR A AND W", []string{"a1", "b1", "b2"}},   // AND before OR
		{"(B OR A) AND W", []string{"a1", "b1"}},       // parentheses first
		{"W AND (A OR B) AND W", []string{"a1", "b1"}}, //
		{"A AND B", nil},                               //
		{"", []string{}},                               // empty: AND of all
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got := fetchNames(t, s, `{ "select": ["Name"], "where": { "conditions": `+conds+`, "expression": "`+tt.expr+`" } }`)
			if len(got) != len(tt.want) || !slices.Equal(got, tt.want) && len(tt.want) > 0 {
				t.Fatalf("%q: got %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	s := gainsighttest.NewServer(t)
	first := s.CompanyID("Globex")
	second := s.AddCompany("Globex")
	lookup := func(multi, noMatch string) string {
		return `"lookups": { "CompanyId": { "fields": { "CompanyName": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "` + multi + `", "onNoMatch": "` + noMatch + `" } }`
	}
	rec := func(company string) string {
		return `{ "requests": [ { "record": { "Name": "g", "StatusName": "New", "EntityType": "GLOBAL", "CompanyName": "` + company + `" } } ], `
	}
	tests := []struct {
		name, body  string
		wantCode    string
		wantCompany any
	}{
		{"FIRSTMATCH takes the oldest", rec("Globex") + lookup("FIRSTMATCH", "ERROR") + "}", "", first},
		{"MARKASERROR refuses several", rec("Globex") + lookup("MARKASERROR", "ERROR") + "}", "8008", nil},
		{"MARKASERROR single match", rec("IBM") + lookup("MARKASERROR", "ERROR") + "}", "", s.CompanyID("IBM")},
		{"onNoMatch ERROR", rec("Nobody") + lookup("FIRSTMATCH", "ERROR") + "}", "8008", nil},
		{"onNoMatch NULL", rec("Nobody") + lookup("FIRSTMATCH", "NULL") + "}", "", nil},
		{"lowercase options", rec("Globex") + lookup("firstmatch", "error") + "}", "", first},
		{"names match exactly", rec("globex") + lookup("FIRSTMATCH", "ERROR") + "}", "8008", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, s, http.MethodPost, "/v1/csgoal/external/create", tt.body)
			if tt.wantCode != "" {
				wantCode(t, a, http.StatusBadRequest, tt.wantCode)
				return
			}
			wantOK(t, a)
			if got := get(a.Body, "data", "goal", "CompanyId"); got != tt.wantCompany {
				t.Fatalf("CompanyId %v, want %v", got, tt.wantCompany)
			}
		})
	}
	_ = second

	// A relationship goal resolves the relationship, and takes its company.
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/create", `{ "requests": [ { "record": { "Name": "r", "StatusName": "On Track", "EntityType": "RELATIONSHIP", "RelationshipName": "IBM Cloud" } } ],
		"lookups": { "RelationshipId": { "fields": { "RelationshipName": "Name" }, "lookupField": "Gsid", "objectName": "relationship", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" } } }`)
	wantOK(t, a)
	if str(a.Body, "data", "goal", "RelationshipId") != s.RelationshipID("IBM Cloud") || str(a.Body, "data", "goal", "CompanyId") != s.CompanyID("IBM") ||
		str(a.Body, "data", "goal", "RelationshipTypeId") == "" {
		t.Fatal(a.Raw)
	}
}

func TestGoalFromTemplateAndMetricValues(t *testing.T) {
	clock := gainsighttest.NewManualClock(mustTime(t, "2026-03-01T10:00:00Z"))
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.Now = clock.Now })
	tpl := "1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX" // 30 days, NPS metric
	gsid := createGoal(t, s, "from template", `, "TemplateId": "`+tpl+`"`)
	g, _ := s.Goal(gsid)
	if g.DueDate != "2026-03-31" || g.TemplateID != tpl || len(g.Metrics) != 1 || g.Metrics[0].MetricID != s.MetricID("NPS") || g.CreatedDate != clock.Now().UnixMilli() {
		t.Fatalf("%+v", g)
	}
	clock.Advance(time.Second)
	nps := s.MetricID("NPS")
	for _, upd := range []string{
		`{"metricId": "` + nps + `", "baseValue": 10, "targetValue": 50, "actualValue": [{"value": 20, "timestamp": "2026-03-02"}]}`,
		`{"metricId": "` + nps + `", "actualValue": [{"value": 25, "timestamp": "2026-03-02"}, {"value": 30, "timestamp": "2026-03-01"}]}`,
	} {
		wantOK(t, do(t, s, http.MethodPut, "/v1/csgoal/external/update",
			`{ "requests": [ { "record": { "Gsid": "`+gsid+`", "Name": "from template", "StatusName": "New", "metricsAssociation": [`+upd+`] } } ] }`))
	}
	g, _ = s.Goal(gsid)
	m := g.Metrics[0]
	if *m.BaseValue != 10 || *m.TargetValue != 50 || len(m.ActualValue) != 2 ||
		m.ActualValue[0] != (gainsighttest.ActualValue{Value: 30, Timestamp: "2026-03-01"}) ||
		m.ActualValue[1] != (gainsighttest.ActualValue{Value: 25, Timestamp: "2026-03-02"}) {
		t.Fatalf("%+v", m)
	}
	if g.ModifiedDate <= g.CreatedDate {
		t.Fatalf("ModifiedDate %d, CreatedDate %d", g.ModifiedDate, g.CreatedDate)
	}
}

func TestTemplateFailureListAndFetchShapes(t *testing.T) {
	s := gainsighttest.NewServer(t)
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/template", `{ "requests": [
		{ "record": { "Name": "ok", "DueDate": 10 } },
		{ "record": { "Name": "bad days", "DueDate": "2026-01-01" } },
		{ "record": { "Name": "bad status", "StatusName": "Nope" } },
		{ "record": { "Gsid": "1CG0NOPE", "Name": "x" } } ] }`)
	wantOK(t, a)
	if len(list(a.Body, "data", "successList")) != 1 || len(list(a.Body, "data", "failureList")) != 3 ||
		get(a.Body, "data", "failureList", 1, "index") != 2.0 || str(a.Body, "data", "failureList", 0, "errorCode") != "CSGoalException" {
		t.Fatal(a.Raw)
	}
	a = do(t, s, http.MethodPut, "/v1/csgoal/external/template", `{ "requests": [ { "record": { "Name": "no gsid" } } ] }`)
	wantOK(t, a)
	if len(list(a.Body, "data", "failureList")) != 1 {
		t.Fatal(a.Raw)
	}
	a = do(t, s, http.MethodDelete, "/v1/csgoal/external/template/delete", `{ "recordIds": ["1CG01SX5TCMHZ0OXX0750YQUGDZ3WPZ50KBY", "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9"] }`)
	wantOK(t, a)
	if get(a.Body, "data", "success") != false || get(a.Body, "data", "failCount") != 1.0 {
		t.Fatal(a.Raw)
	}
	if _, ok := s.Goal("1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9"); !ok {
		t.Fatal("template delete removed a goal")
	}

	bare := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.TemplateFetchBare = true })
	a = do(t, bare, http.MethodPost, "/v1/csgoal/external/template/fetch", `{ "select": ["Name", "DueDate"] }`)
	if a.Status != 200 || a.Body["result"] != nil || len(list(a.Body, "recordList")) != len(bare.Templates()) {
		t.Fatal(a.Raw)
	}
}

func TestPicklistFilters(t *testing.T) {
	s := gainsighttest.NewServer(t)
	names := func(a answer) []string {
		var out []string
		for _, p := range list(a.Body, "data", "picklists") {
			out = append(out, str(p, "name"))
		}
		return out
	}
	const path = "/v1/csgoal/external/admin/picklist"
	all := names(do(t, s, http.MethodGet, path, `{}`))
	active := names(do(t, s, http.MethodGet, path, `{"active": true}`))
	if !slices.Contains(all, "Legacy Onboarding") || slices.Contains(active, "Legacy Onboarding") || len(active) != len(all)-1 {
		t.Fatalf("all %q, active %q", all, active)
	}
	relType := names(do(t, s, http.MethodGet, path, `{"entityIds": ["RELATIONSHIP_TYPE_NONE"]}`))
	if slices.Contains(relType, "Renewal") || !slices.Contains(relType, "Default") {
		t.Fatalf("%q", relType)
	}
	st := do(t, s, http.MethodGet, path, `{"picklistCategory": "GOAL_STATUS"}`)
	got := names(st)
	if !slices.Equal(got, []string{"New", "On Track", "At Risk", "Achieved", "Not Achieved", "Closed", "In Progress"}) {
		t.Fatalf("%q", got)
	}
	if get(st.Body, "data", "picklists", 3, "openStatusType") != false || get(st.Body, "data", "picklists", 0, "openStatusType") != true {
		t.Fatal(st.Raw)
	}
	// The spec never shows metrics filled: null by default, the
	// simulator's guess with PicklistDetails.
	if m := do(t, s, http.MethodGet, path, `{"entityIds": ["COMPANY"], "includeMetrics": true}`); get(m.Body, "data", "metrics") != nil {
		t.Fatal(m.Raw)
	}
	detailed := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.PicklistDetails = true })
	m := do(t, detailed, http.MethodGet, path, `{"entityIds": ["COMPANY"], "includeMetrics": true, "includeChildPicklist": true}`)
	if ms := list(m.Body, "data", "metrics"); len(ms) == 0 || len(list(ms[0], "goalTypeIds")) == 0 ||
		len(list(m.Body, "data", "picklists", 0, "childPicklistIds", "GOAL_STATUS")) == 0 || len(list(m.Body, "data", "childPicklists")) == 0 {
		t.Fatal(m.Raw)
	}
	id := s.AddGoalType("Onboarding v2", "COMPANY")
	if ids := names(do(t, s, http.MethodGet, path, `{}`)); !slices.Contains(ids, "Onboarding v2") || id == "" {
		t.Fatalf("%q", ids)
	}
}
