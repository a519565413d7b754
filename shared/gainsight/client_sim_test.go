package gainsight_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// Integration tests: every client method against the in-memory tenant of
// package gainsighttest.

func simClient(t *testing.T, s *gainsighttest.Server) *gainsight.Client {
	t.Helper()
	c, err := gainsight.New(gainsight.Options{
		BaseURL:    s.URL,
		AccessKey:  gainsight.StaticAccessKey(s.AccessKey),
		HTTPClient: s.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSimGoalLifecycle(t *testing.T) {
	s := gainsighttest.NewServer(t)
	c := simClient(t, s)
	ctx := t.Context()

	ibm := s.CompanyID("IBM")
	ctas := s.CTAIDs(ibm)
	sps := s.SuccessPlanIDs(ibm)
	if ibm == "" || len(ctas) < 2 || len(sps) < 1 {
		t.Fatalf("seed: IBM %q, CTAs %v, SPs %v", ibm, ctas, sps)
	}
	metric := s.MetricID("Adoption Rate")

	// Picklist: the status and goal type names the create uses exist.
	types, err := c.Picklist(ctx, &gainsight.PicklistRequest{
		EntityIDs: []string{gainsight.EntityCompany}, Active: true, IncludeChildPicklist: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	adoption, ok := types.ByName("Adoption")
	if !ok {
		t.Fatalf("no Adoption goal type in %d picklists", len(types.Picklists))
	}
	statuses, err := c.Picklist(ctx, &gainsight.PicklistRequest{PicklistCategory: gainsight.PicklistGoalStatus, EntityIDs: []string{gainsight.EntityAll}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := statuses.ByName("On Track"); !ok {
		t.Fatalf("no On Track status in %+v", statuses.Picklists)
	}

	// Create with a company lookup, CTAs, an SP, a metric and a custom field.
	created, err := c.CreateGoal(ctx, &gainsight.CreateGoalRequest{
		Record: gainsight.GoalRecord{
			Name: "Reach 80% seat adoption", StatusName: "New", GoalTypeID: adoption.Gsid,
			EntityType: "COMPANY", CompanyName: "IBM", DueDate: "2026-12-31",
			Description: "<p>From the CRM</p>",
			MetricsAssociation: []gainsight.MetricAssociation{{
				MetricID: metric, BaseValue: gainsight.Ptr(10.0), TargetValue: gainsight.Ptr(80.0),
				ActualValue: []gainsight.MetricPoint{{Value: 42, Timestamp: "2026-11-27"}},
			}},
			Fields: map[string]any{"goalrelay_external_id__gc": "hubspot:901", "crm_stage__gc": "won"},
		},
		Association: &gainsight.Association{CTA: ctas[:2], SP: sps[:1]},
		Lookups:     gainsight.CompanyLookups(),
	})
	if err != nil {
		t.Fatal(err)
	}
	g := created.Goal
	if g.Gsid == "" || g.CompanyID != ibm || g.GoalTypeID != adoption.Gsid || created.RequestID == "" {
		t.Fatalf("created %+v (request %q), want company %s, type %s", g, created.RequestID, ibm, adoption.Gsid)
	}
	if len(g.MetricValues) != 1 || *g.MetricValues[0].TargetValue != 80 {
		t.Errorf("MetricValues = %+v", g.MetricValues)
	}
	stored, ok := s.GoalByExternalID("hubspot:901")
	if !ok || stored.Gsid != g.Gsid || stored.StatusName != "New" || len(stored.CTAs) != 2 || len(stored.SPs) != 1 {
		t.Fatalf("stored %+v", stored)
	}

	// Update: status, a custom field, drop one CTA.
	upd, err := c.UpdateGoal(ctx, &gainsight.UpdateGoalRequest{
		Record: gainsight.GoalRecord{
			Gsid: g.Gsid, Name: "Reach 80% seat adoption", StatusName: "On Track",
			Fields: map[string]any{"crm_stage__gc": "live"},
		},
		Dissociation: &gainsight.Association{CTA: ctas[:1]},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Record.Gsid != g.Gsid || upd.Record.StatusID != s.StatusID("On Track") {
		t.Errorf("update answer %+v", upd.Record)
	}
	stored, _ = s.Goal(g.Gsid)
	if stored.StatusName != "On Track" || stored.Field("crm_stage__gc") != "live" || !slices.Equal(stored.CTAs, ctas[1:2]) {
		t.Errorf("after update: status %q stage %q CTAs %v", stored.StatusName, stored.Field("crm_stage__gc"), stored.CTAs)
	}

	// Fetch it back with a where clause on the external id.
	res, err := c.FetchGoals(ctx, &gainsight.FetchGoalsRequest{
		Select: []string{"Gsid", "Name", "StatusId", "CompanyId", "DueDate", "crm_stage__gc"},
		Where: gainsight.Where(
			gainsight.Cond("goalrelay_external_id__gc", gainsight.OpEQ, "hubspot:901"),
			gainsight.Or(
				gainsight.Cond("Name", gainsight.OpStartsWith, "reach"),
				gainsight.Cond("DueDate", gainsight.OpIsNull),
			),
		),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Goals) != 1 {
		t.Fatalf("fetched %d goals, want 1", len(res.Goals))
	}
	f := res.Goals[0]
	if f.Gsid != g.Gsid || f.StatusID != s.StatusID("On Track") || f.Fields["crm_stage__gc"] != "live" || f.DueDate != "2026-12-31" {
		t.Errorf("fetched %+v", f)
	}
	if len(f.AssociatedCTAs) != 1 || f.AssociatedCTAs[0].Gsid != ctas[1] || len(f.AssociatedSPs) != 1 {
		t.Errorf("fetched CTAs %+v SPs %+v", f.AssociatedCTAs, f.AssociatedSPs)
	}
}

func TestSimAllGoalsPages(t *testing.T) {
	s := gainsighttest.NewServer(t)
	c := simClient(t, s)
	want := len(s.Goals())
	if want < 3 {
		t.Fatalf("seed has %d goals", want)
	}
	s.ResetRequests()
	var got []string
	for g, err := range c.AllGoals(t.Context(), &gainsight.FetchGoalsRequest{Select: []string{"Gsid", "Name"}, PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, g.Gsid)
	}
	if len(got) != want {
		t.Errorf("iterated %d goals, want %d", len(got), want)
	}
	if calls, pages := len(s.Requests()), want/2+1; calls != pages {
		t.Errorf("%d fetches, want %d", calls, pages)
	}
	// Stopping early stops fetching.
	s.ResetRequests()
	for range c.AllGoals(t.Context(), &gainsight.FetchGoalsRequest{Select: []string{"Gsid"}, PageSize: 1}) {
		break
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("%d fetches after break, want 1", n)
	}
}

func TestSimTemplates(t *testing.T) {
	for _, bare := range []bool{false, true} {
		name := "envelope"
		if bare {
			name = "bare recordList"
		}
		t.Run(name, func(t *testing.T) {
			s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.TemplateFetchBare = bare })
			c := simClient(t, s)
			ctx := t.Context()
			seats := s.MetricID("Seats Activated")
			nps := s.MetricID("NPS")

			cr, err := c.CreateTemplates(ctx, &gainsight.CreateTemplatesRequest{
				Requests: []gainsight.TemplateInput{{Record: gainsight.TemplateRecord{
					Name: "goalrelay onboarding template", GoalTypeName: "Default", StatusName: "New",
					DueDays: gainsight.Ptr(90), Description: "made by the client test",
					MetricsAssociation: []gainsight.MetricRef{{MetricID: seats}},
					Fields:             map[string]any{"CompName": "Meta", "cust_string_value__gc": "v1"},
				}}},
				Lookups: gainsight.Lookups{"comp_lookup_gsid__gc": gainsight.NameLookup("company", "CompName")},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(cr.SuccessList) != 1 || len(cr.FailureList) != 0 {
				t.Fatalf("create: %d ok, failures %s", len(cr.SuccessList), cr.FailureList)
			}
			tp := cr.SuccessList[0]
			if tp.Gsid == "" || tp.DueDays == nil || *tp.DueDays != 90 || tp.Fields["comp_lookup_gsid__gc"] != s.CompanyID("Meta") {
				t.Fatalf("created template %+v", tp)
			}

			up, err := c.UpdateTemplates(ctx, &gainsight.UpdateTemplatesRequest{
				Requests: []gainsight.TemplateInput{{Record: gainsight.TemplateRecord{
					Gsid: tp.Gsid, Name: "goalrelay onboarding template v2", DueDays: gainsight.Ptr(0),
					MetricsAssociation:  []gainsight.MetricRef{{MetricID: nps}},
					MetricsDissociation: []gainsight.MetricRef{{MetricID: seats}},
				}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(up.SuccessList) != 1 || up.SuccessList[0].Name != "goalrelay onboarding template v2" {
				t.Fatalf("update: %+v", up)
			}
			stored, _ := s.Goal(tp.Gsid)
			if stored.DueDays != 0 || len(stored.Metrics) != 1 || stored.Metrics[0].MetricID != nps {
				t.Errorf("stored template: due %d metrics %+v", stored.DueDays, stored.Metrics)
			}

			fr, err := c.FetchTemplates(ctx, &gainsight.FetchTemplatesRequest{
				Select: []string{"Gsid", "Name", "DueDate", "cust_string_value__gc"},
				Where:  gainsight.Where(gainsight.Cond("Name", gainsight.OpContains, "onboarding template v2")),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(fr.Templates) != 1 || fr.Templates[0].Gsid != tp.Gsid || fr.Templates[0].Fields["cust_string_value__gc"] != "v1" {
				t.Fatalf("fetched %+v", fr.Templates)
			}
			// The bare body has no requestId; the client falls back to the
			// X-Request-Id header.
			if fr.RequestID == "" {
				t.Error("no RequestID")
			}
			reqs := s.Requests()
			last := reqs[len(reqs)-1]
			if got := strings.HasPrefix(string(last.Response), `{"recordList"`); got != bare {
				t.Errorf("answer %.40s…, want bare=%v", last.Response, bare)
			}
			var all int
			for _, err := range c.AllTemplates(ctx, &gainsight.FetchTemplatesRequest{Select: []string{"Gsid"}, PageSize: 1}) {
				if err != nil {
					t.Fatal(err)
				}
				all++
			}
			if all != len(s.Templates()) {
				t.Errorf("AllTemplates gave %d, tenant has %d", all, len(s.Templates()))
			}

			del, err := c.DeleteTemplates(ctx, &gainsight.DeleteTemplatesRequest{RecordIDs: []string{tp.Gsid}})
			if err != nil {
				t.Fatal(err)
			}
			if len(del.SuccessList) != 1 || !del.SuccessList[0].Deleted || del.SuccessList[0].Gsid != tp.Gsid {
				t.Errorf("delete: %+v", del)
			}
			if _, ok := s.Goal(tp.Gsid); ok {
				t.Error("template still stored")
			}
		})
	}
}

func TestSimMetrics(t *testing.T) {
	s := gainsighttest.NewServer(t)
	c := simClient(t, s)
	ctx := t.Context()

	cr, err := c.CreateMetrics(ctx, &gainsight.CreateMetricsRequest{Requests: []gainsight.MetricInput{{
		Record:                 gainsight.MetricRecord{Name: "Tickets closed", UnitOfMeasure: gainsight.UnitDecimal, Description: "<p>per month</p>"},
		AssociateGoalTypeNames: []string{"CP Goal Type"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cr.SuccessList) != 1 || cr.SuccessList[0].Gsid == "" || !cr.SuccessList[0].Active {
		t.Fatalf("create: %+v", cr)
	}
	m := cr.SuccessList[0]

	up, err := c.UpdateMetrics(ctx, &gainsight.UpdateMetricsRequest{Requests: []gainsight.MetricInput{{
		Record:                  gainsight.MetricRecord{Gsid: m.Gsid, Name: "Tickets closed (monthly)", UnitOfMeasure: gainsight.UnitPercentage},
		AssociateGoalTypeNames:  []string{"CG4"},
		DissociateGoalTypeNames: []string{"CP Goal Type"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.SuccessList) != 1 || up.SuccessList[0].UnitOfMeasure != gainsight.UnitPercentage {
		t.Fatalf("update: %+v", up)
	}
	if got := s.Metrics(); !slices.ContainsFunc(got, func(x gainsighttest.Metric) bool {
		return x.Gsid == m.Gsid && slices.Equal(x.GoalTypeIDs, []string{s.GoalTypeID("CG4")})
	}) {
		t.Errorf("stored metrics %+v", got)
	}

	del, err := c.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{RecordIDs: []string{m.Gsid}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.DeletedMetrics) != 1 || !del.DeletedMetrics[0].Deleted {
		t.Errorf("delete: %+v", del)
	}

	// A metric in use is refused with VC_8026 and its usage.
	_, err = c.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{RecordIDs: []string{s.MetricID("Adoption Rate")}})
	var apiErr *gainsight.APIError
	if !errors.As(err, &apiErr) || apiErr.NumericCode() != 8026 || apiErr.Usage == nil || !apiErr.Usage.HasUsage {
		t.Fatalf("err = %v, want VC_8026 with usage", err)
	}
	if gainsight.IsRetryable(err) {
		t.Error("VC_8026 is retryable")
	}
}

func TestSimErrors(t *testing.T) {
	ctx := t.Context()
	t.Run("invalid status name is a validation error", func(t *testing.T) {
		s := gainsighttest.NewServer(t)
		_, err := simClient(t, s).CreateGoal(ctx, &gainsight.CreateGoalRequest{
			Record:  gainsight.GoalRecord{Name: "x", StatusName: "No Such Status", EntityType: "COMPANY", CompanyName: "IBM"},
			Lookups: gainsight.CompanyLookups(),
		})
		var e *gainsight.APIError
		if !errors.As(err, &e) || !e.Validation() || gainsight.IsRetryable(err) {
			t.Fatalf("err = %v, want a non-retryable validation error", err)
		}
	})
	t.Run("invalid select field", func(t *testing.T) {
		s := gainsighttest.NewServer(t)
		_, err := simClient(t, s).FetchGoals(ctx, &gainsight.FetchGoalsRequest{Select: []string{"Gsd"}})
		var e *gainsight.APIError
		if !errors.As(err, &e) || !e.Validation() || !strings.Contains(e.Message, "Gsd") {
			t.Fatalf("err = %v, want Invalid fields in select", err)
		}
	})
	t.Run("lookup without match", func(t *testing.T) {
		s := gainsighttest.NewServer(t)
		_, err := simClient(t, s).CreateGoal(ctx, &gainsight.CreateGoalRequest{
			Record:  gainsight.GoalRecord{Name: "x", StatusName: "New", EntityType: "COMPANY", CompanyName: "No Such Co"},
			Lookups: gainsight.CompanyLookups(),
		})
		var e *gainsight.APIError
		if !errors.As(err, &e) || e.NumericCode() != 8008 || gainsight.IsRetryable(err) {
			t.Fatalf("err = %v, want 8008", err)
		}
	})
	t.Run("unknown Gsid on update", func(t *testing.T) {
		s := gainsighttest.NewServer(t)
		_, err := simClient(t, s).UpdateGoal(ctx, &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: "1CG0NOPE", Name: "x"}})
		if err == nil || gainsight.IsRetryable(err) {
			t.Fatalf("err = %v, want a permanent error", err)
		}
	})
	t.Run("wrong access key", func(t *testing.T) {
		s := gainsighttest.NewServer(t)
		c, _ := gainsight.New(gainsight.Options{BaseURL: s.URL, AccessKey: gainsight.StaticAccessKey("wrong")})
		_, err := c.Picklist(ctx, &gainsight.PicklistRequest{})
		if !gainsight.IsUnauthorized(err) || gainsight.IsRetryable(err) {
			t.Fatalf("err = %v, want unauthorized", err)
		}
		if strings.Contains(err.Error(), s.AccessKey) {
			t.Fatal("error shows the key")
		}
	})
	t.Run("quota gives 429 with Retry-After", func(t *testing.T) {
		clock := gainsighttest.NewManualClock(time.Date(2026, 11, 27, 10, 0, 30, 0, time.UTC))
		s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
			o.CallsPerMinute, o.CallsPerDay, o.Now = 2, -1, clock.Now
		})
		c := simClient(t, s)
		req := &gainsight.PicklistRequest{EntityIDs: []string{gainsight.EntityAll}}
		for range 2 {
			if _, err := c.Picklist(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.Picklist(ctx, req)
		var rl *gainsight.RateLimitError
		if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second || !gainsight.IsRetryable(err) {
			t.Fatalf("err = %v, want a 429 with Retry-After 30s", err)
		}
		clock.Advance(30 * time.Second)
		if _, err := c.Picklist(ctx, req); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	t.Run("injected 503 is retryable", func(t *testing.T) {
		s := gainsighttest.NewServer(t)
		s.FailNext(1, gainsighttest.FaultUnavailable)
		_, err := simClient(t, s).Picklist(ctx, &gainsight.PicklistRequest{})
		var e *gainsight.APIError
		if !errors.As(err, &e) || e.Status != 503 || !gainsight.IsRetryable(err) {
			t.Fatalf("err = %v, want a retryable 503", err)
		}
	})
	t.Run("hang ends with the context deadline", func(t *testing.T) {
		s := gainsighttest.NewServer(t)
		s.FailNext(1, gainsighttest.FaultHang)
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := simClient(t, s).Picklist(cctx, &gainsight.PicklistRequest{})
		var te *gainsight.TransportError
		if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !gainsight.IsRetryable(err) {
			t.Fatalf("err = %v, want a TransportError wrapping DeadlineExceeded", err)
		}
	})
	t.Run("dropped connection", func(t *testing.T) {
		s := gainsighttest.NewServer(t)
		s.FailNext(1, gainsighttest.FaultDrop)
		_, err := simClient(t, s).Picklist(ctx, &gainsight.PicklistRequest{})
		var te *gainsight.TransportError
		if !errors.As(err, &te) || !gainsight.IsRetryable(err) {
			t.Fatalf("err = %v, want a retryable TransportError", err)
		}
	})
}

// TestSimPaths checks that the client uses the spec's paths and the simulator
// routes every one of them to the intended endpoint.
func TestSimPaths(t *testing.T) {
	s := gainsighttest.NewServer(t)
	c := simClient(t, s)
	ctx := t.Context()
	_, _ = c.CreateMetrics(ctx, &gainsight.CreateMetricsRequest{Requests: []gainsight.MetricInput{{Record: gainsight.MetricRecord{Name: "p", UnitOfMeasure: gainsight.UnitDecimal}}}})
	_, _ = c.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{RecordIDs: []string{s.MetricID("Unused Metric")}})
	_, _ = c.Picklist(ctx, &gainsight.PicklistRequest{})
	want := map[string]string{
		gainsight.PathMetric:        gainsighttest.EndpointMetricCreate,
		gainsight.PathDeleteMetrics: gainsighttest.EndpointMetricDelete,
		gainsight.PathPicklist:      gainsighttest.EndpointPicklist,
	}
	for _, r := range s.Requests() {
		if want[r.Path] != r.Endpoint {
			t.Errorf("%s %s routed to %q, want %q", r.Method, r.Path, r.Endpoint, want[r.Path])
		}
		if r.Status != 200 {
			t.Errorf("%s %s: status %d", r.Method, r.Path, r.Status)
		}
	}
}

// OnResponse sees every reply, a 429 too, with the server's Date: here a
// server 2 s ahead, whose Date lies 2 s (less its whole-second
// truncation) after the send.
func TestSimOnResponse(t *testing.T) {
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
		o.CallsPerMinute, o.MinuteWindow, o.ClockOffset = 1, time.Hour, 2*time.Second
	})
	type obs struct{ sent, received, date time.Time }
	var seen []obs
	c, err := gainsight.New(gainsight.Options{
		BaseURL: s.URL, AccessKey: gainsight.StaticAccessKey(s.AccessKey), HTTPClient: s.Client(),
		OnResponse: func(sent, received, date time.Time) { seen = append(seen, obs{sent, received, date}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	req := &gainsight.FetchGoalsRequest{Select: []string{"Gsid"}, PageSize: 1}
	if _, err := c.FetchGoals(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	_, err = c.FetchGoals(t.Context(), req) // the window's one call is spent
	var rl *gainsight.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("second call: %v, want a 429", err)
	}
	if len(seen) != 2 {
		t.Fatalf("OnResponse called %d times, want 2", len(seen))
	}
	for _, o := range seen {
		if o.received.Before(o.sent) || o.date.IsZero() {
			t.Fatalf("observation %+v", o)
		}
		// date ∈ [sent+2s-1s, received+2s]
		if lo, hi := o.sent.Add(time.Second), o.received.Add(2*time.Second); o.date.Before(lo.Truncate(time.Second)) || o.date.After(hi) {
			t.Fatalf("Date %s outside [%s, %s]", o.date, lo, hi)
		}
	}
}
