package devstack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi/hubspottest"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// demoDeal is the HubSpot deal of the read-back and sweep demonstration.
const demoDeal = "7101"

// demoReadBackAndSweep shows, on the stack's HubSpot fake, a goal created
// from a HubSpot app subscription's thin events through read-back, then
// a change of that deal whose webhook is lost, repaired by one run of the
// reconcile bootstrap. It reports a failure as an error.
func demoReadBackAndSweep(ctx context.Context, st *Stack, w io.Writer, drain time.Duration) error {
	key := "hubspot/portal/" + LocalHubSpotPortal + ":" + demoDeal
	now := time.Now().Truncate(time.Millisecond)
	st.HubSpot.PutCompany("5101", "Globex")
	st.HubSpot.PutDeal(hubspottest.Deal{ID: demoDeal, CompanyID: "5101", Modified: now.Add(-20 * time.Second),
		Properties: map[string]string{"dealname": "Reach 80% seat adoption", "dealstage": "contractsent", "closedate": "2027-03-31T00:00:00Z"}})

	fmt.Fprintln(w, "CRM read-back: a HubSpot app subscription (deal.creation + deal.propertyChange, one property, no company)")
	public := "https://" + strings.TrimPrefix(st.FrontURL, "http://")
	body, headers := HubSpotAppSubscription(public, demoDeal, "Reach 80% seat adoption", now.Add(-20*time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.FrontURL+"/webhooks/hubspot", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the app subscription's webhook got %d", resp.StatusCode)
	}
	if err := st.WaitDrained(ctx, drain); err != nil {
		return err
	}
	g := st.goal(key)
	if g == nil {
		return fmt.Errorf("no goal for %s after the app subscription's events", key)
	}
	fmt.Fprintf(w, "  webhook 200; the apply function read deal %s back (company from its association):\n", demoDeal)
	fmt.Fprintf(w, "  goal %q, status %s, company %s\n\n", g.Name, g.StatusName, st.companyName(g.CompanyID))

	fmt.Fprintln(w, "Reconciliation sweep: the deal is moved to closedwon in HubSpot and its webhook is lost (none is sent)")
	st.HubSpot.PutDeal(hubspottest.Deal{ID: demoDeal, CompanyID: "5101", Modified: now.Add(-10 * time.Second),
		Properties: map[string]string{"dealname": "Reach 80% seat adoption", "dealstage": "closedwon", "closedate": "2027-03-31T00:00:00Z"}})
	fmt.Fprintf(w, "  Gainsight before the sweep: status %s\n", st.goal(key).StatusName)
	before := st.Simulator.Stats()
	rep, err := st.Sweep(ctx)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := st.WaitDrained(ctx, drain); err != nil {
		return err
	}
	for _, p := range rep.Sources {
		fmt.Fprintf(w, "  sweep of %s: %d record(s) modified since %s, %d event(s) queued, watermark now %s\n",
			p.Source, p.Listed, p.From.Format(time.RFC3339), p.Events, p.Watermark.Format(time.RFC3339))
	}
	after := st.Simulator.Stats()
	g = st.goal(key)
	fmt.Fprintf(w, "  Gainsight after the sweep: status %s (%d Gainsight call(s) spent)\n\n", g.StatusName, after.Calls-before.Calls)
	if g.StatusName != "Achieved" {
		return fmt.Errorf("the sweep did not repair %s: status %s", key, g.StatusName)
	}
	return nil
}

// goal is the goal goalrelay wrote for a record key, or nil.
func (s *Stack) goal(key string) *gainsighttest.Goal {
	for _, g := range s.NewGoals() {
		if g.Field(apply.DefaultExternalIDField) == key {
			return &g
		}
	}
	return nil
}

func (s *Stack) companyName(id string) string {
	for _, n := range []string{"Globex", "IBM", "Acme Corp", "Initech", "Umbrella Corporation"} {
		if s.Simulator.CompanyID(n) == id {
			return n
		}
	}
	return id
}
