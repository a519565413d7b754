package hubspotapi

import (
	"encoding/json"
	"slices"
	"testing"
)

// The replies' parsers take whatever HubSpot (or a proxy) sends: they never
// panic, keep only what was asked for, and account for every id asked.
func FuzzParseReplies(f *testing.F) {
	f.Add([]byte(`{"status":"COMPLETE","results":[{"id":"901","properties":{"dealname":"x","hs_lastmodifieddate":"2026-11-27T10:00:00.000Z"}}],"errors":[{"category":"OBJECT_NOT_FOUND","context":{"ids":["902"]}}]}`))
	f.Add([]byte(`{"results":[{"from":{"id":"901"},"to":[{"toObjectId":5001,"associationTypes":[{"typeId":5,"label":"Primary"}]},{"toObjectId":17}]}]}`))
	f.Add([]byte(`{"total":3,"results":[{"id":"1","properties":{"hs_lastmodifieddate":"1764237600000"}}],"paging":{"next":{"after":"100"}}}`))
	f.Add([]byte(`{"results":[{"id":"901","archived":true},{"id":"901"},{"id":"999"}]}`))
	f.Add([]byte(`{"status":"error","message":"x","category":"RATE_LIMITS","policyName":"DAILY"}`))
	asked := []string{"901", "902", "1"}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b batchReply
		if json.Unmarshal(body, &b) == nil {
			found, missing := parseBatch(&b, asked)
			for _, o := range found {
				if !slices.Contains(asked, o.ID) || slices.Contains(missing, o.ID) || o.Archived {
					t.Fatalf("found %q: not asked, also missing, or archived", o.ID)
				}
				_ = modifiedAt(o)
				_ = change("1", o, "c")
			}
			if len(found)+len(missing) != len(asked) {
				t.Fatalf("%d found + %d missing for %d asked", len(found), len(missing), len(asked))
			}
		}
		var a assocReply
		if json.Unmarshal(body, &a) == nil {
			for deal, company := range parseAssociations(&a) {
				if !validID(deal) || !validID(company) {
					t.Fatalf("association %q → %q", deal, company)
				}
			}
		}
		var s searchReply
		_ = json.Unmarshal(body, &s)
		var e apiErrorBody
		_ = json.Unmarshal(body, &e)
	})
}
