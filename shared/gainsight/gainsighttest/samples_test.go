package gainsighttest_test

import (
	"net/http"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// The spec's sample requests (comments removed) run verbatim against the
// seeded tenant, on the paths the spec writes.
func TestSpecSamples(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		check                    func(t *testing.T, s *gainsighttest.Server, a answer)
	}{
		{"create goal", http.MethodPost, "/v1/csgoal/external/create", sampleCreate, func(t *testing.T, s *gainsighttest.Server, a answer) {
			if str(a.Body, "data", "goal", "cf_picklist__gc") != "CISCO" || str(a.Body, "data", "goal", "GoalCategory") != "GOAL" {
				t.Error(a.Raw)
			}
		}},
		{"update goal", http.MethodPut, "/v1/csgoal/external/update",
			`{ "requests": [ { "record": { "Name": "CG15", "StatusName" : "On Track", "DueDate": "2022-12-24", "Description": "<p><br>Updated Desc</p>", "Gsid": "1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9" }, "dissociation":{ "CTA": ["1S010R2NEBJLG2RT8IP6XWLYWZDDAVCXEK5J","1S010R2NEBJLG2RT8I19P44KW9MBT5QG6NBC"], "SP": ["1S02J57N1K69N1VBJKLIBNH5YIJBBWEUOK4B"] } } ] }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				g, _ := s.Goal("1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9")
				if g.DueDate != "2022-12-24" || len(g.CTAs) != 0 || len(g.SPs) != 0 || g.StatusName != "On Track" {
					t.Errorf("%+v", g)
				}
				if str(a.Body, "data", "record", "StatusId") != "1I005IUOFEZ24SJ62ZBMHBO3HEB0OV9XW41D" || get(a.Body, "data", "updatedGoals") != nil {
					t.Error(a.Raw)
				}
			}},
		{"fetch goal", http.MethodPost, "/v1/csgoal/external/fetch",
			`{ "select": [ "CompanyId", "Name", "RelationshipId", "OpportunityId", "Gsid" ], "where": { "conditions": [ { "fieldName": "Name", "value": ["CGnew"], "alias": "A", "operator": "EQ" } ], "expression": "A" }, "pageSize": 100, "pageNumber": 1 }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				recs := list(a.Body, "data", "recordList")
				if len(recs) != 1 || str(recs[0], "dataList", "Gsid") != "1CG03GFNBH1NOBHONDL3T69ND47717CRSH0C" ||
					get(recs[0], "dataList", "RelationshipId") != nil || list(recs[0], "associatedCTAs") == nil {
					t.Error(a.Raw)
				}
			}},
		{"create goal 2", http.MethodPost, "/v1/csgoal/external/create",
			`{ "requests": [ { "record": { "Name": "Custom Goal 1", "GoalTypeId": "1I00GO4Q83RGDEM94YM7VTGXMVT1E1JLKNQB", "StatusId": "1I005IUOFEZ24SJ62ZSP4PI1BZX88VUL4V1Z", "DueDate": "2025-01-07", "Description": "Feb Test Description ", "CompanyName": "IBM", "CompName": "NEW", "cust_string_value__gc": "custom value", "metricsAssociation": [ { "metricId": "1I0056K976K5AXWOB1XICUZ6DNSP6MZDCWNQ", "baseValue": 10.0, "actualValue": [ { "value": 5.0, "timestamp": "2025-01-04" } ], "targetValue": 8.0 } ], "EntityType": "GLOBAL", "AssociatedWork": [ "1I005G22HP9QX1NRFCZYV81Y6QHH30TMXP49", "1I005G22HP9QX1NRFC4O3YXDHJ7BZDIAOE4M"] }, "association": { "CTA": [ "1S015065Y1L4AP5SUXPXKGDH9S0CAT75F3CY", "1S015065Y1L4AP5SUXAN0N0MYVAFR66HRNQR" ], "SP": [ "1S02JJSBDT2ZT78W7NMT0VBJP3QF725QD8RC", "1S02JJSBDT2ZT78W7N3SX0J712OA8HOTBSQ7" ] } } ], "lookups": { "CompanyId": { "fields": { "CompanyName": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" }, "comp_lookup_gsid__gc": { "fields": { "CompName": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" } } }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				goal := get(a.Body, "data", "goal")
				if str(goal, "comp_lookup_gsid__gc") != "1P0275DAZIB1U41FWU0FBY7UJL61TUQZY6UV" || str(goal, "StatusId__gr", "Name") != "Achieved" ||
					get(goal, "MetricValues", 0, "actualValue", 0, "value") != 5.0 || len(list(goal, "AssociatedWork")) != 2 {
					t.Error(a.Raw)
				}
				if _, ok := get(a.Body, "data", "userInfo", s.UserID()).(map[string]any); !ok {
					t.Error("userInfo missing:", a.Raw)
				}
			}},
		{"update goal 2", http.MethodPut, "/v1/csgoal/external/update",
			`{ "requests": [ { "record": { "Gsid": "1CG0LXVS2HO4Y5ZF1F6TV4R7ZV0ZO6MPG6S1", "Name": "Goal Template Name: Updated", "StatusId": "1I005IUOFEZ24SJ62ZSUKB6C3WN620DSIBYT", "DueDate": "2025-01-31", "Description": " Feb : Update 1", "CompName": "NEW", "cust_string_value__gc": " Feb ujjwal custom value - updated", "metricsAssociation": [ { "metricId": "1I0056K976K5AXWOB1KBHCAG860QZ6E3JG52", "baseValue": 10.0, "actualValue": [ { "value": 8.0, "timestamp": "2025-01-10" } ], "targetValue": 8.0 } ], "metricsDissociation": [ "1I0056K976K5AXWOB1KBHCAG860QZ6E3JG52", "1I0056K976K5AXWOB1P7YWFJNZOIUXW8YMEQ" ] }, "association": { "CTA": [ "1S015065Y1L4AP5SUXV96R83SMQ523UNWRXP" ], "SP": [ "1S02JJSBDT2ZT78W7N3V2OYXMWCH2B720L51" ] }, "dissociation": { "CTA": [ "1S015065Y1L4AP5SUXO3AX169IGVLKKJ5N7R" ], "SP": [ "1S02JJSBDT2ZT78W7N326U5W640ZRK54GLAT" ] } } ], "lookups": { "comp_lookup_gsid__gc": { "fields": { "CompName": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" } } }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				g, _ := s.Goal("1CG0LXVS2HO4Y5ZF1F6TV4R7ZV0ZO6MPG6S1")
				if g.Name != "Goal Template Name: Updated" || g.StatusName != "Not Achieved" ||
					len(g.CTAs) != 1 || g.CTAs[0] != "1S015065Y1L4AP5SUXV96R83SMQ523UNWRXP" ||
					len(g.SPs) != 1 || g.SPs[0] != "1S02JJSBDT2ZT78W7N3V2OYXMWCH2B720L51" ||
					len(g.Metrics) != 1 || g.Metrics[0].MetricID != "1I0056K976K5AXWOB1KBHCAG860QZ6E3JG52" {
					t.Errorf("%+v", g)
				}
			}},
		{"fetch goal 2", http.MethodPost, "/v1/csgoal/external/fetch",
			`{ "select": [ "Name", "Gsid", "StatusId", "cust_string_value__gc", "CurrencyIsoCode" ], "where": { "conditions": [ { "fieldName": "Name", "value": ["barca"], "alias": "A", "operator": "STARTS_WITH" }, { "fieldName": "Name", "value": ["b"], "alias": "B", "operator": "CONTAINS" } ], "expression": "A AND B" }, "pageSize": 10, "pageNumber": 1 }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				recs := list(a.Body, "data", "recordList")
				if len(recs) != 3 || str(recs[1], "dataList", "Name") != "Barca custom goal " ||
					str(recs[0], "associatedSPs", 0, "gsid") != "1S02JJSBDT2ZT78W7NL2NR8BXMXALV76JBSC" {
					t.Error(a.Raw)
				}
			}},
		{"create template", http.MethodPost, "/v1/csgoal/external/template",
			`{ "requests": [ { "record": { "Name": "Goal Template 1", "GoalTypeName": "Default", "StatusName": "Achieved", "DueDate": 2301, "Description": "Description of goal template", "CompName": "Meta", "cust_string_value__gc": "Facebook", "AssociatedWork":[ "1I005G22HP9QX1NRFCMFSKO6E6SA4ZP9ZQ4B" ], "metricsAssociation": [ { "metricId": "1I0056K976K5AXWOB1HPW54VIC18AHVJ1TTG" } ] } } ], "lookups": { "comp_lookup_gsid__gc": { "fields": { "CompName": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" } } }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				ok := get(a.Body, "data", "successList", 0)
				if get(ok, "DueDate") != 2301.0 || str(ok, "comp_lookup_gsid__gc") != "1P029JPET0U4HYGEAU5VBVM5IZ9G6MFOG1OT" ||
					str(ok, "StatusId") != "1I005IUOFEZ24SJ62ZSP4PI1BZX88VUL4V1Z" || len(list(a.Body, "data", "failureList")) != 0 {
					t.Error(a.Raw)
				}
				g, found := s.Goal(str(ok, "Gsid"))
				if !found || g.Category != gainsighttest.CategoryTemplate || g.DueDays != 2301 || len(g.Metrics) != 1 {
					t.Errorf("%+v", g)
				}
			}},
		{"update template (PUT)", http.MethodPut, "/v1/csgoal/external/template",
			`{ "requests": [ { "record": { "Gsid": "1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX", "Name": "Goal Template Name - updated", "DueDate": 25, "StatusId": "1I005IUOFEZ24SJ62Z3MB2HWTSSQNX9MCSTB", "Description": "Updated All fields", "CompNameGsid": "NEW", "cust_string_value__gc": "custom value - updated", "AssociatedWork":[ "1I005G22HP9QX1NRFC58NVMRDRVLJE52KR1J", "1I005G22HP9QX1NRFC1AC0T2UHHYDO6ABJWO" ], "metricsAssociation": [ { "metricId": "1I0056K976K5AXWOB1KBHCAG860QZ6E3JG52" } ], "metricsDissociation": [ { "metricId": "1I0056K976K5AXWOB1P7YWFJNZOIUXW8YMEQ" } ] } } ], "lookups": { "comp_lookup_gsid__gc": { "fields": { "CompNameGsid": "Name" }, "lookupField": "Gsid", "objectName": "company", "multiMatchOption": "FIRSTMATCH", "onNoMatch": "ERROR" } } }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				ok := get(a.Body, "data", "successList", 0)
				if str(ok, "comp_lookup_gsid__gc") != "1P0275DAZIB1U41FWU0FBY7UJL61TUQZY6UV" || get(ok, "ModifiedDate") == nil {
					t.Error(a.Raw)
				}
				g, _ := s.Goal("1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX")
				if g.DueDays != 25 || g.StatusName != "At Risk" || len(g.Metrics) != 1 || g.Metrics[0].MetricID != "1I0056K976K5AXWOB1KBHCAG860QZ6E3JG52" {
					t.Errorf("%+v", g)
				}
			}},
		{"delete template", http.MethodDelete, "/v1/csgoal/external/template/delete",
			`{ "recordIds": ["1CG01SX5TCMHZ0OXX0750YQUGDZ3WPZ50KBY"] }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				if get(a.Body, "data", "successList", 0, "Deleted") != true || get(a.Body, "data", "success") != true || get(a.Body, "data", "failCount") != 0.0 {
					t.Error(a.Raw)
				}
				if _, found := s.Goal("1CG01SX5TCMHZ0OXX0750YQUGDZ3WPZ50KBY"); found {
					t.Error("template still stored")
				}
			}},
		{"fetch template", http.MethodPost, "/v1/csgoal/external/template/fetch",
			`{ "select": [ "Name", "Gsid", "StatusId", "cust_string_value__gc", "CurrencyIsoCode" ], "where": { "conditions": [ { "fieldName": "Name", "value": ["barca"], "alias": "A", "operator": "STARTS_WITH" }, { "fieldName": "Name", "value": ["b"], "alias": "B", "operator": "CONTAINS" } ], "expression": "A AND B" }, "pageSize": 10, "pageNumber": 1 }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				recs := list(a.Body, "data", "recordList")
				if len(recs) != 1 || str(recs[0], "Gsid") != "1CG01SX5TCMHZ0OXX0IXL1HYTPDCJ26XEY8N" || str(recs[0], "cust_string_value__gc") != "hello" {
					t.Error(a.Raw)
				}
			}},
		{"create metric", http.MethodPost, "/csgoal/external/metric/",
			`{ "requests": [ { "record": { "name": "Metric Name 1", "unitOfMeasure": "DECIMAL", "description": "<p>description</p>" }, "associateGoalTypes": [ "1I00GO4Q83RGDEM94YM7VTGXMVT1E1JLKNQB" ], "associateGoalTypeNames": [ "CP Goal Type" ] } ] }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				m := get(a.Body, "data", "successList", 0)
				if str(m, "name") != "Metric Name 1" || get(m, "deleted") != false || get(m, "active") != true || len(str(m, "gsid")) != 36 {
					t.Error(a.Raw)
				}
			}},
		{"update metric", http.MethodPut, "/csgoal/external/metric/",
			`{ "requests": [ { "record": { "gsid": "1I0056K976K5AXWOB1PGJTG9R7V2KYR0KBHZ", "name": "Metric Name 1 - updated", "unitOfMeasure": "PERCENTAGE", "description": "Updated description" }, "associateGoalTypes": [ "1I00GO4Q83RGDEM94YUKVBH3OA6UU7RGBRII" ], "associateGoalTypeNames": [ "CG4" ], "dissociateGoalTypes": [ "1I00GO4Q83RGDEM94Y93I859J3I3KEZXZZF2" ], "dissociateGoalTypeNames": [ "CG1" ] } ] }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				if str(a.Body, "data", "successList", 0, "unitOfMeasure") != "PERCENTAGE" {
					t.Error(a.Raw)
				}
				for _, m := range s.Metrics() {
					if m.Gsid == "1I0056K976K5AXWOB1PGJTG9R7V2KYR0KBHZ" && (len(m.GoalTypeIDs) != 2 || m.GoalTypeIDs[1] != "1I00GO4Q83RGDEM94YUKVBH3OA6UU7RGBRII") {
						t.Errorf("%+v", m)
					}
				}
			}},
		{"delete metric", http.MethodDelete, "/csgoal/external/metrics",
			`{ "recordIds": ["1I0056K976K5AXWOB1NB0L2GCSS77AMROJ8W"] }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				if get(a.Body, "data", "deletedMetrics", 0, "deleted") != true || s.MetricID("Unused Metric") != "" {
					t.Error(a.Raw)
				}
			}},
		{"picklist", http.MethodGet, "/v1/csgoal/external/admin/picklist",
			`{ "entityIds": ["COMPANY"], "active": false, "includeMetrics": false, "includeChildPicklist": true, "picklistCategory":"GOAL_TYPE" }`,
			func(t *testing.T, s *gainsighttest.Server, a answer) {
				pl := list(a.Body, "data", "picklists")
				if len(pl) == 0 || str(pl[0], "systemName") != "DEFAULT_GOAL_TYPE" {
					t.Error(a.Raw)
				}
				wantSampleShape(t, a, "picklist.json")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gainsighttest.NewServer(t)
			a := do(t, s, tt.method, tt.path, tt.body)
			wantOK(t, a)
			if len(str(a.Body, "requestId")) != 36 {
				t.Errorf("requestId: %s", a.Raw)
			}
			tt.check(t, s, a)
		})
	}
}
