package dynamics

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

const (
	orgID  = "4ef5b371-0000-0000-0000-000000000005"
	oppID  = "5f1e2d3c-0000-0000-0000-0000000000aa"
	source = "dynamics/org/" + orgID
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ref(id, logical string, name any) map[string]any {
	return map[string]any{"Id": id, "LogicalName": logical, "Name": name}
}

// asEvent builds the canonical event a trivial mapping would make of c, to
// check that what the adapter produces fits the contract (id length,
// source pattern, time, JSON-marshalable fields).
func asEvent(c webhook.Change) events.Event {
	e := events.Event{
		SpecVersion: events.SpecVersion, ID: c.ID, Source: c.Source, Type: events.GoalUpserted,
		Subject: c.RecordID, Time: c.OccurredAt, DataContentType: events.ContentTypeJSON,
		Data: events.Data{ExternalID: c.RecordID, Fields: c.Fields},
	}
	if c.Op == webhook.OpDelete {
		e.Type, e.Data.Fields = events.GoalDeleted, nil
	}
	return e
}

func TestParseTestdata(t *testing.T) {
	acme := ref("3a4b5c6d-0000-0000-0000-0000000000bb", "account", "Acme Corp")
	user := ref("9a8b7c6d-0000-0000-0000-000000000003", "systemuser", nil)
	tests := []struct {
		file string
		want webhook.Change
	}{
		{"opportunity-create.json", webhook.Change{
			ID:     "dynamics:" + orgID + ":0c0d0e0f-1111-4a4b-8c8d-000000000011:" + oppID,
			Source: source, Object: "opportunity", RecordID: oppID, Op: webhook.OpUpsert,
			OccurredAt: time.Date(2025, 12, 31, 9, 0, 0, 0, time.UTC),
			Fields: map[string]any{
				"opportunityid":             oppID,
				"name":                      "Acme renewal",
				"description":               "Renew 500 seats and reach 80% adoption by Q2",
				"customerid":                acme,
				"parentaccountid":           acme,
				"estimatedvalue":            25000.0,
				"transactioncurrencyid":     ref("e1f2a3b4-0000-0000-0000-0000000000cc", "transactioncurrency", "US Dollar"),
				"closeprobability":          40.0,
				"estimatedclosedate":        "2026-03-31T00:00:00Z",
				"salesstagecode":            1.0,
				"statecode":                 0.0,
				"statuscode":                1.0,
				"isrevenuesystemcalculated": false,
				"ownerid":                   user,
				"createdon":                 "2025-12-31T08:59:59Z",
				"modifiedon":                "2025-12-31T08:59:59Z",
				FormattedValuesKey: map[string]any{
					"estimatedvalue": "$25,000.00", "salesstagecode": "Qualify", "statecode": "Open", "statuscode": "In Progress",
				},
			},
		}},
		{"opportunity-update.json", webhook.Change{
			ID:     "dynamics:" + orgID + ":0c0d0e0f-0000-0000-0000-000000000004:" + oppID,
			Source: source, Object: "opportunity", RecordID: oppID, Op: webhook.OpUpsert,
			OccurredAt: time.Date(2026, 1, 1, 0, 0, 0, 500e6, time.UTC),
			Fields: map[string]any{
				// from the post-images
				"name":            "Acme renewal",
				"parentaccountid": acme,
				"statecode":       0.0,
				"statuscode":      1.0,
				// from the Target
				"opportunityid":      oppID,
				"estimatedvalue":     27500.5,
				"salesstagecode":     3.0,
				"estimatedclosedate": "2026-03-31T00:00:00Z", // the -0700 does not move the instant
				"modifiedon":         "2026-01-01T00:00:00Z",
				"modifiedby":         user,
				"modifiedonbehalfby": nil,
				FormattedValuesKey: map[string]any{
					"estimatedvalue": "$27,500.50", "salesstagecode": "Propose", "statecode": "Open", "statuscode": "In Progress",
				},
			},
		}},
		{"opportunity-delete.json", webhook.Change{
			ID:     "dynamics:" + orgID + ":0c0d0e0f-2222-4a4b-8c8d-000000000021:" + oppID,
			Source: source, Object: "opportunity", RecordID: oppID, Op: webhook.OpDelete,
			OccurredAt: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC),
			Fields: map[string]any{ // the pre-image: last known state
				"name": "Acme renewal", "opportunityid": oppID, "parentaccountid": acme,
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Adapter{}.Parse(&webhook.Request{Body: readTestdata(t, tt.file)})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d := cmp.Diff([]webhook.Change{tt.want}, got); d != "" {
				t.Errorf("Parse (-want +got):\n%s", d)
			}
			for _, c := range got {
				eventstest.AssertValid(t, asEvent(c))
			}
		})
	}
}

// edit returns the update sample with f applied to its decoded JSON.
func edit(t testing.TB, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readTestdata(t, "opportunity-update.json"), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setTarget replaces the Target's attributes.
func setTarget(attrs ...any) func(m map[string]any) {
	return func(m map[string]any) {
		target := m["InputParameters"].([]any)[0].(map[string]any)["value"].(map[string]any)
		target["Attributes"] = attrs
		target["FormattedValues"] = []any{}
		m["PostEntityImages"] = []any{}
	}
}

func kv(k string, v any) map[string]any { return map[string]any{"key": k, "value": v} }

func typed(typ string, v map[string]any) map[string]any {
	v["__type"] = typ + ":http://schemas.microsoft.com/xrm/2011/Contracts"
	return v
}

func TestParseTypedValues(t *testing.T) {
	b := edit(t, setTarget(
		kv("money", typed("Money", map[string]any{"Value": 12.34})),
		kv("option", typed("OptionSetValue", map[string]any{"Value": 7})),
		kv("multi", typed("OptionSetValueCollection", map[string]any{"Value": []any{
			typed("OptionSetValue", map[string]any{"Value": 1}), typed("OptionSetValue", map[string]any{"Value": 2})}})),
		kv("ref", typed("EntityReference", map[string]any{"Id": "a-1", "LogicalName": "account", "Name": "Acme", "KeyAttributes": []any{}, "RowVersion": nil})),
		kv("refNoName", typed("EntityReference", map[string]any{"Id": "a-2", "LogicalName": "contact"})),
		kv("managed", typed("BooleanManagedProperty", map[string]any{"Value": true, "CanBeChanged": false})),
		kv("aliased", typed("AliasedValue", map[string]any{"AttributeLogicalName": "name", "EntityLogicalName": "account",
			"Value": typed("Money", map[string]any{"Value": 5})})),
		kv("entity", typed("Entity", map[string]any{"Attributes": []any{kv("x", "/Date(0)/"), kv("y", 1)}, "LogicalName": "note"})),
		kv("parties", typed("EntityCollection", map[string]any{"Entities": []any{
			typed("Entity", map[string]any{"Attributes": []any{kv("partyid", typed("EntityReference", map[string]any{"Id": "u-1", "LogicalName": "systemuser", "Name": "Ann"}))}}),
		}})),
		kv("unknownWithValue", typed("Something", map[string]any{"Value": "v"})),
		kv("unknownNoValue", typed("Other", map[string]any{"A": "/Date(1000)/", "B": 2})),
		kv("date", "/Date(1506384247000)/"),
		kv("dateOffset", "/Date(1506409448000-0700)/"),
		kv("datePlus", "/Date(1234567890000+0000)/"),
		kv("dateBefore1970", "/Date(-86400000)/"),
		kv("notADate", "/Date(12ab)/"),
		kv("plain", "text"),
		kv("int", 3),
		kv("bool", true),
		kv("null", nil),
		kv("modifiedon", "/Date(1767225600000)/"),
	))
	got, err := Adapter{}.Parse(&webhook.Request{Body: b})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"money":            12.34,
		"option":           7.0,
		"multi":            []any{1.0, 2.0},
		"ref":              ref("a-1", "account", "Acme"),
		"refNoName":        ref("a-2", "contact", nil),
		"managed":          true,
		"aliased":          5.0,
		"entity":           map[string]any{"x": "1970-01-01T00:00:00Z", "y": 1.0},
		"parties":          []any{map[string]any{"partyid": ref("u-1", "systemuser", "Ann")}},
		"unknownWithValue": "v",
		"unknownNoValue":   map[string]any{"A": "1970-01-01T00:00:01Z", "B": 2.0},
		"date":             "2017-09-26T00:04:07Z",
		"dateOffset":       "2017-09-26T07:04:08Z",
		"datePlus":         "2009-02-13T23:31:30Z",
		"dateBefore1970":   "1969-12-31T00:00:00Z",
		"notADate":         "/Date(12ab)/",
		"plain":            "text",
		"int":              3.0,
		"bool":             true,
		"null":             nil,
		"modifiedon":       "2026-01-01T00:00:00Z",
	}
	if d := cmp.Diff(want, got[0].Fields); d != "" {
		t.Errorf("Fields (-want +got):\n%s", d)
	}
	eventstest.AssertValid(t, asEvent(got[0]))
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"/Date(1506384247000)/", time.UnixMilli(1506384247000), true},
		{"/Date(1506409448000-0700)/", time.UnixMilli(1506409448000), true},
		{"/Date(1234567890000+0000)/", time.UnixMilli(1234567890000), true},
		{"/Date(0)/", time.UnixMilli(0), true},
		{"/Date(-62135596800000)/", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), true}, // DateTime.MinValue
		{"/Date(253402300799999)/", time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC), true},
		{"/Date(253402300800000)/", time.Time{}, false}, // year 10000
		{"/Date(-62135596800001)/", time.Time{}, false}, // year 0
		{"/Date()/", time.Time{}, false},
		{"/Date(-)/", time.Time{}, false},
		{"/Date(+0000)/", time.Time{}, false},
		{"/Date(1+000)/", time.Time{}, false},
		{"/Date(1+00000)/", time.Time{}, false},
		{"/Date(1--0000)/", time.Time{}, false},
		{"/Date(+1)/", time.Time{}, false},
		{"/Date(1.5)/", time.Time{}, false},
		{"/Date(1)", time.Time{}, false},
		{"Date(1)/", time.Time{}, false},
		{"\\/Date(1)\\/", time.Time{}, false},
		{"/Date(99999999999999999999)/", time.Time{}, false},
		{"2026-01-01T00:00:00Z", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseDate(tt.in)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("parseDate = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

func TestParsePrecedence(t *testing.T) {
	b := edit(t, func(m map[string]any) {
		target := m["InputParameters"].([]any)[0].(map[string]any)["value"].(map[string]any)
		target["Attributes"] = []any{kv("name", "from target"), kv("modifiedon", "/Date(1767225600000)/")}
		target["FormattedValues"] = []any{kv("statuscode", "Target label")}
		m["PostEntityImages"] = []any{
			kv("First", map[string]any{"Attributes": []any{kv("name", "first image"), kv("a", 1), kv("b", 1)}, "FormattedValues": []any{kv("statuscode", "Image label")}}),
			kv("Second", map[string]any{"Attributes": []any{kv("name", "second image"), kv("b", 2)}}),
		}
		m["PreEntityImages"] = []any{kv("PreImage", map[string]any{"Attributes": []any{kv("pre", "ignored on update")}})}
	})
	got, err := Adapter{}.Parse(&webhook.Request{Body: b})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "from target", "a": 1.0, "b": 2.0, "modifiedon": "2026-01-01T00:00:00Z",
		FormattedValuesKey: map[string]any{"statuscode": "Target label"},
	}
	if d := cmp.Diff(want, got[0].Fields); d != "" {
		t.Errorf("Fields (-want +got):\n%s", d)
	}
}

func TestParse(t *testing.T) {
	del := func(keys ...string) func(m map[string]any) {
		return func(m map[string]any) {
			for _, k := range keys {
				delete(m, k)
			}
		}
	}
	set := func(k string, v any) func(m map[string]any) { return func(m map[string]any) { m[k] = v } }
	both := func(fs ...func(m map[string]any)) func(m map[string]any) {
		return func(m map[string]any) {
			for _, f := range fs {
				f(m)
			}
		}
	}
	const zero = "00000000-0000-0000-0000-000000000000"
	tests := []struct {
		name       string
		body       []byte
		wantErr    error
		wantNone   bool
		wantID     string
		wantRecord string
		wantTime   time.Time
		wantFields int // -1: do not check
	}{
		{name: "update sample", body: edit(t, func(map[string]any) {}), wantID: "dynamics:" + orgID + ":0c0d0e0f-0000-0000-0000-000000000004:" + oppID, wantFields: -1},
		{name: "upsert message", body: edit(t, set("MessageName", "Upsert")), wantID: "dynamics:" + orgID + ":0c0d0e0f-0000-0000-0000-000000000004:" + oppID, wantFields: -1},
		{name: "upper-case GUIDs are lower-cased", body: edit(t, both(set("OrganizationId", strings.ToUpper(orgID)), set("PrimaryEntityId", strings.ToUpper(oppID)), set("OperationId", "0C0D0E0F-0000-0000-0000-000000000004"))),
			wantID: "dynamics:" + orgID + ":0c0d0e0f-0000-0000-0000-000000000004:" + oppID, wantFields: -1},
		{name: "zero OperationId falls back to RequestId", body: edit(t, both(set("OperationId", zero), set("RequestId", "11111111-2222-3333-4444-555555555555"))),
			wantID: "dynamics:" + orgID + ":req-11111111-2222-3333-4444-555555555555:" + oppID, wantFields: -1},
		{name: "no OperationId nor RequestId falls back to CorrelationId", body: edit(t, del("OperationId", "RequestId")),
			wantID: "dynamics:" + orgID + ":corr-7c0a8f7e-0000-0000-0000-000000000002-Update-1767225600500:" + oppID, wantFields: -1},
		{name: "no operation ids at all", body: edit(t, both(del("OperationId", "RequestId"), set("CorrelationId", zero))), wantErr: webhook.ErrUnmappable},
		{name: "record id from Target when PrimaryEntityId is missing", body: edit(t, del("PrimaryEntityId")),
			wantID: "dynamics:" + orgID + ":0c0d0e0f-0000-0000-0000-000000000004:" + oppID, wantRecord: oppID, wantFields: -1},
		{name: "no record id", body: edit(t, both(del("PrimaryEntityId"), set("InputParameters", []any{}))), wantErr: webhook.ErrUnmappable},
		{name: "time from modifiedon without OperationCreatedOn", body: edit(t, del("OperationCreatedOn")), wantTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), wantFields: -1},
		{name: "DateTime.MinValue OperationCreatedOn uses modifiedon", body: edit(t, set("OperationCreatedOn", "/Date(-62135596800000)/")), wantTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), wantFields: -1},
		{name: "RFC 3339 OperationCreatedOn", body: edit(t, set("OperationCreatedOn", "2026-01-01T01:00:00+01:00")), wantTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), wantFields: -1},
		{name: "no time at all", body: edit(t, both(del("OperationCreatedOn"), setTarget(kv("name", "x")))), wantErr: webhook.ErrUnmappable},
		{name: "unreadable OperationCreatedOn", body: edit(t, set("OperationCreatedOn", "/Date(yesterday)/")), wantErr: webhook.ErrMalformed},
		{name: "OperationCreatedOn a number", body: edit(t, set("OperationCreatedOn", 1767225600500)), wantErr: webhook.ErrMalformed},
		{name: "message too large: no parameters or images", body: edit(t, del("InputParameters", "PostEntityImages", "PreEntityImages", "ParentContext")), wantFields: 0},
		{name: "other message ignored", body: edit(t, set("MessageName", "Assign")), wantNone: true},
		{name: "lower-case message is not ours", body: edit(t, set("MessageName", "update")), wantNone: true},
		{name: "no message", body: edit(t, del("MessageName")), wantErr: webhook.ErrUnmappable},
		{name: "no organisation", body: edit(t, del("OrganizationId")), wantErr: webhook.ErrUnmappable},
		{name: "organisation with a colon", body: edit(t, set("OrganizationId", "a:b")), wantErr: webhook.ErrUnmappable},
		{name: "no table", body: edit(t, del("PrimaryEntityName")), wantErr: webhook.ErrUnmappable},
		{name: "table with a slash", body: edit(t, set("PrimaryEntityName", "a/b")), wantErr: webhook.ErrUnmappable},
		{name: "not JSON", body: []byte(`{"MessageName":`), wantErr: webhook.ErrMalformed},
		{name: "an array", body: []byte(`[]`), wantErr: webhook.ErrMalformed},
		{name: "empty body", body: nil, wantErr: webhook.ErrMalformed},
		{name: "null", body: []byte(`null`), wantErr: webhook.ErrUnmappable},
		{name: "parameters not an array", body: edit(t, set("InputParameters", map[string]any{"Target": 1})), wantErr: webhook.ErrMalformed},
		{name: "Target a string", body: edit(t, set("InputParameters", []any{kv("Target", "x")})), wantErr: webhook.ErrMalformed},
		{name: "Attributes not an array", body: edit(t, set("InputParameters", []any{kv("Target", map[string]any{"Attributes": map[string]any{"a": 1}})})), wantErr: webhook.ErrMalformed},
		{name: "attribute without a key", body: edit(t, setTarget(map[string]any{"value": 1})), wantErr: webhook.ErrMalformed},
		{name: "attribute not an object", body: edit(t, setTarget("name")), wantErr: webhook.ErrMalformed},
		{name: "image not an entity", body: edit(t, set("PostEntityImages", []any{kv("PostImage", []any{1})})), wantErr: webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Adapter{}.Parse(&webhook.Request{Body: tt.body})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Parse: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tt.wantNone {
				if len(got) != 0 {
					t.Fatalf("Parse: %d changes, want none", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("Parse: %d changes, want 1", len(got))
			}
			c := got[0]
			if tt.wantID != "" && c.ID != tt.wantID {
				t.Errorf("ID = %q, want %q", c.ID, tt.wantID)
			}
			if tt.wantRecord != "" && c.RecordID != tt.wantRecord {
				t.Errorf("RecordID = %q, want %q", c.RecordID, tt.wantRecord)
			}
			if !tt.wantTime.IsZero() && !c.OccurredAt.Equal(tt.wantTime) {
				t.Errorf("OccurredAt = %v, want %v", c.OccurredAt, tt.wantTime)
			}
			if tt.wantFields >= 0 && len(c.Fields) != tt.wantFields {
				t.Errorf("%d fields, want %d", len(c.Fields), tt.wantFields)
			}
			if c.Op == webhook.OpUpsert && len(c.Fields) == 0 {
				c.Fields = map[string]any{"x": 1} // the schema wants fields on upserts; mapping adds them
			}
			eventstest.AssertValid(t, asEvent(c))
		})
	}
}

// TestParseJSONRules pins the encoding/json rules the single-pass decoder
// keeps: bodies that encoding/json reads alike give the same change, and
// what it rejects stays rejected.
func TestParseJSONRules(t *testing.T) {
	sample := readTestdata(t, "opportunity-update.json")
	want, err := Adapter{}.Parse(&webhook.Request{Body: sample})
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte {
		t.Helper()
		if !strings.Contains(string(sample), old) {
			t.Fatalf("sample has no %q", old)
		}
		return []byte(strings.Replace(string(sample), old, new, 1))
	}
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	same := []struct {
		name string
		body []byte
	}{
		{"member names match case-insensitively", replace(`"MessageName"`, `"messagename"`)},
		{"member names match by Unicode folding", replace(`"PostEntityImages"`, `"PoſtEntityImages"`)},
		{"escaped member name", replace(`"OrganizationId"`, `"Organization\u0049d"`)},
		{"escaped string value", replace(`"opportunity",`+"\n  \"RequestId\"", `"opp\u006frtunity",`+"\n  \"RequestId\"")},
		{"other parameters' values are skipped", replace(`{"key": "ConcurrencyBehavior", "value": 0}`, `{"value": {"Attributes": 5}, "key": "ConcurrencyBehavior"}`)},
		{"null string member leaves it unset", replace(`"RequestId": null`, `"RequestId": null, "MessageName": null`)},
		{"unknown members of any shape are skipped", replace(`"Depth": 1`, `"Depth": [1, -0.5e+3, {"a": [true, false, null, "\ud83d\ude00"]}], "x": `+deep(9000))},
		{"white space around the body", append(append([]byte(" \r\n\t"), sample...), " \n"...)},
	}
	for _, tt := range same {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Adapter{}.Parse(&webhook.Request{Body: tt.body})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Parse (-sample +got):\n%s", d)
			}
		})
	}

	// A Target whose value comes before its key, after the sample's Target:
	// it wins, as it would written key first.
	late := `{"Attributes": [{"key": "name", "value": "late"}], "Id": "5f1e2d3c-0000-0000-0000-0000000000aa"}`
	valueFirst, err := Adapter{}.Parse(&webhook.Request{Body: replace(`{"key": "ConcurrencyBehavior", "value": 0}`, `{"value": `+late+`, "key": "Target"}`)})
	if err != nil {
		t.Fatal(err)
	}
	keyFirst, err := Adapter{}.Parse(&webhook.Request{Body: replace(`{"key": "ConcurrencyBehavior", "value": 0}`, `{"key": "Target", "value": `+late+`}`)})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(keyFirst, valueFirst); d != "" || valueFirst[0].Fields["name"] != "late" {
		t.Errorf("Target value before its key (-key first +value first):\n%s", d)
	}
	strs := replace(`"value": "5f1e2d3c-0000-0000-0000-0000000000aa"}`, `"value": "\u00e9\ud83d\ude00\ud800\"\\\/\t"}`)
	if got, err := (Adapter{}).Parse(&webhook.Request{Body: strs}); err != nil || got[0].Fields["opportunityid"] != "é😀\ufffd\"\\/\t" {
		t.Errorf("escapes: %q, %v", got[0].Fields["opportunityid"], err)
	}

	bad := []struct {
		name    string
		body    []byte
		wantErr error
	}{
		{"nesting beyond 10000", replace(`"Depth": 1`, `"Depth": `+deep(10001)), webhook.ErrMalformed},
		{"trailing data", append(append([]byte{}, sample...), "{}"...), webhook.ErrMalformed},
		{"trailing comma", replace(`"Stage": 40,`, `"Stage": 40,,`), webhook.ErrMalformed},
		{"bad escape", replace(`"contoso"`, `"con\x"`), webhook.ErrMalformed},
		{"control character in a string", replace(`"contoso"`, "\"con\ttoso\""), webhook.ErrMalformed},
		{"leading zero", replace(`"Depth": 1`, `"Depth": 01`), webhook.ErrMalformed},
		{"number out of range in an image", replace(`"Value": 0}`, `"Value": 1e400}`), webhook.ErrMalformed},
		{"string member not a string", replace(`"OrganizationName": "contoso"`, `"OrganizationId": 5`), webhook.ErrMalformed},
		{"Target number out of range", replace(`"Value": 3}`, `"Value": 1e400}`), webhook.ErrMalformed},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := (Adapter{}).Parse(&webhook.Request{Body: tt.body}); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse: %v, want %v", err, tt.wantErr)
			}
		})
	}

	// A bad Target matters only for the messages goalrelay syncs.
	assign := replace(`"MessageName": "Update"`, `"MessageName": "Assign"`)
	assign = []byte(strings.Replace(string(assign), `"Value": 3}`, `"Value": 1e400}`, 1))
	if got, err := (Adapter{}).Parse(&webhook.Request{Body: assign}); err != nil || len(got) != 0 {
		t.Errorf("Assign with a bad Target: %v, %v; want no changes, no error", got, err)
	}
}
