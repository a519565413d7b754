// Command gainsight-demo runs a short scripted session of the Gainsight
// client (package gainsight) against the in-memory tenant of package
// gainsighttest, started in-process, and prints one line per call:
//
//	go run ./cmd/gainsight-demo
//
// With -base-url it talks to a running tenant instead (for example
// cmd/gainsight-sim, whose seed data the script expects), reading the
// access key from GAINSIGHT_ACCESS_KEY so that it never shows in a process
// listing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

func main() {
	baseURL := flag.String("base-url", "", "tenant base URL (default: start the simulator in-process)")
	timeout := flag.Duration("timeout", 10*time.Second, "time-out per call")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *baseURL, os.Getenv("GAINSIGHT_ACCESS_KEY"), *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "gainsight-demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, baseURL, key string, timeout time.Duration) error {
	if baseURL == "" {
		// The demo's goal calls send GoalTypeName and a partial update, which
		// the strict simulator refuses as the spec reads; these two lenient
		// readings keep the demo as it was.
		sim := gainsighttest.New(gainsighttest.Options{Seed: 1, AcceptGoalTypeName: true, LenientUpdate: true})
		if err := sim.Start(); err != nil {
			return fmt.Errorf("starting the simulator: %w", err)
		}
		defer sim.Close()
		baseURL, key = sim.URL, sim.AccessKey
		fmt.Fprintf(out, "simulator        listening on %s (seeded tenant, in-process)\n", sim.URL)
		defer func() {
			st := sim.Stats()
			fmt.Fprintf(out, "simulator        %d calls counted against the quota, %d rate-limited\n", st.Calls, st.RateLimited)
		}()
	}
	c, err := gainsight.New(gainsight.Options{
		BaseURL:   baseURL,
		AccessKey: gainsight.StaticAccessKey(key),
		UserAgent: "goalrelay-gainsight-demo",
	})
	if err != nil {
		return err
	}
	d := demo{ctx: ctx, out: out, timeout: timeout}

	// Goal types and statuses, as the apply function checks names.
	var types *gainsight.PicklistResponse
	if err := d.step("Picklist", func(ctx context.Context) (string, error) {
		types, err = c.Picklist(ctx, &gainsight.PicklistRequest{EntityIDs: []string{gainsight.EntityCompany}, Active: true})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d goal types for COMPANY", len(types.Picklists)), nil
	}); err != nil {
		return err
	}

	var goal gainsight.Goal
	if err := d.step("CreateGoal", func(ctx context.Context) (string, error) {
		res, err := c.CreateGoal(ctx, &gainsight.CreateGoalRequest{
			Record: gainsight.GoalRecord{
				Name: "Reach 80% seat adoption", StatusName: "New", GoalTypeName: "Adoption",
				EntityType: "COMPANY", CompanyName: "IBM", DueDate: "2026-12-31",
				Fields: map[string]any{"goalrelay_external_id__gc": "demo:901", "crm_stage__gc": "won"},
			},
			Lookups: gainsight.CompanyLookups(),
		})
		if err != nil {
			return "", err
		}
		goal = res.Goal
		return fmt.Sprintf("goal %s %q on company %s (lookup CompanyName=IBM)", goal.Gsid, goal.Name, goal.CompanyID), nil
	}); err != nil {
		return err
	}

	if err := d.step("UpdateGoal", func(ctx context.Context) (string, error) {
		res, err := c.UpdateGoal(ctx, &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{
			Gsid: goal.Gsid, StatusName: "On Track", Fields: map[string]any{"crm_stage__gc": "live"},
		}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("goal %s status On Track (StatusId %s)", res.Record.Gsid, res.Record.StatusID), nil
	}); err != nil {
		return err
	}

	if err := d.step("FetchGoals", func(ctx context.Context) (string, error) {
		where := gainsight.Where(
			gainsight.Cond("goalrelay_external_id__gc", gainsight.OpEQ, "demo:901"),
			gainsight.Cond("Name", gainsight.OpStartsWith, "Reach"),
		)
		res, err := c.FetchGoals(ctx, &gainsight.FetchGoalsRequest{
			Select: []string{"Gsid", "Name", "StatusId", "crm_stage__gc"}, Where: where,
		})
		if err != nil {
			return "", err
		}
		if len(res.Goals) != 1 {
			return "", fmt.Errorf("fetched %d goals, want 1", len(res.Goals))
		}
		g := res.Goals[0]
		return fmt.Sprintf("where %q: %s %q crm_stage__gc=%v", where.Expression, g.Gsid, g.Name, g.Fields["crm_stage__gc"]), nil
	}); err != nil {
		return err
	}

	var template string
	if err := d.step("CreateTemplates", func(ctx context.Context) (string, error) {
		res, err := c.CreateTemplates(ctx, &gainsight.CreateTemplatesRequest{Requests: []gainsight.TemplateInput{{
			Record: gainsight.TemplateRecord{Name: "Demo onboarding template", GoalTypeName: "Default", StatusName: "New", DueDays: gainsight.Ptr(90)},
		}}})
		if err != nil {
			return "", err
		}
		if len(res.SuccessList) != 1 {
			return "", fmt.Errorf("template not created: %s", res.FailureList)
		}
		template = res.SuccessList[0].Gsid
		return fmt.Sprintf("template %s, due 90 days after a goal starts", template), nil
	}); err != nil {
		return err
	}
	if err := d.step("DeleteTemplates", func(ctx context.Context) (string, error) {
		res, err := c.DeleteTemplates(ctx, &gainsight.DeleteTemplatesRequest{RecordIDs: []string{template}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d template deleted", len(res.SuccessList)), nil
	}); err != nil {
		return err
	}

	var metric string
	if err := d.step("CreateMetrics", func(ctx context.Context) (string, error) {
		res, err := c.CreateMetrics(ctx, &gainsight.CreateMetricsRequest{Requests: []gainsight.MetricInput{{
			Record:                 gainsight.MetricRecord{Name: "Demo tickets closed", UnitOfMeasure: gainsight.UnitDecimal},
			AssociateGoalTypeNames: []string{"Adoption"},
		}}})
		if err != nil {
			return "", err
		}
		if len(res.SuccessList) != 1 {
			return "", fmt.Errorf("metric not created: %s", res.FailureList)
		}
		metric = res.SuccessList[0].Gsid
		return fmt.Sprintf("metric %s %q", metric, res.SuccessList[0].Name), nil
	}); err != nil {
		return err
	}
	if err := d.step("DeleteMetrics", func(ctx context.Context) (string, error) {
		res, err := c.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{RecordIDs: []string{metric}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d metric deleted", len(res.DeletedMetrics)), nil
	}); err != nil {
		return err
	}

	// A refused call, to show the error classification.
	return d.step("UpdateGoal", func(ctx context.Context) (string, error) {
		_, err := c.UpdateGoal(ctx, &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: goal.Gsid, StatusName: "Finished-ish"}})
		var apiErr *gainsight.APIError
		if !errors.As(err, &apiErr) {
			return "", fmt.Errorf("an unknown status was not refused: %v", err)
		}
		return fmt.Sprintf("refused as expected: HTTP %d %q validation=%v retryable=%v",
			apiErr.Status, apiErr.Message, apiErr.Validation(), gainsight.IsRetryable(err)), nil
	})
}

type demo struct {
	ctx     context.Context
	out     io.Writer
	timeout time.Duration
}

// step runs one call with its own time-out and prints one line about it.
func (d demo) step(name string, call func(context.Context) (string, error)) error {
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	start := time.Now()
	what, err := call(ctx)
	if err != nil {
		fmt.Fprintf(d.out, "%-16s FAILED: %v\n", name, err)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(d.out, "%-16s %s (%s)\n", name, what, time.Since(start).Round(time.Microsecond))
	return nil
}
