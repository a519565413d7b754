package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
	"github.com/goalrelay/goalrelay/shared/goalctl"
	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/shared/state"
	"github.com/goalrelay/goalrelay/testevents"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startStack starts the local stack with o (its output to a buffer, the
// module root set), closed by t.Cleanup; the stack's output is logged when
// the test fails.
func startStack(t *testing.T, ctx context.Context, o devstack.Options) (*devstack.Stack, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	o.Output, o.Root = logs, "../../.."
	st, err := devstack.Start(ctx, o)
	if err != nil {
		t.Fatalf("start: %v\n%s", err, logs)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stack output:\n%s", logs)
		}
		st.Close()
	})
	return st, logs
}

// capture is an ingest.Publisher that keeps what would be queued.
type capture struct{ evs []goalevents.Event }

func (c *capture) Publish(_ context.Context, evs []goalevents.Event) error {
	c.evs = append(c.evs, evs...)
	return nil
}

// expectedEvents runs the ingest service in-process over f (same adapters,
// test secrets and default mapping as the function) and returns the events
// it would queue.
func expectedEvents(t *testing.T, f testevents.File, now time.Time) []goalevents.Event {
	t.Helper()
	c := &capture{}
	svc := &ingest.Service{Sources: sources.All(), Secrets: testevents.NewSecrets(), Mapper: mapping.Default(),
		Publisher: c, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
	req, err := f.Request()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := svc.Handle(t.Context(), req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: in-process ingest: %v %d %s", f.File, err, resp.StatusCode, resp.Body)
	}
	return c.evs
}

// TestEndToEnd runs every testevents webhook through the local stack:
// the front, the ingest bootstrap under aws-lambda-rie, the FIFO queue on
// moto_server, the local event source mapping, the apply bootstrap and the
// Gainsight simulator; then a permanent Gainsight error, the DLQ and a
// redrive.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both bootstraps and runs moto_server, aws-lambda-rie and the simulator")
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	// ContainerHost 127.0.0.1: the forwarders sam local invoke uses on
	// Linux, served where a test may connect.
	st, _ := startStack(t, ctx, devstack.Options{ContainerHost: "127.0.0.1"})
	t.Logf("stack up in %s", time.Since(began).Round(time.Millisecond))

	now := time.Now()
	set, err := testevents.Generate(now, "../../..")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("invalid webhooks are refused and queue nothing", func(t *testing.T) {
		goalsBefore := len(st.Simulator.Goals())
		n := 0
		for _, f := range set.Ingest() {
			if f.Status == http.StatusOK {
				continue
			}
			n++
			rep, err := st.Send(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != f.Status {
				t.Errorf("%s: status %d, want %d: %s", f.File, rep.Status, f.Status, rep.Body)
			}
			if d, err := st.QueueDepth(ctx, st.QueueURL); err != nil || d.Total() != 0 {
				t.Errorf("%s: queue depth %+v (%v), want 0", f.File, d, err)
			}
		}
		if n == 0 {
			t.Fatal("testevents has no invalid webhook")
		}
		time.Sleep(500 * time.Millisecond) // a poll or two
		if esm := st.ESM(); esm.Received != 0 {
			t.Errorf("the event source mapping received %d messages after invalid webhooks only", esm.Received)
		}
		if got := len(st.Simulator.Goals()); got != goalsBefore {
			t.Errorf("%d goals after invalid webhooks, want %d", got, goalsBefore)
		}
		t.Logf("%d invalid webhooks refused", n)
	})

	// Valid webhooks: every event they queue must end as a goal, except the
	// deliberate bad examples the manifest lists (deadLettered), which must
	// be in the DLQ with their reasons, and nothing else may be there.
	// dlqBefore is the DLQ depth after the valid webhooks; deadOnly the
	// number of records that are in the DLQ without any goal.
	deliberate := map[string]testevents.DeadLetter{}
	for _, d := range set.DeadLetters() {
		deliberate[d.EventID] = d
	}
	var dlqBefore, deadOnly int
	var sent []goalevents.Event // every event the valid webhooks queued
	t.Run("valid webhooks end as goals", func(t *testing.T) {
		if len(deliberate) == 0 {
			t.Fatal("the testevents have no deliberate permanent failure: the DLQ is not shown")
		}
		byKey := map[string][]goalevents.Event{}
		sources := map[string][]string{} // record key -> files
		queued := 0
		for _, f := range set.Ingest() {
			if f.Status != http.StatusOK {
				continue
			}
			evs := expectedEvents(t, f, now)
			if len(evs) != f.Queued {
				t.Errorf("%s: in-process ingest queues %d events, the manifest says %d", f.File, len(evs), f.Queued)
			}
			for _, d := range f.DeadLettered {
				if !slices.ContainsFunc(evs, func(ev goalevents.Event) bool { return ev.ID == d.EventID }) {
					t.Errorf("%s: the manifest expects event %s in the DLQ, but the file does not queue it", f.File, d.EventID)
				}
			}
			rep, err := st.Send(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != f.Status {
				t.Errorf("%s: status %d, want %d: %s", f.File, rep.Status, f.Status, rep.Body)
			}
			if f.Source != "salesforce" {
				var body struct{ Queued int }
				if err := json.Unmarshal([]byte(rep.Body), &body); err != nil || body.Queued != f.Queued {
					t.Errorf("%s: answer %s, want queued %d", f.File, rep.Body, f.Queued)
				}
			} else if !strings.Contains(rep.Body, "<Ack>true</Ack>") {
				t.Errorf("%s: not the SOAP Ack: %s", f.File, rep.Body)
			}
			queued += f.Queued
			for _, ev := range evs {
				byKey[ev.RecordKey()] = append(byKey[ev.RecordKey()], ev)
				sources[ev.RecordKey()] = append(sources[ev.RecordKey()], f.File)
			}
			sent = append(sent, evs...)
		}
		if err := st.WaitDrained(ctx, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		dlq, err := st.Peek(ctx, st.DLQURL)
		if err != nil {
			t.Fatal(err)
		}
		dlqBefore = dlqDepth(t, ctx, st)
		if dlqBefore != len(deliberate) {
			t.Errorf("%d messages in the DLQ, want the %d deliberate failures", dlqBefore, len(deliberate))
		}
		// Every deliberate failure is alone in its message group (record),
		// so Peek sees each of them.
		inDLQ := map[string]devstack.Message{}
		for _, m := range dlq {
			id := m.Attributes[apply.AttrEventID]
			inDLQ[id] = m
			for _, a := range []string{apply.AttrErrorCode, apply.AttrErrorMessage, apply.AttrEventType, apply.AttrSource, apply.AttrOriginalMsgID} {
				if m.Attributes[a] == "" {
					t.Errorf("DLQ message %s without %s: %v", id, a, m.Attributes)
				}
			}
			d, ok := deliberate[id]
			switch {
			case !ok:
				t.Errorf("DLQ holds event %q, which is no deliberate failure: %s: %s", id, m.Attributes[apply.AttrErrorCode], m.Attributes[apply.AttrErrorMessage])
			case m.Attributes[apply.AttrErrorCode] != d.ErrorCode:
				t.Errorf("DLQ: %s: error code %s (%s), want %s", id, m.Attributes[apply.AttrErrorCode], m.Attributes[apply.AttrErrorMessage], d.ErrorCode)
			default:
				t.Logf("DLQ  %-50s %s: %s (deliberate)", id, m.Attributes[apply.AttrErrorCode], m.Attributes[apply.AttrErrorMessage])
			}
		}
		for id := range deliberate {
			if _, ok := inDLQ[id]; !ok {
				t.Errorf("deliberate failure %s is not in the DLQ", id)
			}
		}

		goals := 0
		deadOnly = 0
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			evs := byKey[k]
			sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
			dead := false
			for _, ev := range evs {
				if _, ok := deliberate[ev.ID]; ok {
					dead = true
				}
			}
			g, found := st.Simulator.GoalByExternalID(k)
			switch {
			case dead:
				// The deliberate failures are records no event can create.
				deadOnly++
				if found {
					t.Errorf("%s (%v): a goal exists for a record whose event is a deliberate failure", k, sources[k])
				}
			case found:
				goals++
				if g.Field(apply.DefaultExternalIDField) != k {
					t.Errorf("%s: external id field %q", k, g.Field(apply.DefaultExternalIDField))
				}
				t.Logf("goal %-70s %q %s %s", k, g.Name, g.StatusName, g.Gsid)
				// The latest value of each field wins (apply merges and skips stale events).
				var name, status string
				for _, ev := range evs {
					if v, ok := ev.Data.Fields["Name"].(string); ok && v != "" {
						name = v
					}
					if v, ok := ev.Data.Fields["StatusName"].(string); ok && v != "" {
						status = v
					}
				}
				if name != "" && g.Name != name {
					t.Errorf("%s: goal name %q, want %q", k, g.Name, name)
				}
				if status != "" && !strings.EqualFold(g.StatusName, status) {
					t.Errorf("%s: goal status %q, want %q", k, g.StatusName, status)
				}
			case evs[len(evs)-1].Type == goalevents.GoalDeleted:
				t.Logf("del  %-70s (no goal)", k)
			default:
				t.Errorf("%s (%v): no goal with this external id, and none of its events is a deliberate failure", k, sources[k])
			}
		}

		// What each CRM's records become. The statuses of HubSpot 901 and
		// 902 and Pipedrive 42 come from the thin updates sent after the
		// full record that created the goal (the full records say On Track,
		// New and On Track).
		const sfOrg = "salesforce/org/" + testevents.SalesforceOrganizationID
		want := []struct{ key, name, status, company string }{
			{"hubspot/portal/62515:901", "Reach 80% seat adoption", "Achieved", "Initech"},
			{"hubspot/portal/62515:902", "Cut onboarding time to 30 days", "On Track", "Globex"},
			{"hubspot/portal/62515:905", "Expand to EMEA", "New", "IBM"},
			{sfOrg + ":0065e00000QwErTAAZ", "Reach 80% seat adoption & renew", "Achieved", "Umbrella Corporation"},
			{sfOrg + ":0065e00000QwErUAAZ", "Faster onboarding", "On Track", "Acme Corp"},
			{"dynamics/org/4ef5b371-0000-0000-0000-000000000005:5f1e2d3c-0000-0000-0000-0000000000aa", "Acme renewal", "On Track", "Acme Corp"},
			{"pipedrive/company/8100001:42", "Acme renewal", "Achieved", "Acme Corp"},
			{"pipedrive/company/8100001:43", "Globex onboarding: 30-day time to value", "On Track", "Globex"},
			{"sfflow/org/" + testevents.SalesforceOrganizationID + ":a0B5g00000XyZ1AEAV", "Reach 80% seat adoption", "On Track", "IBM"},
		}
		for _, w := range want {
			g, found := st.Simulator.GoalByExternalID(w.key)
			if !found {
				t.Errorf("%s: no goal (from %v)", w.key, sources[w.key])
				continue
			}
			if g.Name != w.name || g.StatusName != w.status || g.CompanyID != st.Simulator.CompanyID(w.company) || g.EntityType != "COMPANY" {
				t.Errorf("%s: goal %q %q %s company %s, want %q %q COMPANY company %s (%s)", w.key, g.Name, g.StatusName, g.EntityType,
					g.CompanyID, w.name, w.status, st.Simulator.CompanyID(w.company), w.company)
			}
		}
		// The generic event's metric and Success Plan are the tenant's.
		if g, found := st.Simulator.GoalByExternalID(want[len(want)-1].key); found {
			metric := st.Simulator.MetricID("Adoption Rate")
			if len(g.Metrics) != 1 || g.Metrics[0].MetricID != metric {
				t.Errorf("generic goal metrics %+v, want Adoption Rate %s", g.Metrics, metric)
			}
			if len(g.SPs) != 1 || g.SPs[0] != "1S02JJSBDT2ZT78W7NMT0VBJP3QF725QD8RC" {
				t.Errorf("generic goal Success Plans %v, want IBM Adoption Plan", g.SPs)
			}
		}
		if got := len(st.NewGoals()); got != len(want) || goals != len(want) {
			t.Errorf("%d new goals in the simulator, %d records with a goal, want %d", got, goals, len(want))
		}
		esm := st.ESM()
		t.Logf("%d events queued, %d records: %d goals, %d deliberately in the DLQ; ESM received %d, deleted %d, failed %d, invoke errors %d",
			queued, len(keys), goals, deadOnly, esm.Received, esm.Deleted, esm.Failed, esm.InvokeErrors)
		if esm.InvokeErrors > 0 {
			t.Errorf("failed apply invocations: %s", esm.LastInvokeError)
		}
	})

	// The apply bootstrap keeps every event's story in the state table: the
	// applied ones, the stale ones, and the deliberate failures it sent to
	// the DLQ with their error codes; make run's events line names a record.
	t.Run("every event tells its story", func(t *testing.T) {
		if len(sent) == 0 {
			t.Skip("no events were sent")
		}
		store := state.New(dynamodb.NewFromConfig(st.AWS), st.TableName)
		for _, ev := range sent {
			rec, ok, err := store.GetEvent(ctx, ev.Identity())
			if err != nil || !ok {
				t.Errorf("%s: no event record (%v)", ev.ID, err)
				continue
			}
			if rec.RecordKey != ev.RecordKey() || rec.EventID != ev.ID || rec.Source != ev.Source || !rec.Time.Equal(ev.Time) {
				t.Errorf("%s: story %+v", ev.ID, rec.Story)
			}
			if d, dead := deliberate[ev.ID]; dead {
				if rec.Outcome != "permanent" || rec.ErrorCode != d.ErrorCode {
					t.Errorf("%s: outcome %s %s, want permanent %s", ev.ID, rec.Outcome, rec.ErrorCode, d.ErrorCode)
				}
			} else if !slices.Contains([]string{"done", "stale", "ignored"}, rec.Outcome) || rec.Status != state.StatusComplete {
				t.Errorf("%s: outcome %s, state %s", ev.ID, rec.Outcome, rec.Status)
			}
		}
		key := st.BusiestRecord(ctx)
		evs, err := store.RecordEvents(ctx, key, 0)
		if key == "" || err != nil || len(evs) < 2 {
			t.Errorf("busiest record %q: %d events (%v)", key, len(evs), err)
		}
		t.Logf("busiest record %s: %d events; %s", key, len(evs), devstack.EventsLine(st.MotoURL, st.TableName, key))
	})

	t.Run("a permanent Gainsight error goes to the DLQ and a redrive brings it back", func(t *testing.T) {
		const company = "Redrive Test Co"
		const extID = "e2e-redrive-1"
		body := fmt.Sprintf(`{"specversion":"1.0","id":"e2e-redrive-event-1","source":"generic/e2e","type":"goal.upserted",`+
			`"subject":"%s","time":%q,"data":{"externalId":"%s","fields":{"Name":"Redriven goal","StatusName":"On Track",`+
			`"GoalTypeName":"Default","EntityType":"COMPANY","CompanyName":%q,"DueDate":"2026-12-31"}}}`,
			extID, time.Now().UTC().Format(time.RFC3339), extID, company)
		h, err := standardwebhooks.SignedHeaders(testevents.GenericSecret, "msg_e2e_redrive_1", time.Now(), []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, st.FrontURL+"/webhooks/generic", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if err := st.WaitDrained(ctx, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		dlq, err := st.Peek(ctx, st.DLQURL)
		if err != nil {
			t.Fatal(err)
		}
		var dm *devstack.Message
		for i := range dlq {
			if dlq[i].Attributes[apply.AttrEventID] == "e2e-redrive-event-1" {
				dm = &dlq[i]
			}
		}
		if dm == nil {
			t.Fatalf("the event is not in the DLQ (%d messages there)", len(dlq))
		}
		t.Logf("in the DLQ: %s: %s", dm.Attributes[apply.AttrErrorCode], dm.Attributes[apply.AttrErrorMessage])
		if dm.Attributes[apply.AttrErrorCode] == "" || dm.Attributes[apply.AttrSource] != "generic/e2e" ||
			dm.Attributes[apply.AttrEventType] != string(goalevents.GoalUpserted) {
			t.Errorf("reason attributes: %v", dm.Attributes)
		}
		if _, found := st.Simulator.GoalByExternalID("generic/e2e:" + extID); found {
			t.Fatal("the goal exists although its company does not")
		}
		total := dlqDepth(t, ctx, st)
		if total != dlqBefore+1 {
			t.Errorf("%d messages in the DLQ, want %d", total, dlqBefore+1)
		}

		// Fix the cause, then redrive everything, as an operator would.
		companyID := st.Simulator.AddCompany(company)
		// `goalctl dlq redrive`, run in-process as a user would run it.
		// moto_server has no StartMessageMoveTask, so goalctl falls back to
		// its receive-send move; --max stops it at the messages there now
		// (those that fail again come back to the DLQ meanwhile).
		var stdout, stderr bytes.Buffer
		code := goalctl.Run(ctx, []string{"dlq", "redrive", "--dlq-url", st.DLQURL, "--queue-url", st.QueueURL,
			"--max", strconv.Itoa(total), "-o", "json"}, &goalctl.Env{
			Stdout: &stdout, Stderr: &stderr,
			AWSConfig: func(context.Context, goalctl.AWSOptions) (aws.Config, error) { return st.AWS, nil },
		})
		if code != goalctl.ExitOK {
			t.Fatalf("goalctl dlq redrive: exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
		var res goalctl.RedriveResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("goalctl dlq redrive -o json: %v: %s", err, stdout.String())
		}
		t.Logf("goalctl dlq redrive: %s", strings.TrimSpace(stdout.String()))
		if res.Moved != int64(total) {
			t.Errorf("redrive moved %d messages, want %d", res.Moved, total)
		}
		if err := st.WaitDrained(ctx, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		g, found := st.Simulator.GoalByExternalID("generic/e2e:" + extID)
		if !found {
			t.Fatal("the redriven event was not applied")
		}
		if g.Name != "Redriven goal" || g.CompanyID != companyID || g.StatusName != "On Track" {
			t.Errorf("goal %q %q company %s, want company %s", g.Name, g.StatusName, g.CompanyID, companyID)
		}
		// The deliberate failures still cannot be applied and come back to
		// the DLQ with the same reasons (no newer event of their records
		// overtakes them).
		if after := dlqDepth(t, ctx, st); after != dlqBefore || after != deadOnly {
			t.Errorf("%d messages in the DLQ after the redrive, want %d", after, dlqBefore)
		} else {
			t.Logf("%d messages back in the DLQ after the redrive (%d before)", after, dlqBefore)
		}
		back, err := st.Peek(ctx, st.DLQURL)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range back {
			id := m.Attributes[apply.AttrEventID]
			if d, ok := deliberate[id]; !ok || m.Attributes[apply.AttrErrorCode] != d.ErrorCode {
				t.Errorf("after the redrive the DLQ holds %s: %s: %s", id, m.Attributes[apply.AttrErrorCode], m.Attributes[apply.AttrErrorMessage])
			}
		}
	})
	t.Run("the sam local env file names this stack's resources, reachable through the container forwarders", func(t *testing.T) {
		sam, err := st.SAMStack()
		if err != nil {
			t.Fatal(err)
		}
		// As a container sees them, with host.docker.internal mapped to
		// the address the forwarders serve.
		host := func(u string) string {
			return strings.Replace(u, "http://"+devstack.SAMHost+":", "http://127.0.0.1:", 1)
		}
		env := testevents.SAMEnv(sam)
		in, ap := env[testevents.IngestFunction], env[testevents.ApplyFunction]
		if in["AWS_ENDPOINT_URL_SQS"] == st.MotoURL || !strings.HasPrefix(in["AWS_ENDPOINT_URL_SQS"], "http://"+devstack.SAMHost+":") {
			t.Errorf("SQS endpoint %q: want host.docker.internal and the forwarder's port", in["AWS_ENDPOINT_URL_SQS"])
		}
		cfg := st.AWS.Copy()
		cfg.BaseEndpoint = aws.String(host(ap["AWS_ENDPOINT_URL_DYNAMODB"]))
		for _, q := range []string{in["QUEUE_URL"], ap["DLQ_URL"]} {
			if _, err := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(host(q))}); err != nil {
				t.Errorf("queue %s: %v", q, err)
			}
		}
		for _, id := range []string{in["WEBHOOK_SECRETS_ID"], ap["GAINSIGHT_ACCESS_KEY_SECRET_ID"]} {
			if _, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}); err != nil {
				t.Errorf("secret %s: %v", id, err)
			}
		}
		if _, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(ap["STATE_TABLE"])}); err != nil {
			t.Errorf("table %s: %v", ap["STATE_TABLE"], err)
		}
		resp, err := http.Get(host(ap["GAINSIGHT_BASE_URL"]) + "/")
		if err != nil {
			t.Errorf("simulator through the forwarder: %v", err)
		} else {
			resp.Body.Close()
		}
	})
	t.Logf("end to end in %s", time.Since(began).Round(time.Millisecond))
}

// dlqDepth is the number of messages in the DLQ. (A FIFO queue cannot be
// read in full without consuming it: Peek may see fewer.)
func dlqDepth(t *testing.T, ctx context.Context, st *devstack.Stack) int {
	t.Helper()
	d, err := st.QueueDepth(ctx, st.DLQURL)
	if err != nil {
		t.Fatal(err)
	}
	return d.Total()
}
