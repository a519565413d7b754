package ingest_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

const genericSecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// genericRequest is a signed request of the generic source carrying evs.
func genericRequest(t *testing.T, now time.Time, evs ...map[string]any) events.APIGatewayV2HTTPRequest {
	t.Helper()
	body, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	h, err := standardwebhooks.SignedHeaders(genericSecret, "msg_owned1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	h["content-type"] = "application/json"
	return request("generic", string(body), h)
}

// canonical is a generic-source event of type typ with data.fields.
func canonical(id string, typ goalevents.Type, fields map[string]any) map[string]any {
	return map[string]any{
		"specversion": "1.0", "id": id, "source": "salesforce-flow/org/00D5", "type": string(typ),
		"subject": "006A", "time": "2026-11-27T10:00:00Z", "datacontenttype": "application/json",
		"data": map[string]any{"externalId": "006A", "fields": fields},
	}
}

// TestOwnedFieldsAreRefused: an event that sets a relay-owned field in
// data.fields (Gsid, the external-id field, a system field; any case) is
// refused with 400 and a reason that names the field but not its value,
// and nothing of the request is queued.
func TestOwnedFieldsAreRefused(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	goal := func(extra map[string]any) map[string]any {
		f := map[string]any{"Name": "Reach 80% adoption", "StatusName": "On Track"}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	ok := canonical("ok-1", goalevents.GoalUpserted, goal(nil))
	tests := []struct {
		name       string
		evs        []map[string]any
		wantStatus int
		wantQueued int
		wantField  string // named in the reason
	}{
		{"a plain goal passes", []map[string]any{ok}, 200, 1, ""},
		{"GSID", []map[string]any{canonical("e1", goalevents.GoalUpserted, goal(map[string]any{"GSID": "1I0054U9FAKEGSID"}))}, 400, 0, "GSID"},
		{"the external-id field", []map[string]any{canonical("e1", goalevents.GoalUpserted,
			goal(map[string]any{"goalrelay_external_id__gc": "hubspot/portal/1:SECRET-KEY"}))}, 400, 0, "goalrelay_external_id__gc"},
		{"ModifiedDate on a goal delete", []map[string]any{canonical("e1", goalevents.GoalDeleted,
			map[string]any{"ModifiedDate": "2020-01-01T00:00:00Z"})}, 400, 0, "ModifiedDate"},
		{"createdbyid on a template", []map[string]any{canonical("e1", goalevents.GoalTemplateUpserted,
			map[string]any{"Name": "t", "createdbyid": "1P01FAKEUSER"})}, 400, 0, "createdbyid"},
		{"gsid on a metric", []map[string]any{canonical("e1", goalevents.MetricUpserted,
			map[string]any{"name": "m", "unitOfMeasure": "PERCENTAGE", "gsid": "1I00FAKEMETRIC"})}, 400, 0, "gsid"},
		{"a system field on a metric means nothing and passes", []map[string]any{canonical("e1", goalevents.MetricUpserted,
			map[string]any{"name": "m", "unitOfMeasure": "PERCENTAGE", "CreatedDate": "2020-01-01"})}, 200, 1, ""},
		{"one bad event refuses the whole request", []map[string]any{ok, canonical("e2", goalevents.GoalUpserted,
			goal(map[string]any{"Gsid": "1I0054U9FAKEGSID"}))}, 400, 0, "Gsid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakePublisher{}
			svc := &ingest.Service{
				Sources: []*webhook.Source{&standardwebhooks.Source},
				Secrets: fakeSecrets{"generic": json.RawMessage(`{"secret":"` + genericSecret + `"}`)},
				Mapper:  mapping.Default(), Publisher: pub,
				Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
			}
			resp, err := svc.Handle(t.Context(), genericRequest(t, now, tt.evs...))
			if err != nil {
				t.Fatal(err)
			}
			checkOwnedAnswer(t, resp.StatusCode, resp.Body, pub, tt.wantStatus, tt.wantQueued, tt.wantField, tt.evs)
		})
	}
}

// TestOwnedFieldsFromMappingOutputAreRefused: the check applies to what
// any mapper produces, not only to canonical events.
func TestOwnedFieldsFromMappingOutputAreRefused(t *testing.T) {
	pub := &fakePublisher{}
	svc := &ingest.Service{
		Sources: []*webhook.Source{fakeSource("fake")},
		Secrets: fakeSecrets{"fake": json.RawMessage(`{"key":"k1"}`)},
		Mapper:  ownedMapper{}, Publisher: pub, Log: slog.New(slog.DiscardHandler),
	}
	resp, err := svc.Handle(t.Context(), request("fake", "a", nil))
	if err != nil {
		t.Fatal(err)
	}
	checkOwnedAnswer(t, resp.StatusCode, resp.Body, pub, 400, 0, "CreatedDate", nil)
}

// ownedMapper is fakeMapper whose events also set CreatedDate.
type ownedMapper struct{}

func (ownedMapper) Map(ch webhook.Change) ([]goalevents.Event, error) {
	evs, err := fakeMapper{}.Map(ch)
	for i := range evs {
		evs[i].Data.Fields["CreatedDate"] = "2001-02-03"
	}
	return evs, err
}

func checkOwnedAnswer(t *testing.T, status int, respBody string, pub *fakePublisher, wantStatus, wantQueued int, wantField string, evs []map[string]any) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status = %d, want %d (body %s)", status, wantStatus, respBody)
	}
	if len(pub.sent) != wantQueued {
		t.Errorf("queued %d events, want %d", len(pub.sent), wantQueued)
	}
	var body struct{ Error string }
	if err := json.Unmarshal([]byte(respBody), &body); err != nil {
		t.Fatalf("body is not JSON: %q", respBody)
	}
	if wantField == "" {
		return
	}
	if !strings.Contains(body.Error, "data.fields."+wantField) || !strings.Contains(body.Error, "owns") {
		t.Errorf("reason = %q, want it to name data.fields.%s as relay-owned", body.Error, wantField)
	}
	for _, e := range evs {
		for k, v := range e["data"].(map[string]any)["fields"].(map[string]any) {
			if goalevents.IsOwnedField(k) && strings.Contains(body.Error, v.(string)) {
				t.Errorf("reason %q echoes the value of %s", body.Error, k)
			}
		}
	}
	if strings.Contains(body.Error, "2001-02-03") {
		t.Errorf("reason %q echoes a value", body.Error)
	}
}
