package pipedriveapi

import (
	"encoding/json"
	"testing"
)

// The list replies' handling never panics and keeps only deals asked for
// with a decimal id that are not deleted.
func FuzzParseReplies(f *testing.F) {
	f.Add([]byte(`{"success":true,"data":[{"id":43,"title":"x","org_id":7,"update_time":"2026-11-27T10:00:00Z"},{"id":44,"is_deleted":true}],"additional_data":{"next_cursor":"abc"}}`))
	f.Add([]byte(`{"success":true,"data":[{"id":"43","org_id":{"value":7},"org_name":"Globex","update_time":"2026-11-27 10:00:00"}]}`))
	f.Add([]byte(`{"success":false,"error":"unauthorized access","code":"unauthorized"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r listReply
		if json.Unmarshal(body, &r) != nil {
			var e errorBody
			_ = json.Unmarshal(body, &e)
			return
		}
		asked := []string{"43", "44"}
		found := keepDeals(r.Data, asked)
		for id, d := range found {
			if id != "43" && id != "44" || deleted(d) {
				t.Fatalf("kept %q", id)
			}
			ch := change("1", id, d, map[string]string{"7": "Globex"})
			if ch.RecordID != id || ch.OccurredAt.IsZero() {
				t.Fatalf("change %+v", ch)
			}
		}
	})
}
