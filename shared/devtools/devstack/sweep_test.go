package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi/hubspottest"
	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
	"github.com/goalrelay/goalrelay/shared/reconcile"
)

// TestSweepThroughTheBootstraps: the reconcile bootstrap (one page per run
// here) sweeps 200 modified deals of the HubSpot fake in three runs, each
// going on from the watermark the previous one left, without listing again
// what it queued; the apply bootstrap creates their 200 goals. Then 50
// more deals change and goalctl reconcile sweeps all 250 from the start:
// 250 events are queued, and Gainsight is called for the 50 new versions
// only.
func TestSweepThroughTheBootstraps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local stack")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	st, _ := startStack(t, ctx, devstack.Options{PublicBaseURL: publicBase, ReconcileEnv: []string{"RECONCILE_PAGES_PER_RUN=1"},
		CallsPerMinute: 3000, TenantCallsPerMinute: 5000, ApplyTimeout: 60})
	base := time.Now().Add(-30 * time.Minute).Truncate(time.Millisecond)
	st.HubSpot.PutCompany("5001", "Globex")
	put := func(first, n int, at time.Time) {
		for i := range n {
			id := fmt.Sprint(first + i)
			st.HubSpot.PutDeal(hubspottest.Deal{ID: id, CompanyID: "5001", Modified: at.Add(time.Duration(i) * time.Millisecond),
				Properties: map[string]string{"dealname": "Deal " + id, "dealstage": "contractsent", "closedate": "2027-03-31T00:00:00Z"}})
		}
	}
	put(8000, 200, base)
	hubspotOf := func(rep reconcile.Report) reconcile.Progress {
		t.Helper()
		for _, p := range rep.Sources {
			if p.Source == "hubspot/portal/"+devstack.LocalHubSpotPortal {
				return p
			}
		}
		t.Fatalf("no HubSpot sweep in %+v", rep)
		return reconcile.Progress{}
	}
	for i, want := range []struct{ listed, skipped, events int }{{100, 0, 100}, {101, 1, 100}, {1, 1, 0}} {
		rep, err := st.Sweep(ctx)
		if err != nil {
			t.Fatalf("sweep %d: %v", i+1, err)
		}
		p := hubspotOf(rep)
		if p.Listed != want.listed || p.Skipped != want.skipped || p.Events != want.events || p.Complete != (i == 2) {
			t.Fatalf("sweep %d: %+v, want %d listed (%d skipped at the watermark), %d queued", i+1, p, want.listed, want.skipped, want.events)
		}
	}
	if err := st.WaitDrained(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if g := goalOf(st.Simulator, "hubspot/portal/62515:8123"); g == nil || g.CompanyID != st.Simulator.CompanyID("Globex") || g.Name != "Deal 8123" {
		t.Fatalf("goal of deal 8123 = %+v", g)
	}
	if n := len(st.NewGoals()); n != 200 {
		t.Fatalf("%d goals, want 200", n)
	}

	// 50 more deals change; an on-demand sweep from before the first.
	put(8200, 50, base.Add(time.Minute))
	before, esmBefore := st.Simulator.Stats(), st.ESM()
	var out, errs bytes.Buffer
	cfg := st.AWS
	code := goalctl.Run(ctx, []string{"reconcile", "--source", "hubspot/portal/62515", "--since", base.Add(-time.Minute).UTC().Format(time.RFC3339),
		"--queue-url", st.QueueURL, "--table", st.TableName, "--credentials-secret", st.CRMCredentialsID, "-o", "json"},
		&goalctl.Env{Stdout: &out, Stderr: &errs, Getenv: func(k string) string { return map[string]string{"HUBSPOT_API_URL": st.HubSpot.URL}[k] },
			AWSConfig: func(context.Context, goalctl.AWSOptions) (aws.Config, error) { return cfg, nil }})
	var rep goalctl.ReconcileResult
	if err := json.Unmarshal(out.Bytes(), &rep); code != 0 || err != nil || rep.Events != 250 || rep.Listed != 250 {
		t.Fatalf("goalctl reconcile: exit %d, %+v, %v\n%s", code, rep, err, errs.String())
	}
	if err := st.WaitDrained(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	after, esmAfter := st.Simulator.Stats(), st.ESM()
	spent := func(ep string) int { return after.ByEndpoint[ep] - before.ByEndpoint[ep] }
	t.Logf("second sweep: %d events queued, %d received by the apply bootstrap; Gainsight calls: %d creates, %d updates, %d fetches",
		rep.Events, esmAfter.Received-esmBefore.Received, spent(gt.EndpointGoalCreate), spent(gt.EndpointGoalUpdate), spent(gt.EndpointGoalFetch))
	if spent(gt.EndpointGoalCreate) != 50 || spent(gt.EndpointGoalUpdate) != 0 || after.Calls-before.Calls > 50+5+1 {
		t.Errorf("Gainsight calls for the second sweep: %d in all, by endpoint before %v after %v; want 50 creates and their fetches only",
			after.Calls-before.Calls, before.ByEndpoint, after.ByEndpoint)
	}
	if n := len(st.NewGoals()); n != 250 {
		t.Errorf("%d goals, want 250", n)
	}
	if d, err := st.QueueDepth(ctx, st.DLQURL); err != nil || d.Total() != 0 {
		t.Errorf("DLQ %+v, %v", d, err)
	}
}
