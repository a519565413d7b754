package goalctl_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi/hubspottest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
	"github.com/goalrelay/goalrelay/shared/state"
)

// TestReconcileQueuesAndResumes: goalctl reconcile over 150 modified deals
// of the HubSpot fake, stopped after one page (--max-pages 1: exit 3, 100
// queued), run again: it goes on from its progress in the state table and
// queues the last 50; a third run finds nothing new.
func TestReconcileQueuesAndResumes(t *testing.T) {
	q := newQueues(t)
	ctx := t.Context()
	if err := state.CreateTable(ctx, dynamodb.NewFromConfig(q.cfg), "goalrelay-state"); err != nil {
		t.Fatal(err)
	}
	hs := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.BurstPer10s, o.SearchPerSecond = -1, -1 })
	hs.PutCompany("5001", "Globex")
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range 150 {
		id := fmt.Sprint(2000 + i)
		hs.PutDeal(hubspottest.Deal{ID: id, CompanyID: "5001", Modified: base.Add(time.Duration(i) * time.Millisecond),
			Properties: map[string]string{"dealname": "Deal " + id, "dealstage": "contractsent"}})
	}
	if _, err := secretsmanager.NewFromConfig(q.cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("crm"),
		SecretString: aws.String(`{"hubspot":{"accessToken":"` + hs.Token + `","portalId":"62515"}}`)}); err != nil {
		t.Fatal(err)
	}
	h := q.harness()
	h.env = map[string]string{"HUBSPOT_API_URL": hs.URL}
	on := true
	h.progress = &on
	since := base.Add(-time.Minute).UTC().Format(time.RFC3339)
	args := []string{"reconcile", "--source", "hubspot", "--account", "62515", "--since", since,
		"--queue-url", q.queueURL, "--table", "goalrelay-state", "--credentials-secret", "crm"}

	r := h.run(t, append(args, "--max-pages", "1")...)
	wantCode(t, r, goalctl.ExitPartial)
	if !strings.Contains(r.stderr, "100 event(s) queued") || !strings.Contains(r.stderr, "ETA in Gainsight at 90 calls/minute") || !strings.Contains(r.stderr, "run the same command again") {
		t.Errorf("first run:\n%s", r)
	}
	r = h.run(t, append(args, "-o", "json")...)
	wantCode(t, r, goalctl.ExitOK)
	var rep goalctl.ReconcileResult
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err, r)
	}
	if rep.Events != 50 || rep.Listed != 51 || rep.Skipped != 1 || !rep.Complete || rep.ETANew != "37s" || rep.Key != "sweep#goalctl#hubspot/portal/62515#"+since {
		t.Errorf("second run %+v\n%s", rep, r)
	}
	if got := q.drain(t, q.queueURL); len(got) != 150 {
		t.Errorf("%d events on the queue, want 150", len(got))
	}
	r = h.run(t, append(args, "-o", "json")...)
	wantCode(t, r, goalctl.ExitOK)
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Events != 0 || rep.Listed != 0 {
		t.Errorf("third run %+v, %v", rep, err)
	}
	// --restart lists everything again.
	r = h.run(t, append(args, "--restart", "-o", "json")...)
	wantCode(t, r, goalctl.ExitOK)
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Events != 150 {
		t.Errorf("restarted run %+v, %v", rep, err)
	}
}

func TestReconcileUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"reconcile", "--source", "hubspot/portal/1"}, `required flag(s) "since" not set`},
		{[]string{"reconcile", "--source", "hubspot/portal/1", "--since", "yesterday"}, "invalid --since"},
		{[]string{"reconcile", "--source", "salesforce", "--account", "00D", "--since", "24h"}, "can be read back"},
		{[]string{"reconcile", "--source", "hubspot/portal/1", "--since", "24h"}, "no --queue-url"},
		{[]string{"reconcile", "--source", "hubspot/portal/1", "--since", "24h", "--until", "48h", "--queue-url", "x"}, "invalid --until"},
	} {
		r := (&harness{env: map[string]string{}}).run(t, c.args...)
		wantCode(t, r, goalctl.ExitUsage)
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: stderr\n%s\nwant %q", c.args, r, c.want)
		}
	}
}
