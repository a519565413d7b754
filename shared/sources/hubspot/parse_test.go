package hubspot_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

func TestParseTestdata(t *testing.T) {
	tests := []struct {
		file  string
		query string
		want  []webhook.Change
	}{
		{
			file: "property-changes.json",
			want: []webhook.Change{
				{
					ID:       "hubspot:62515:deal:901:1764237600000:set-2b6ab580e11b4d92",
					Source:   "hubspot/portal/62515",
					Object:   "deal",
					RecordID: "901",
					Op:       webhook.OpUpsert,
					// dealstage "contractsent" is older and loses although it comes later.
					OccurredAt: ms(1764237600000),
					Fields: map[string]any{
						"dealname":  "Reach 80% seat adoption",
						"dealstage": "closedwon",
						"closedate": "1798675200000",
						"amount":    "25000",
					},
				},
				{
					ID:         "hubspot:62515:deal:902:1764237605000:dealstage",
					Source:     "hubspot/portal/62515",
					Object:     "deal",
					RecordID:   "902",
					Op:         webhook.OpUpsert,
					OccurredAt: ms(1764237605000),
					Fields:     map[string]any{"dealstage": "presentationscheduled"},
				},
			},
		},
		{
			file: "creation.json",
			want: []webhook.Change{{
				ID:         "hubspot:62515:deal:903:1764237600000",
				Source:     "hubspot/portal/62515",
				Object:     "deal",
				RecordID:   "903",
				Op:         webhook.OpUpsert,
				OccurredAt: ms(1764237600000),
				Fields:     map[string]any{},
			}},
		},
		{
			file: "deletion.json",
			want: []webhook.Change{{
				ID:         "hubspot:62515:deal:904:1764237660000",
				Source:     "hubspot/portal/62515",
				Object:     "deal",
				RecordID:   "904",
				Op:         webhook.OpDelete,
				OccurredAt: ms(1764237660000),
			}},
		},
		{
			file: "mixed.json",
			want: []webhook.Change{
				{
					ID:         "hubspot:62515:deal:905:1764237700000:set-c68d90e668b76fad",
					Source:     "hubspot/portal/62515",
					Object:     "deal",
					RecordID:   "905",
					Op:         webhook.OpUpsert,
					OccurredAt: ms(1764237700000),
					Fields:     map[string]any{"dealname": "Expand to EMEA"},
				},
				{
					ID:         "hubspot:62515:company:7001:1764237701000:name",
					Source:     "hubspot/portal/62515",
					Object:     "company",
					RecordID:   "7001",
					Op:         webhook.OpUpsert,
					OccurredAt: ms(1764237701000),
					Fields:     map[string]any{"name": "IBM"},
				},
				{
					ID:         "hubspot:77001:deal:905:1764237702000:dealname",
					Source:     "hubspot/portal/77001",
					Object:     "deal",
					RecordID:   "905",
					Op:         webhook.OpUpsert,
					OccurredAt: ms(1764237702000),
					Fields:     map[string]any{"dealname": "Other portal, same id"},
				},
				{
					// The deletion is later than the property change: a delete.
					ID:         "hubspot:62515:deal:906:1764237703000:set-928c2c688ddc8f21",
					Source:     "hubspot/portal/62515",
					Object:     "deal",
					RecordID:   "906",
					Op:         webhook.OpDelete,
					OccurredAt: ms(1764237703000),
				},
			},
		},
		{
			file:  "workflow-deal.json",
			query: "portalId=62515&object=deal",
			want: []webhook.Change{{
				ID:       "hubspot:62515:deal:901:1764235800000:workflow",
				Source:   "hubspot/portal/62515",
				Object:   "deal",
				RecordID: "901",
				Op:       webhook.OpUpsert,
				// hs_lastmodifieddate 2025-11-27T09:30:00.000Z: half an hour
				// before the property changes of property-changes.json.
				OccurredAt: ms(1764235800000),
				Fields: map[string]any{
					"amount":    "25000",
					"closedate": "2026-12-31T00:00:00Z",
					// a custom deal property: HubSpot deals have no company name
					// (see the default mapping)
					"company_name":        "Initech",
					"createdate":          "2025-11-02T09:12:44.120Z",
					"dealname":            "Reach 80% seat adoption",
					"dealstage":           "decisionmakerboughtin",
					"description":         "Roll out to all EMEA teams",
					"hs_lastmodifieddate": "2025-11-27T09:30:00.000Z",
					"hs_object_id":        "901",
					"hubspot_owner_id":    "5550001",
					"pipeline":            "default",
				},
			}},
		},
		{
			file: "workflow-custom.json",
			want: []webhook.Change{{
				ID:         "hubspot:62515:deal:902:1764237000000:workflow",
				Source:     "hubspot/portal/62515",
				Object:     "deal",
				RecordID:   "902",
				Op:         webhook.OpUpsert,
				OccurredAt: ms(1764237000000), // before the dealstage change of property-changes.json
				Fields: map[string]any{
					"portalId":            float64(62515),
					"objectType":          "deal",
					"hs_object_id":        "902",
					"dealname":            "Cut onboarding time to 30 days",
					"company_name":        "Globex",
					"dealstage":           "appointmentscheduled",
					"amount":              "12000",
					"closedate":           "2027-03-31",
					"hs_lastmodifieddate": "1764237000000",
				},
			}},
		},
		{
			// A deal-creation workflow's custom body for the deal mixed.json
			// creates, at its creation time.
			file: "workflow-new-deal.json",
			want: []webhook.Change{{
				ID:         "hubspot:62515:deal:905:1764237700000:workflow",
				Source:     "hubspot/portal/62515",
				Object:     "deal",
				RecordID:   "905",
				Op:         webhook.OpUpsert,
				OccurredAt: ms(1764237700000),
				Fields: map[string]any{
					"portalId":            float64(62515),
					"objectType":          "deal",
					"hs_object_id":        "905",
					"dealname":            "Expand to EMEA",
					"company_name":        "IBM",
					"dealstage":           "qualifiedtobuy",
					"amount":              "48000",
					"closedate":           "2026-09-30",
					"hs_lastmodifieddate": "1764237700000",
				},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var a hubspot.Adapter
			got, err := a.Parse(&webhook.Request{Method: "POST", RawQuery: tt.query, Body: readFile(t, tt.file)})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			assertEvents(t, got)
		})
	}
}

// assertEvents checks that each change would make a schema-valid event
// and that ids are unique and short enough for an SQS deduplication id.
func assertEvents(t *testing.T, changes []webhook.Change) {
	t.Helper()
	ids := map[string]bool{}
	for _, c := range changes {
		if ids[c.ID] {
			t.Errorf("duplicate change id %q", c.ID)
		}
		ids[c.ID] = true
		if len(c.ID) > 128 {
			t.Errorf("change id %q is longer than 128", c.ID)
		}
		typ, fields := events.GoalUpserted, c.Fields
		if c.Op == webhook.OpDelete {
			typ = events.GoalDeleted
		} else if c.Fields == nil {
			t.Errorf("change %q: upsert with nil Fields", c.ID)
		} else if len(fields) == 0 {
			// A creation carries no values; mapping adds the goal fields.
			fields = map[string]any{"Name": c.RecordID}
		}
		if c.Op == webhook.OpDelete && c.Fields != nil {
			t.Errorf("change %q: delete with Fields", c.ID)
		}
		eventstest.AssertValid(t, events.Event{
			SpecVersion: events.SpecVersion, ID: c.ID, Source: c.Source, Type: typ,
			Subject: c.RecordID, Time: c.OccurredAt, DataContentType: events.ContentTypeJSON,
			Data: events.Data{ExternalID: c.RecordID, Fields: fields},
		})
	}
}

func TestParseIDStable(t *testing.T) {
	var evs []json.RawMessage
	if err := json.Unmarshal(readFile(t, "property-changes.json"), &evs); err != nil {
		t.Fatal(err)
	}
	var a hubspot.Adapter
	parse := func(evs []json.RawMessage) []webhook.Change {
		t.Helper()
		b, _ := json.Marshal(evs)
		got, err := a.Parse(&webhook.Request{Body: b})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := parse(evs)
	sortByID := func(c []webhook.Change) {
		slices.SortFunc(c, func(a, b webhook.Change) int { return strings.Compare(a.ID, b.ID) })
	}
	sortByID(want)

	t.Run("reordered and duplicated retry gets the same ids", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 20 {
			retry := slices.Clone(evs)
			retry = append(retry, retry[rng.IntN(len(retry))])
			rng.Shuffle(len(retry), func(i, j int) { retry[i], retry[j] = retry[j], retry[i] })
			got := parse(retry)
			sortByID(got)
			ignoreFields := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Fields" }, cmp.Ignore())
			if diff := cmp.Diff(want, got, ignoreFields); diff != "" {
				t.Fatalf("retry changed the changes (-want +got):\n%s", diff)
			}
		}
	})
	t.Run("events of one save split over two deliveries get distinct ids", func(t *testing.T) {
		first := parse(evs[0:1])  // dealname @ 1764237600000
		second := parse(evs[1:2]) // dealstage @ 1764237600000
		if first[0].ID == second[0].ID {
			t.Fatalf("split deliveries share id %q", first[0].ID)
		}
		both := parse(evs[0:2])
		if both[0].ID == first[0].ID || both[0].ID == second[0].ID {
			t.Fatalf("combined delivery id %q equals a part's id", both[0].ID)
		}
	})
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		query   string
		want    []webhook.Change
		wantErr error
	}{
		{name: "empty array", body: `[]`},
		{name: "empty array with whitespace", body: " \n[ ]\n"},
		{name: "only ignored kinds", body: `[{"portalId":1,"occurredAt":5,"subscriptionType":"deal.associationChange","fromObjectId":1,"toObjectId":2},{"portalId":1,"objectId":3,"occurredAt":5,"subscriptionType":"contact.merge"},{"subscriptionType":"conversation.newMessage"}]`},
		{
			name: "objectId as a string and 64-bit ids survive",
			body: `[{"portalId":"62515","objectId":"18446744073709551","occurredAt":1764237600000,"subscriptionType":"deal.creation"}]`,
			want: []webhook.Change{{ID: "hubspot:62515:deal:18446744073709551:1764237600000", Source: "hubspot/portal/62515", Object: "deal", RecordID: "18446744073709551", Op: webhook.OpUpsert, OccurredAt: ms(1764237600000), Fields: map[string]any{}}},
		},
		{
			name: "older eventType member",
			body: `[{"portalId":62515,"objectId":9,"occurredAt":1764237600000,"eventType":"company.deletion"}]`,
			want: []webhook.Change{{ID: "hubspot:62515:company:9:1764237600000", Source: "hubspot/portal/62515", Object: "company", RecordID: "9", Op: webhook.OpDelete, OccurredAt: ms(1764237600000)}},
		},
		{
			name: "generic subscription with a custom object type",
			body: `[{"portalId":62515,"objectId":9,"objectTypeId":"2-4711","occurredAt":1764237600000,"subscriptionType":"object.propertyChange","propertyName":"goal_status","propertyValue":null}]`,
			want: []webhook.Change{{ID: "hubspot:62515:2-4711:9:1764237600000:goal_status", Source: "hubspot/portal/62515", Object: "2-4711", RecordID: "9", Op: webhook.OpUpsert, OccurredAt: ms(1764237600000), Fields: map[string]any{"goal_status": nil}}},
		},
		{
			name: "restore after deletion is an upsert",
			body: `[{"portalId":1,"objectId":9,"occurredAt":100,"subscriptionType":"deal.deletion"},{"portalId":1,"objectId":9,"occurredAt":200,"subscriptionType":"deal.restore"}]`,
			want: []webhook.Change{{ID: "hubspot:1:deal:9:200:set-2779f412229573f5", Source: "hubspot/portal/1", Object: "deal", RecordID: "9", Op: webhook.OpUpsert, OccurredAt: ms(200), Fields: map[string]any{}}},
		},
		{
			name: "a property name too long for a readable id uses the fingerprint",
			body: `[{"portalId":1,"objectId":9,"occurredAt":100,"subscriptionType":"deal.propertyChange","propertyName":"` + strings.Repeat("p", 120) + `","propertyValue":"v"}]`,
			want: []webhook.Change{{ID: "hubspot:1:deal:9:100:set-133f2c9e07586a5a", Source: "hubspot/portal/1", Object: "deal", RecordID: "9", Op: webhook.OpUpsert, OccurredAt: ms(100), Fields: map[string]any{strings.Repeat("p", 120): "v"}}},
		},
		{name: "empty body", body: "", wantErr: webhook.ErrMalformed},
		{name: "whitespace body", body: " \n ", wantErr: webhook.ErrMalformed},
		{name: "not JSON", body: "portalId=1", wantErr: webhook.ErrMalformed},
		{name: "truncated array", body: `[{"portalId":1,`, wantErr: webhook.ErrMalformed},
		{name: "array of numbers", body: `[1,2]`, wantErr: webhook.ErrMalformed},
		{name: "occurredAt as a string", body: `[{"portalId":1,"objectId":9,"occurredAt":"100","subscriptionType":"deal.creation"}]`, wantErr: webhook.ErrMalformed},
		{name: "objectId as a boolean", body: `[{"portalId":1,"objectId":true,"occurredAt":100,"subscriptionType":"deal.creation"}]`, wantErr: webhook.ErrMalformed},
		{name: "missing subscriptionType", body: `[{"portalId":1,"objectId":9,"occurredAt":100}]`, wantErr: webhook.ErrUnmappable},
		{name: "missing portalId", body: `[{"objectId":9,"occurredAt":100,"subscriptionType":"deal.creation"}]`, wantErr: webhook.ErrUnmappable},
		{name: "missing objectId", body: `[{"portalId":1,"occurredAt":100,"subscriptionType":"deal.creation"}]`, wantErr: webhook.ErrUnmappable},
		{name: "objectId with a colon", body: `[{"portalId":1,"objectId":"9:1","occurredAt":100,"subscriptionType":"deal.creation"}]`, wantErr: webhook.ErrUnmappable},
		{name: "negative objectId", body: `[{"portalId":1,"objectId":-9.5,"occurredAt":100,"subscriptionType":"deal.creation"}]`, wantErr: webhook.ErrUnmappable},
		{name: "missing occurredAt", body: `[{"portalId":1,"objectId":9,"subscriptionType":"deal.creation"}]`, wantErr: webhook.ErrUnmappable},
		{name: "propertyChange without propertyName", body: `[{"portalId":1,"objectId":9,"occurredAt":100,"subscriptionType":"deal.propertyChange"}]`, wantErr: webhook.ErrUnmappable},
		{name: "generic subscription without objectTypeId", body: `[{"portalId":1,"objectId":9,"occurredAt":100,"subscriptionType":"object.creation"}]`, wantErr: webhook.ErrUnmappable},

		{
			name:  "workflow legacy v1 deal",
			body:  `{"portalId":62515,"dealId":901,"isDeleted":false,"properties":{"dealname":{"value":"Reach 80%","timestamp":1764237600000,"source":"CRM_UI","versions":[]},"hs_lastmodifieddate":{"value":"1764237600000"}}}`,
			want:  []webhook.Change{{ID: "hubspot:62515:deal:901:1764237600000:workflow", Source: "hubspot/portal/62515", Object: "deal", RecordID: "901", Op: webhook.OpUpsert, OccurredAt: ms(1764237600000), Fields: map[string]any{"dealname": "Reach 80%", "hs_lastmodifieddate": "1764237600000"}}},
			query: "portalId=999",
		},
		{
			name:  "workflow archived record",
			body:  `{"id":"901","properties":{"dealname":"x"},"updatedAt":"2026-11-27T10:00:00Z","archived":true}`,
			query: "portalId=62515&object=deals",
			want:  []webhook.Change{{ID: "hubspot:62515:deal:901:1795773600000:workflow", Source: "hubspot/portal/62515", Object: "deal", RecordID: "901", Op: webhook.OpDelete, OccurredAt: ms(1795773600000)}},
		},
		{
			name:  "workflow object from objectTypeId in the URL",
			body:  `{"hs_object_id":901,"hs_lastmodifieddate":1764237600000,"score":7}`,
			query: "portalId=62515&object=0-2",
			want:  []webhook.Change{{ID: "hubspot:62515:company:901:1764237600000:workflow", Source: "hubspot/portal/62515", Object: "company", RecordID: "901", Op: webhook.OpUpsert, OccurredAt: ms(1764237600000), Fields: map[string]any{"hs_object_id": float64(901), "hs_lastmodifieddate": float64(1764237600000), "score": float64(7)}}},
		},
		{name: "workflow v3 body without object in the URL", body: `{"id":"901","properties":{},"updatedAt":"2026-11-27T10:00:00Z"}`, query: "portalId=62515", wantErr: webhook.ErrUnmappable},
		{name: "workflow without portal", body: `{"id":"901","properties":{},"updatedAt":"2026-11-27T10:00:00Z"}`, query: "object=deal", wantErr: webhook.ErrUnmappable},
		{name: "workflow without record id", body: `{"properties":{"dealname":"x"},"updatedAt":"2026-11-27T10:00:00Z"}`, query: "portalId=1&object=deal", wantErr: webhook.ErrUnmappable},
		{name: "workflow without time", body: `{"id":"901","properties":{"dealname":"x"}}`, query: "portalId=1&object=deal", wantErr: webhook.ErrUnmappable},
		{name: "workflow with a bad time", body: `{"id":"901","properties":{"hs_lastmodifieddate":"yesterday"}}`, query: "portalId=1&object=deal", wantErr: webhook.ErrUnmappable},
		{name: "workflow with trailing data", body: `{"id":"901"} {}`, query: "portalId=1&object=deal", wantErr: webhook.ErrMalformed},
		{name: "workflow truncated", body: `{"id":"901"`, wantErr: webhook.ErrMalformed},
		{name: "neither array nor object", body: `"deal"`, wantErr: webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a hubspot.Adapter
			got, err := a.Parse(&webhook.Request{Method: "POST", RawQuery: tt.query, Body: []byte(tt.body)})
			t.Logf("err: %v", err)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tt.body) && len(tt.body) > 8 {
				t.Errorf("error %q quotes the body", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			assertEvents(t, got)
		})
	}
}
