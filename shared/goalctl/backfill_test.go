package goalctl_test

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/webhook"
	"github.com/goalrelay/goalrelay/testevents"
)

const hubspotCSV = `hs_object_id,dealname,dealstage,closedate,description,company_name,hs_lastmodifieddate
901,Reach 80% seat adoption,closedwon,2026-12-31,"Roll out, EMEA",IBM,2026-11-27T10:00:00Z
902,Cut onboarding to 30 days,contractsent,1798675200000,,Acme Corp,2026-11-26T09:00:00.000Z
903,Renewal at 95%,appointmentscheduled,,,Globex,
`

var backfillNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeLines(t *testing.T, s string) []events.Event {
	t.Helper()
	var out []events.Event
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if err := eventstest.ValidateJSON(sc.Bytes()); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		var e events.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestBackfillDryRunHubSpotCSV(t *testing.T) {
	file := writeFile(t, "deals.csv", hubspotCSV)
	h := &harness{now: backfillNow}
	r := h.run(t, "backfill", "--file", file, "--source", "hubspot", "--object", "deal", "--account", "62515", "--dry-run")
	wantCode(t, r, goalctl.ExitOK)
	evs := decodeLines(t, r.stdout)
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3\n%s", len(evs), r)
	}
	e := evs[0]
	if !strings.HasPrefix(e.ID, "hubspot:backfill:62515:deal:901:") || e.Source != "hubspot/portal/62515" || e.Subject != "901" ||
		e.Type != events.GoalUpserted || !e.Time.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("event %+v", e)
	}
	want := map[string]any{"Name": "Reach 80% seat adoption", "StatusName": "Achieved", "DueDate": "2026-12-31",
		"Description": "Roll out, EMEA", "CompanyName": "IBM", "EntityType": "COMPANY", "GoalTypeName": "Default"}
	if d := cmp.Diff(want, e.Data.Fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	if evs[1].Data.Fields["DueDate"] != "2026-12-31" || evs[1].Data.Fields["StatusName"] != "On Track" {
		t.Errorf("902 fields %v", evs[1].Data.Fields)
	}
	// No modified date: now.
	if !evs[2].Time.Equal(backfillNow) {
		t.Errorf("903 time %s, want now", evs[2].Time)
	}
	for _, w := range []string{"3 record(s) read: 3 event(s), 0 ignored by the mapping, 0 invalid", "ETA in Gainsight at 90 calls/minute", "about 3s if every goal is new (1.1 calls each: create + one fetch per 10), 2s if they all exist"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q\n%s", w, r)
		}
	}

	// Ids are stable for unchanged records and change with the record.
	r2 := (&harness{now: backfillNow.Add(time.Hour)}).run(t, "backfill", "--file", file, "--source", "hubspot", "--object", "deal", "--account", "62515", "--dry-run")
	again := decodeLines(t, r2.stdout)
	for i := range evs {
		if again[i].ID != evs[i].ID {
			t.Errorf("id of record %d changed between runs: %s, %s", i, evs[i].ID, again[i].ID)
		}
	}
	changed := writeFile(t, "deals.csv", strings.Replace(hubspotCSV, "closedwon", "closedlost", 1))
	r3 := h.run(t, "backfill", "--file", changed, "--source", "hubspot", "--object", "deal", "--account", "62515", "--dry-run")
	if third := decodeLines(t, r3.stdout); third[0].ID == evs[0].ID || third[1].ID != evs[1].ID {
		t.Errorf("ids after changing record 901: %s %s", third[0].ID, third[1].ID)
	}
}

func TestBackfillJSONLinesSalesforce(t *testing.T) {
	file := writeFile(t, "opps.jsonl", `{"Id":"0065e00000GoAl1AAA","Name":"Acme renewal","StageName":"Closed Won","CloseDate":"2026-12-31","Account_Name__c":"Acme Corp","LastModifiedDate":"2026-11-27T10:00:00.000+0000"}

{"Id":"0065e00000GoAl2AAA","Name":"Globex expansion","StageName":"Prospecting","CloseDate":"2027-03-31","Account_Name__c":"Globex","LastModifiedDate":"2026-11-20T08:00:00.000+0000","Amount":125000.5}
`)
	r := (&harness{now: backfillNow}).run(t, "backfill", "--file", file, "--source", "salesforce", "--object", "Opportunity",
		"--account", "00D000000000062", "--dry-run", "--calls-per-minute", "1")
	wantCode(t, r, goalctl.ExitOK)
	evs := decodeLines(t, r.stdout)
	if len(evs) != 2 {
		t.Fatalf("%d events\n%s", len(evs), r)
	}
	if evs[0].Source != "salesforce/org/00D000000000062EAA" || evs[0].Data.Fields["StatusName"] != "Achieved" ||
		!evs[1].Time.Equal(time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)) || evs[1].Data.Fields["StatusName"] != "New" {
		t.Errorf("events %+v", evs)
	}
	// Two creates and one fetch.
	if !strings.Contains(r.stderr, "about 3m0s if every goal is new") {
		t.Errorf("ETA at 1 call/minute:\n%s", r)
	}
}

func TestBackfillInvalidRecords(t *testing.T) {
	// Row 3 has no dealname (required in a full record); row 4 no id.
	csv := strings.Replace(hubspotCSV, "902,Cut onboarding to 30 days,", "902,,", 1) + ",No id,closedwon,,,,\n"
	file := writeFile(t, "deals.csv", csv)
	args := []string{"backfill", "--file", file, "--source", "hubspot", "--object", "deal", "--account", "62515", "--dry-run"}
	r := (&harness{now: backfillNow}).run(t, args...)
	wantCode(t, r, goalctl.ExitFailure)
	if r.stdout != "" {
		t.Errorf("events printed despite invalid records:\n%s", r)
	}
	for _, w := range []string{"row 3: ", "Name", "row 5: no record id (looked for hs_object_id, Record ID, id)", "2 record(s) cannot be mapped", "--skip-invalid"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q\n%s", w, r)
		}
	}
	r = (&harness{now: backfillNow}).run(t, append(args, "--skip-invalid")...)
	wantCode(t, r, goalctl.ExitOK)
	if n := len(decodeLines(t, r.stdout)); n != 2 {
		t.Errorf("%d events with --skip-invalid, want 2", n)
	}

	// A bad time in the named column is an invalid record too.
	r = (&harness{now: backfillNow}).run(t, "backfill", "--file", writeFile(t, "d.csv", hubspotCSV), "--source", "hubspot", "--object", "deal",
		"--account", "62515", "--dry-run", "--time-field", "dealname")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "dealname is not a time") {
		t.Errorf("stderr:\n%s", r)
	}

	// Not JSON lines at all: the file cannot be read.
	r = (&harness{}).run(t, "backfill", "--file", writeFile(t, "x.jsonl", "{\"id\":1}\nnot json\n"), "--source", "pipedrive", "--object", "deal", "--account", "1", "--dry-run")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "line 2: not a JSON object") {
		t.Errorf("stderr:\n%s", r)
	}
}

func TestBackfillQueues(t *testing.T) {
	q := newQueues(t)
	// 25 records: three batches of the publisher.
	var b strings.Builder
	b.WriteString("hs_object_id,dealname,dealstage,hs_lastmodifieddate\n")
	for i := range 25 {
		b.WriteString(strings.Join([]string{strconv.Itoa(1000 + i), "Goal " + strconv.Itoa(i), "contractsent", "2026-11-27T10:00:00Z"}, ",") + "\n")
	}
	file := writeFile(t, "deals.csv", b.String())
	h := q.harness()
	h.now = backfillNow
	on := true
	h.progress = &on
	dry := h.run(t, "backfill", "--file", file, "--source", "hubspot", "--object", "deal", "--account", "62515", "--dry-run")
	wantCode(t, dry, goalctl.ExitOK)
	want := decodeLines(t, dry.stdout)

	r := h.run(t, "backfill", "--file", file, "--source", "hubspot", "--object", "deal", "--account", "62515", "--queue-url", q.queueURL)
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stdout, "queued 25 event(s)") || !strings.Contains(r.stderr, "queueing") || !strings.Contains(r.stderr, "25/25") {
		t.Errorf("output:\n%s", r)
	}
	got := q.drain(t, q.queueURL)
	if len(got) != 25 {
		t.Fatalf("%d messages on the queue, want 25", len(got))
	}
	byID := map[string]events.Event{}
	for _, m := range got {
		var e events.Event
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
			t.Fatal(err)
		}
		byID[e.ID] = e
		if g := m.Attributes["MessageGroupId"]; g != queue.FIFOID(e.RecordKey()) {
			t.Errorf("group %q", g)
		}
	}
	for _, w := range want {
		if d := cmp.Diff(w, byID[w.ID]); d != "" {
			t.Errorf("queued event %s differs from the dry run (-want +got):\n%s", w.ID, d)
		}
	}

	// A queue that does not exist: nothing queued, exit 1.
	r = h.run(t, "backfill", "--file", file, "--source", "hubspot", "--object", "deal", "--account", "62515", "--queue-url", q.queueURL+"-missing", "--no-progress")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "queued 0 of 25") {
		t.Errorf("stderr:\n%s", r)
	}
}

// The real binary, with the mapping given as a file and the endpoints from
// the environment.
func TestBinaryBackfill(t *testing.T) {
	q := newQueues(t)
	mappingFile := writeFile(t, "mapping.yaml", `source: pipedrive
objects:
  deal:
    type: goal
    fullRecord: true
    fields:
      Name: {expr: fields.Title, required: true}
      StatusName: {expr: fields.Status, map: {open: On Track, won: Achieved}, mapDefault: On Track}
      CompanyName: fields.Organization
    constants:
      EntityType: COMPANY
      GoalTypeName: Default
`)
	file := writeFile(t, "deals.jsonl", `{"id":43,"Title":"Globex onboarding","Status":"won","Organization":"Globex","update_time":"2026-11-27 10:00:00"}
{"id":44,"Title":"Initech rollout","Status":"open","Organization":"Initech","update_time":"2026-11-27 10:05:00"}
`)
	r := execGoalctl(t, q.moto.Env(), "backfill", "--file", file, "--source", "pipedrive", "--object", "deal", "--account", "8100001",
		"--mapping", mappingFile, "--queue-url", q.queueURL)
	wantCode(t, r, goalctl.ExitOK)
	if !strings.Contains(r.stdout, "queued 2 event(s)") {
		t.Errorf("stdout:\n%s", r)
	}
	got := q.drain(t, q.queueURL)
	if len(got) != 2 {
		t.Fatalf("%d messages", len(got))
	}
	var e events.Event
	_ = json.Unmarshal([]byte(aws.ToString(got[0].Body)), &e)
	if e.Source != "pipedrive/company/8100001" || e.Subject != "43" || e.Data.Fields["StatusName"] != "Achieved" ||
		!e.Time.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("event %+v", e)
	}

	// A broken mapping file is reported with its position, before any AWS call.
	bad := writeFile(t, "bad.yaml", "source: pipedrive\nobjects:\n  deal:\n    type: invoice\n")
	r = execGoalctl(t, q.moto.Env(), "backfill", "--file", file, "--source", "pipedrive", "--object", "deal", "--account", "1", "--mapping", bad, "--queue-url", q.queueURL)
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "bad.yaml") {
		t.Errorf("stderr:\n%s", r)
	}
}

// A record backfilled from an export gets the record key its adapter gives
// the same record from a webhook, for every source with a namespace: else
// the backfill would create a second goal.
func TestBackfillSharesTheAdaptersRecordKey(t *testing.T) {
	secrets := testevents.NewSecrets()
	now := backfillNow
	for _, src := range sources.All() {
		if src.Namespace == "" {
			continue
		}
		t.Run(src.Name, func(t *testing.T) {
			secret := secrets[src.Name]
			// The full-record sample where a source has one (HubSpot's
			// workflow webhook); the mapping then makes an event of it.
			scheme := ""
			if len(src.Schemes) > 1 {
				scheme = src.Schemes[1]
			}
			account := "62515"
			if src.Name == "dynamics" {
				account = "4EF5B371-0000-0000-0000-0000000000AB"
			}
			body, err := src.Sample(webhook.SampleOptions{Now: now, RecordID: "7001", Account: account, Scheme: scheme, Secret: secret})
			if err != nil {
				t.Fatal(err)
			}
			const u = "https://hooks.example.com/webhooks/x"
			h, err := src.Sign(secret, webhook.Delivery{URL: u, Body: body, Time: now, Scheme: scheme})
			if err != nil {
				t.Fatal(err)
			}
			header := map[string]string{}
			for k, v := range h {
				header[strings.ToLower(k)] = v
			}
			changes, err := src.Open(&webhook.Request{Method: "POST", Header: header, Body: body, PublicURL: u}, secret, now)
			if err != nil || len(changes) != 1 {
				t.Fatalf("Open: %d changes, %v", len(changes), err)
			}
			ch := changes[0]
			hook, err := mapping.Default().Map(ch)
			if err != nil || len(hook) == 0 {
				t.Fatalf("map the webhook's change: %d events, %v", len(hook), err)
			}
			// The same record as a line of an export, under the account the
			// CRM shows (Salesforce: the organization; Dynamics: as typed).
			if src.Name == "salesforce" {
				account = testevents.SalesforceOrganizationID[:15]
			}
			line, err := json.Marshal(ch.Fields)
			if err != nil {
				t.Fatal(err)
			}
			file := writeFile(t, "export.jsonl", string(line)+"\n")
			r := (&harness{now: now}).run(t, "backfill", "--file", file, "--source", src.Name, "--object", ch.Object,
				"--account", account, "--id-field", idFieldOf(t, ch), "--dry-run")
			wantCode(t, r, goalctl.ExitOK)
			evs := decodeLines(t, r.stdout)
			if len(evs) != len(hook) {
				t.Fatalf("backfill made %d events, the webhook %d\n%s", len(evs), len(hook), r)
			}
			for i := range evs {
				if got, want := evs[i].RecordKey(), hook[i].RecordKey(); got != want {
					t.Errorf("backfill record key %q, webhook %q", got, want)
				}
			}
		})
	}
}

// idFieldOf returns the field of ch that holds its record id.
func idFieldOf(t *testing.T, ch webhook.Change) string {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(ch.Fields)) {
		if s, ok := ch.Fields[k].(string); ok && s == ch.RecordID {
			return k
		}
		if f, ok := ch.Fields[k].(float64); ok && strconv.FormatFloat(f, 'f', -1, 64) == ch.RecordID {
			return k
		}
	}
	t.Fatalf("no field holds the record id %s: %v", ch.RecordID, ch.Fields)
	return ""
}

func TestBackfillJSON(t *testing.T) {
	file := writeFile(t, "deals.csv", hubspotCSV)
	r := (&harness{now: backfillNow}).run(t, "backfill", "--file", file, "--source", "hubspot", "--object", "deal", "--account", "62515", "--dry-run", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var res goalctl.BackfillResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if res.Records != 3 || res.EventCount != 3 || len(res.Events) != 3 || !res.DryRun || res.Queued != 0 ||
		res.ETANew != "3s" || res.ETAKnown != "2s" || !strings.HasPrefix(res.Events[0].ID, "hubspot:backfill:62515:deal:901:") {
		t.Errorf("result %+v", res)
	}

	// Invalid records are listed, with the error.
	bad := writeFile(t, "bad.csv", hubspotCSV+",No id,closedwon,,,,\n")
	r = (&harness{now: backfillNow}).run(t, "backfill", "--file", bad, "--source", "hubspot", "--object", "deal", "--account", "62515", "--dry-run", "-o", "json")
	wantCode(t, r, goalctl.ExitFailure)
	res = goalctl.BackfillResult{}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if len(res.Invalid) != 1 || res.Invalid[0].Line != 5 || !strings.Contains(res.Invalid[0].Error, "no record id") ||
		len(res.Events) != 0 || !strings.Contains(res.Error, "1 record(s) cannot be mapped") {
		t.Errorf("result %+v", res)
	}
}
