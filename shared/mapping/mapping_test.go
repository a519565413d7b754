package mapping_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

var at = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func hubspotChange(fields map[string]any) webhook.Change {
	return webhook.Change{
		ID:         "hubspot:62515:deal:901:1764237600000",
		Source:     "hubspot/portal/62515",
		Object:     "deal",
		RecordID:   "901",
		Op:         webhook.OpUpsert,
		OccurredAt: at.In(time.FixedZone("CET", 3600)),
		Fields:     fields,
	}
}

func mustParse(t testing.TB, yaml string) *mapping.Mapper {
	t.Helper()
	m, err := mapping.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestDefaultMapsEachSource(t *testing.T) {
	m := mapping.Default()
	if diff := cmp.Diff([]string{"dynamics", "hubspot", "pipedrive", "salesforce"}, m.Sources()); diff != "" {
		t.Errorf("Sources (-want +got):\n%s", diff)
	}
	base := events.Event{
		SpecVersion: "1.0", Type: events.GoalUpserted, Time: at, DataContentType: "application/json",
	}
	tests := []struct {
		name string
		ch   webhook.Change
		want []events.Event // ID, Source, Subject filled from ch
	}{
		{
			name: "hubspot workflow full deal",
			ch: webhook.Change{Source: "hubspot/portal/62515", Object: "deal", RecordID: "901", Fields: map[string]any{
				"hs_object_id": "901", "dealname": "Acme renewal", "dealstage": "closedwon",
				"closedate": "1767225600000", "description": "Renewal", "amount": "25000", "company_name": "Acme",
			}},
			want: []events.Event{{Data: events.Data{ExternalID: "901", Fields: map[string]any{
				"Name": "Acme renewal", "StatusName": "Achieved", "DueDate": "2026-01-01", "Description": "Renewal",
				"CompanyName": "Acme", "EntityType": "COMPANY", "GoalTypeName": "Default",
			}}}},
		},
		{
			name: "hubspot thin property change of a mapped property",
			ch: webhook.Change{Source: "hubspot/portal/62515", Object: "deal", RecordID: "901", Fields: map[string]any{
				"dealstage": "presentationscheduled",
			}},
			want: []events.Event{{Data: events.Data{ExternalID: "901", Fields: map[string]any{
				"StatusName": "On Track", "EntityType": "COMPANY", "GoalTypeName": "Default",
			}}}},
		},
		{
			name: "hubspot thin property change of an unmapped property",
			ch: webhook.Change{Source: "hubspot/portal/62515", Object: "deal", RecordID: "901", Fields: map[string]any{
				"amount": "25000",
			}},
		},
		{
			name: "hubspot contact has no mapping",
			ch: webhook.Change{Source: "hubspot/portal/62515", Object: "contact", RecordID: "7", Fields: map[string]any{
				"firstname": "Ada",
			}},
		},
		{
			name: "hubspot delete is ignored by default",
			ch:   webhook.Change{Source: "hubspot/portal/62515", Object: "deal", RecordID: "901", Op: webhook.OpDelete},
		},
		{
			name: "salesforce opportunity",
			ch: webhook.Change{Source: "salesforce/org/00D5e000000AbCdEAK", Object: "Opportunity", RecordID: "0065e00000QwErTAAZ", Fields: map[string]any{
				"Id": "0065e00000QwErTAAZ", "Name": "Acme expansion", "StageName": "Negotiation/Review",
				"CloseDate": "2026-12-31", "AccountId": "0015e00000AsDfGAA1", "Account_Name__c": "Acme",
			}},
			want: []events.Event{{Data: events.Data{ExternalID: "0065e00000QwErTAAZ", Fields: map[string]any{
				"Name": "Acme expansion", "StatusName": "On Track", "DueDate": "2026-12-31",
				"CompanyName": "Acme", "EntityType": "COMPANY", "GoalTypeName": "Default",
			}}}},
		},
		{
			name: "dynamics update with option set and entity reference",
			ch: webhook.Change{Source: "dynamics/org/contoso", Object: "opportunity", RecordID: "5f1e2d3c-0000-0000-0000-0000000000aa", Fields: map[string]any{
				"statuscode":         map[string]any{"Value": 3.0},
				"estimatedclosedate": "/Date(1767225600000)/",
				"parentaccountid":    map[string]any{"Id": "a1", "LogicalName": "account", "Name": "Contoso"},
			}},
			want: []events.Event{{Data: events.Data{ExternalID: "5f1e2d3c-0000-0000-0000-0000000000aa", Fields: map[string]any{
				"StatusName": "Achieved", "DueDate": "2026-01-01", "CompanyName": "Contoso",
				"EntityType": "COMPANY", "GoalTypeName": "Default",
			}}}},
		},
		{
			name: "dynamics statuscode flattened to a number",
			ch: webhook.Change{Source: "dynamics/org/contoso", Object: "opportunity", RecordID: "x1", Fields: map[string]any{
				"statuscode": 4, "name": "Contoso pilot",
			}},
			want: []events.Event{{Data: events.Data{ExternalID: "x1", Fields: map[string]any{
				"Name": "Contoso pilot", "StatusName": "Not Achieved", "EntityType": "COMPANY", "GoalTypeName": "Default",
			}}}},
		},
		{
			name: "pipedrive v2 deal",
			ch: webhook.Change{Source: "pipedrive/company/8100001", Object: "deal", RecordID: "42", Fields: map[string]any{
				"id": 42.0, "title": "Acme renewal", "status": "won", "stage_id": 5.0, "org_id": 7.0, "org_name": "Acme",
				"expected_close_date": "2026-03-31",
			}},
			want: []events.Event{{Data: events.Data{ExternalID: "42", Fields: map[string]any{
				"Name": "Acme renewal", "StatusName": "Achieved", "DueDate": "2026-03-31", "CompanyName": "Acme",
				"EntityType": "COMPANY", "GoalTypeName": "Default",
			}}}},
		},
		{
			name: "generic needs no mapping",
			ch: webhook.Change{Source: "generic/acme", Object: "goal", RecordID: "g1", Fields: map[string]any{
				"Name": "x",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ch.ID = "id-" + tt.ch.RecordID
			tt.ch.OccurredAt = at
			if tt.ch.Op == "" {
				tt.ch.Op = webhook.OpUpsert
			}
			got, err := m.Map(tt.ch)
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			for i := range tt.want {
				w := base
				w.ID, w.Source, w.Subject, w.Data = tt.ch.ID, tt.ch.Source, tt.ch.RecordID, tt.want[i].Data
				tt.want[i] = w
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Map (-want +got):\n%s", diff)
			}
			eventstest.AssertValid(t, got...)
		})
	}
}

const fullConfig = `
sources:
  hubspot:
    objects:
      deal:
        type: goal
        externalId: fields.gs_external_id || recordId
        fullRecord: fields.hs_object_id != null
        fields:
          Name: {expr: fields.dealname, required: true}
          StatusName:
            expr: fields.dealstage
            map: {closedwon: Achieved, closedlost: Not Achieved}
            unmapped: error
          DueDate: {expr: fields.closedate, format: date}
          GoalTypeName: {expr: fields.goal_type, default: Adoption}
          seats__gc: {expr: fields.seats, format: number}
          crm_stage__gc: fields.dealstage
          RelationshipName: fields.relationship
        constants:
          EntityType: RELATIONSHIP
        associate:
          CTA: fields.gs_cta_ids
          SP: fields.gs_sp_ids
        dissociate:
          CTA: fields.gs_cta_removed
        onDelete:
          fields: {StatusName: Closed}
      line_item:
        type: metric
        fields:
          name: fields.name
          unitOfMeasure: {expr: fields.unit, map: {pct: PERCENTAGE}, unmapped: keep}
          associateGoalTypeNames: fields.goal_types
        onDelete: emit
      product:
        type: goaltemplate
        fields:
          Name: fields.name
          DueDate: {expr: fields.days, format: number}
          StatusName: {expr: fields.status, map: {a: Active}, unmapped: omit}
`

func TestMapRules(t *testing.T) {
	m := mustParse(t, fullConfig)
	tests := []struct {
		name       string
		ch         webhook.Change
		wantType   events.Type
		wantExt    string
		wantFields map[string]any
		wantAssoc  *events.Associations
		wantDis    *events.Associations
		wantNone   bool
	}{
		{
			name: "full record: default, format, constants, custom fields, associations",
			ch: hubspotChange(map[string]any{
				"hs_object_id": "901", "dealname": "Seats", "dealstage": "closedwon", "closedate": "2026-12-31T23:30:00-02:00",
				"seats": "80", "relationship": "Acme EMEA", "gs_cta_ids": "1S01A;1S01B", "gs_sp_ids": []any{"1S02A"},
				"gs_cta_removed": "1S01C",
			}),
			wantType: events.GoalUpserted, wantExt: "901",
			wantFields: map[string]any{
				"Name": "Seats", "StatusName": "Achieved", "DueDate": "2027-01-01", "GoalTypeName": "Adoption",
				"seats__gc": 80.0, "crm_stage__gc": "closedwon", "RelationshipName": "Acme EMEA", "EntityType": "RELATIONSHIP",
			},
			wantAssoc: &events.Associations{CTA: []string{"1S01A", "1S01B"}, SP: []string{"1S02A"}},
			wantDis:   &events.Associations{CTA: []string{"1S01C"}},
		},
		{
			name:       "thin: default not applied, missing left out",
			ch:         hubspotChange(map[string]any{"closedate": 1767225600000.0}),
			wantType:   events.GoalUpserted,
			wantExt:    "901",
			wantFields: map[string]any{"DueDate": "2026-01-01", "EntityType": "RELATIONSHIP"},
		},
		{
			name:       "external id from an expression",
			ch:         hubspotChange(map[string]any{"gs_external_id": 77.0, "dealname": "x"}),
			wantType:   events.GoalUpserted,
			wantExt:    "77",
			wantFields: map[string]any{"Name": "x", "EntityType": "RELATIONSHIP"},
		},
		{
			name:     "thin: only unmapped properties",
			ch:       hubspotChange(map[string]any{"amount": "1"}),
			wantNone: true,
		},
		{
			name:       "thin: an association alone is a change",
			ch:         hubspotChange(map[string]any{"gs_cta_ids": "1S01A"}),
			wantType:   events.GoalUpserted,
			wantExt:    "901",
			wantFields: map[string]any{"EntityType": "RELATIONSHIP"},
			wantAssoc:  &events.Associations{CTA: []string{"1S01A"}},
		},
		{
			name: "delete with onDelete fields",
			ch: func() webhook.Change {
				c := hubspotChange(nil)
				c.Op = webhook.OpDelete
				return c
			}(),
			wantType:   events.GoalDeleted,
			wantExt:    "901",
			wantFields: map[string]any{"StatusName": "Closed"},
		},
		{
			name: "metric upsert, unmapped kept",
			ch: webhook.Change{ID: "m1", Source: "hubspot/portal/1", Object: "line_item", RecordID: "5", Op: webhook.OpUpsert,
				OccurredAt: at, Fields: map[string]any{"name": "Seats", "unit": "DECIMAL", "goal_types": []any{"Adoption"}}},
			wantType: events.MetricUpserted, wantExt: "5",
			wantFields: map[string]any{"name": "Seats", "unitOfMeasure": "DECIMAL", "associateGoalTypeNames": []any{"Adoption"}},
		},
		{
			name: "metric delete emitted bare",
			ch: webhook.Change{ID: "m2", Source: "hubspot/portal/1", Object: "line_item", RecordID: "5", Op: webhook.OpDelete,
				OccurredAt: at},
			wantType: events.MetricDeleted, wantExt: "5",
		},
		{
			name: "goaltemplate, unmapped omitted, object name matched case-insensitively",
			ch: webhook.Change{ID: "t1", Source: "hubspot/portal/1", Object: "PRODUCT", RecordID: "9", Op: webhook.OpUpsert,
				OccurredAt: at, Fields: map[string]any{"name": "Onboarding", "days": "30", "status": "zzz"}},
			wantType: events.GoalTemplateUpserted, wantExt: "9",
			wantFields: map[string]any{"Name": "Onboarding", "DueDate": 30.0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Map(tt.ch)
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			if tt.wantNone {
				if len(got) != 0 {
					t.Fatalf("Map = %+v, want no events", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("Map gave %d events, want 1", len(got))
			}
			e := got[0]
			want := events.Event{
				SpecVersion: "1.0", ID: tt.ch.ID, Source: tt.ch.Source, Type: tt.wantType, Subject: tt.ch.RecordID,
				Time: tt.ch.OccurredAt.UTC(), DataContentType: "application/json",
				Data: events.Data{ExternalID: tt.wantExt, Fields: tt.wantFields, Associate: tt.wantAssoc, Dissociate: tt.wantDis},
			}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if e.Time.Location() != time.UTC {
				t.Errorf("time %v is not UTC", e.Time)
			}
			eventstest.AssertValid(t, got...)
		})
	}
}

func TestMapErrors(t *testing.T) {
	m := mustParse(t, fullConfig)
	tests := []struct {
		name    string
		ch      webhook.Change
		wantMsg string
	}{
		{
			name:    "required field missing from a full record",
			ch:      hubspotChange(map[string]any{"hs_object_id": "901", "dealstage": "closedwon"}),
			wantMsg: "required field(s) Name missing from a full record",
		},
		{
			name:    "value not in the map",
			ch:      hubspotChange(map[string]any{"dealstage": "appointmentscheduled"}),
			wantMsg: `field StatusName: value "appointmentscheduled" is not in the value map`,
		},
		{
			name:    "date that does not parse",
			ch:      hubspotChange(map[string]any{"closedate": "next tuesday"}),
			wantMsg: `field DueDate: format date: "next tuesday" is not a date`,
		},
		{
			name:    "number that does not parse",
			ch:      hubspotChange(map[string]any{"seats": "many"}),
			wantMsg: `field seats__gc: format number: "many" is not a number`,
		},
		{
			name:    "object cannot be a value map key",
			ch:      hubspotChange(map[string]any{"dealstage": map[string]any{"a": 1.0}}),
			wantMsg: "field StatusName: value map: a object cannot be looked up",
		},
		{
			name:    "association that is not a list of ids",
			ch:      hubspotChange(map[string]any{"gs_cta_ids": map[string]any{"a": 1.0}}),
			wantMsg: "associate: CTA: want a list of ids",
		},
		{
			name: "no external id",
			ch: func() webhook.Change {
				c := hubspotChange(map[string]any{"dealname": "x"})
				c.RecordID = ""
				return c
			}(),
			wantMsg: `externalId "fields.gs_external_id || recordId" gives no string or number`,
		},
		{
			name: "no time",
			ch: func() webhook.Change {
				c := hubspotChange(map[string]any{"dealname": "x"})
				c.OccurredAt = time.Time{}
				return c
			}(),
			wantMsg: "time is required",
		},
		{
			name: "unknown op",
			ch: func() webhook.Change {
				c := hubspotChange(map[string]any{"dealname": "x"})
				c.Op = "merge"
				return c
			}(),
			wantMsg: `unknown op "merge"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Map(tt.ch)
			if !errors.Is(err, webhook.ErrUnmappable) {
				t.Fatalf("Map = %v, %v; want an error wrapping ErrUnmappable", got, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestMapCanonicalPassesThrough(t *testing.T) {
	ev := events.Event{
		SpecVersion: "1.0", ID: "evt-1", Source: "generic/acme", Type: events.GoalUpserted, Subject: "g1",
		Time: at, DataContentType: "application/json",
		Data: events.Data{ExternalID: "g1", Fields: map[string]any{"Name": "Adoption"}},
	}
	ch := webhook.Change{ID: ev.ID, Source: ev.Source, Object: "goal", RecordID: "g1", Op: webhook.OpUpsert, OccurredAt: at, Canonical: &ev}
	got, err := mapping.Default().Map(ch)
	if err != nil {
		t.Fatalf("Map: %v", err)
	}
	if diff := cmp.Diff([]events.Event{ev}, got); diff != "" {
		t.Errorf("Map (-want +got):\n%s", diff)
	}
	eventstest.AssertValid(t, got...)

	bad := ev
	bad.Data.Fields = nil
	ch.Canonical = &bad
	if _, err := mapping.Default().Map(ch); !errors.Is(err, webhook.ErrUnmappable) || !errors.Is(err, events.ErrInvalid) {
		t.Errorf("Map of an upsert without fields = %v, want ErrUnmappable and events.ErrInvalid", err)
	}
}

func TestFormats(t *testing.T) {
	m := mustParse(t, `
source: crm
objects:
  rec:
    type: goal
    fields:
      d: {expr: fields.v, format: date}
      dt: {expr: fields.v, format: datetime}
`)
	tests := []struct {
		in       any
		date, dt string
	}{
		{"2026-12-31", "2026-12-31", "2026-12-31T00:00:00Z"},
		{"1767225600000", "2026-01-01", "2026-01-01T00:00:00Z"},
		{1767225600.0, "2026-01-01", "2026-01-01T00:00:00Z"},
		{int64(1767225600000), "2026-01-01", "2026-01-01T00:00:00Z"},
		{"2026-01-01T00:00:00.000+0000", "2026-01-01", "2026-01-01T00:00:00Z"},
		{"2026-01-01T05:00:00+05:00", "2026-01-01", "2026-01-01T00:00:00Z"},
		{"2026-01-01 10:00:00", "2026-01-01", "2026-01-01T10:00:00Z"},
		{"/Date(1767225600000+0000)/", "2026-01-01", "2026-01-01T00:00:00Z"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "2026-01-01", "2026-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		ch := webhook.Change{ID: "x", Source: "crm", Object: "rec", RecordID: "1", Op: webhook.OpUpsert, OccurredAt: at,
			Fields: map[string]any{"v": tt.in}}
		got, err := m.Map(ch)
		if err != nil {
			t.Errorf("%v: %v", tt.in, err)
			continue
		}
		f := got[0].Data.Fields
		if f["d"] != tt.date || f["dt"] != tt.dt {
			t.Errorf("%#v: date %v, datetime %v; want %s, %s", tt.in, f["d"], f["dt"], tt.date, tt.dt)
		}
	}
	// An empty date is left out, so the change touched nothing.
	got, err := m.Map(webhook.Change{ID: "x", Source: "crm", Object: "rec", RecordID: "1", Op: webhook.OpUpsert, OccurredAt: at,
		Fields: map[string]any{"v": ""}})
	if err != nil || len(got) != 0 {
		t.Errorf("empty date: Map = %v, %v; want no events", got, err)
	}
}

func TestValues(t *testing.T) {
	m, err := mapping.Parse("v.yaml", []byte(`
source: crm
objects:
  deal:
    type: goal
    externalId: id
    fields:
      StatusName: {expr: fields.stage, map: {won: Achieved, lost: Not Achieved, open: On Track}, default: On Track}
      GoalTypeName: {expr: fields.kind}
    constants: {EntityType: COMPANY}
  renewal:
    type: goal
    externalId: id
    constants: {GoalTypeName: Adoption}
`))
	if err != nil {
		t.Fatal(err)
	}
	got, open := m.Values("StatusName")
	if d := cmp.Diff([]string{"Not Achieved", "On Track", "Achieved"}, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Errorf("StatusName values (-want +got):\n%s", d)
	}
	if len(open) != 0 {
		t.Errorf("StatusName open = %v", open)
	}
	got, open = m.Values("GoalTypeName")
	if d := cmp.Diff([]string{"Adoption"}, got); d != "" || !slices.Equal(open, []string{"crm.deal"}) {
		t.Errorf("GoalTypeName = %v, open %v", got, open)
	}
	if got, _ := mapping.Default().Values("StatusName"); len(got) == 0 {
		t.Error("the shipped mapping writes no StatusName value")
	}
}
