package gainsighttest_test

import (
	"net/http"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

const sampleCreate = `{ "requests": [ { "record": { "Name": "create_test1", "StatusName" : "New", "DueDate": "2022-12-21", "Description": "<p><br>Desc 7</p>", "CompanyName": "IBM", "cf_picklist__gc": "CISCO", "EntityType": "COMPANY" }, "association": { "CTA": ["1S010R2NEBJLG2RT8IP6XWLYWZDDAVCXEK5J","1S010R2NEBJLG2RT8I19P44KW9MBT5QG6NBC"], "SP": ["1S02J57N1K69N1VBJKLIBNH5YIJBBWEUOK4B"] } } ], "lookups": { "CompanyId": { "fields": { "CompanyName": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" } } }`

func TestGoalCreateSample(t *testing.T) {
	s := gainsighttest.NewServer(t)
	a := do(t, s, http.MethodPost, "/v1/csgoal/external/create", sampleCreate)
	wantOK(t, a)
	gsid := str(a.Body, "data", "goal", "Gsid")
	g, ok := s.Goal(gsid)
	if !ok {
		t.Fatalf("goal %s not stored: %s", gsid, a.Raw)
	}
	if g.Name != "create_test1" || g.StatusName != "New" || g.CompanyID != s.CompanyID("IBM") || len(g.CTAs) != 2 || len(g.SPs) != 1 {
		t.Fatalf("stored goal: %+v", g)
	}
	if str(a.Body, "data", "goal", "StatusId__gr", "Name") != "New" {
		t.Fatalf("answer: %s", a.Raw)
	}
}
