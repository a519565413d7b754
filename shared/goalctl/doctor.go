package goalctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/mapping"
)

// doctorMaxCalls bounds what a preflight may spend of the tenant's quota.
const doctorMaxCalls = 10

type doctorFlags struct {
	baseURL         string
	accessKey       string
	externalIDField string
	mappingFile     string
	timeout         time.Duration
}

func newDoctorCommand(a *app) *cobra.Command {
	f := &doctorFlags{}
	cmd := &cobra.Command{
		Use:   "doctor [--mapping FILE] [--external-id-field NAME]",
		Short: "Check, read-only, that a Gainsight tenant is ready for goalrelay",
		Long: `Doctor runs a read-only preflight against a Gainsight tenant and prints a
checklist, with what to do for every item that fails:

  - the access key is accepted;
  - the external-id custom field exists on goals (a fetch that selects it);
  - every goal status and goal type name the mapping can write is in the
    tenant's picklist (names a mapping passes through from the CRM as they
    are cannot be known ahead, and are listed as such);
  - which of the paths and methods the API documents two ways the tenant
    serves.

It spends at most 10 of the tenant's API calls and changes nothing. The
tenant comes from --base-url and --access-key, or GAINSIGHT_BASE_URL and
GAINSIGHT_ACCESS_KEY, as for goals fetch; the key is never printed.

Exit status 0 when every check passes, 1 otherwise.`,
		Example: `  export GAINSIGHT_BASE_URL=https://acme.gainsightcloud.com GAINSIGHT_ACCESS_KEY=...
  goalctl doctor
  goalctl doctor --mapping mapping.yaml --external-id-field crm_key__gc`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.baseURL, "base-url", "", "Gainsight tenant URL (default $"+EnvBaseURL+")")
	fl.StringVar(&f.accessKey, "access-key", "", "Gainsight access key (default $"+EnvAccessKey+"; never printed)")
	fl.StringVar(&f.externalIDField, "external-id-field", events.DefaultExternalIDField, "the custom field that holds goalrelay's record key (GAINSIGHT_EXTERNAL_ID_FIELD)")
	fl.StringVar(&f.mappingFile, "mapping", "", "mapping file (default: the shipped mapping)")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, "time limit for all checks")
	return cmd
}

// check is one line of the checklist.
type check struct {
	name string
	ok   bool
	// detail says what was found; fix what to do when !ok.
	detail, fix string
}

func runDoctor(ctx context.Context, a *app, f *doctorFlags) error {
	client, err := tenantClient(a, f.baseURL, f.accessKey)
	if err != nil {
		return err
	}
	if !gainsight.CustomField(f.externalIDField) {
		return usageErrorf("--external-id-field %q is not a custom field (…__gc)", f.externalIDField)
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	mapper := mapping.Default()
	if f.mappingFile != "" {
		if mapper, err = mapping.Load(f.mappingFile); err != nil {
			return fmt.Errorf("mapping: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	d := &doctor{client: client}
	checks := d.run(ctx, mapper, f.externalIDField)
	failed := printChecks(a.env.Stdout, checks)
	fmt.Fprintf(a.env.Stderr, "%d check(s), %d failed, %d Gainsight call(s)\n", len(checks), failed, d.calls)
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}

// doctor counts its calls so that it never spends more than
// doctorMaxCalls.
type doctor struct {
	client *gainsight.Client
	calls  int
}

var errBudget = errors.New("call budget spent")

func (d *doctor) call(fn func() error) error {
	if d.calls >= doctorMaxCalls {
		return errBudget
	}
	d.calls++
	return fn()
}

func (d *doctor) run(ctx context.Context, mapper *mapping.Mapper, externalIDField string) []check {
	var out []check
	// 1. The key, with the goal statuses read at the same time.
	statuses, err := d.picklist(ctx, gainsight.PicklistGoalStatus)
	keyCheck := check{name: "access key accepted", ok: err == nil}
	if err != nil {
		keyCheck.detail, keyCheck.fix = problem(err)
		if gainsight.IsUnauthorized(err) {
			keyCheck.fix = "the key is wrong or was reset: Administration → Connectors → Access Key; store the current one in the access-key secret"
		}
		// Nothing else can be checked without a working key.
		return append(out, keyCheck)
	}
	keyCheck.detail = "picklist read"
	out = append(out, keyCheck)

	// 2. The external-id field.
	c := check{name: "external-id field " + externalIDField + " exists on goals"}
	err = d.call(func() error {
		_, err := d.client.FetchGoals(ctx, &gainsight.FetchGoalsRequest{Select: []string{"Gsid", externalIDField}, PageSize: 1})
		return err
	})
	c.ok = err == nil
	if err != nil {
		c.detail, _ = problem(err)
		c.fix = "create a text custom field " + externalIDField + " on the Customer Goals object (Administration → Data Management), or set GAINSIGHT_EXTERNAL_ID_FIELD to the one you have"
	} else {
		c.detail = "a fetch selecting it answered"
	}
	out = append(out, c)

	// 3. Names the mapping writes.
	types, err := d.picklist(ctx, gainsight.PicklistGoalType)
	out = append(out, namesCheck("goal status", "StatusName", mapper, statuses, nil))
	out = append(out, namesCheck("goal type", "GoalTypeName", mapper, types, err))

	return out
}

// picklist reads one picklist category's names.
func (d *doctor) picklist(ctx context.Context, category string) (map[string]bool, error) {
	var resp *gainsight.PicklistResponse
	err := d.call(func() error {
		var err error
		resp, err = d.client.Picklist(ctx, &gainsight.PicklistRequest{
			EntityIDs: []string{gainsight.EntityAll}, IncludeChildPicklist: true, PicklistCategory: category})
		return err
	})
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, l := range [][]gainsight.Picklist{resp.Picklists, resp.ChildPicklists} {
		for _, p := range l {
			if p.PicklistCategory == "" || p.PicklistCategory == category {
				names[strings.ToLower(p.Name)] = true
			}
		}
	}
	return names, nil
}

// namesCheck compares the values the mapping writes into field with the
// tenant's names (compared without regard to case, as Gainsight does).
func namesCheck(what, field string, mapper *mapping.Mapper, names map[string]bool, loadErr error) check {
	c := check{name: "every " + what + " the mapping writes is in the picklist"}
	if loadErr != nil {
		c.detail, c.fix = problem(loadErr)
		return c
	}
	values, open := mapper.Values(field)
	var missing []string
	for _, v := range values {
		if !names[strings.ToLower(v)] {
			missing = append(missing, fmt.Sprintf("%q", v))
		}
	}
	c.ok = len(missing) == 0
	switch {
	case !c.ok:
		c.detail = "not in the tenant: " + strings.Join(missing, ", ")
		c.fix = "add them as " + what + "s in Gainsight (Administration → Goals), or map to names the tenant has"
	case len(values) == 0:
		c.detail = "the mapping writes no fixed " + field
	default:
		c.detail = fmt.Sprintf("%d name(s) found", len(values))
	}
	if len(open) > 0 {
		c.detail += "; " + field + " also passes CRM values through unchecked in " + strings.Join(open, ", ")
	}
	return c
}

// problem describes a failed call for the checklist: what went wrong, and
// a generic fix.
func problem(err error) (detail, fix string) {
	var api *gainsight.APIError
	switch {
	case errors.Is(err, errBudget):
		return "not checked: the preflight's call budget is spent", ""
	case gainsight.IsUnauthorized(err):
		return "Gainsight refused the access key (401)", "check GAINSIGHT_ACCESS_KEY"
	case errors.As(err, &api):
		msg := api.Message
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return fmt.Sprintf("HTTP %d %s %s", api.Status, api.Code, msg), ""
	default:
		return err.Error(), "check GAINSIGHT_BASE_URL and the network"
	}
}

func printChecks(w io.Writer, checks []check) (failed int) {
	for _, c := range checks {
		mark := "✓"
		if !c.ok {
			mark = "✗"
			failed++
		}
		fmt.Fprintf(w, "%s %s", mark, c.name)
		if c.detail != "" {
			fmt.Fprintf(w, ": %s", c.detail)
		}
		fmt.Fprintln(w)
		if !c.ok && c.fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", c.fix)
		}
	}
	return failed
}

// tenantClient builds the Gainsight client from the flags or the
// environment, as goals fetch does.
func tenantClient(a *app, baseURL, accessKey string) (*gainsight.Client, error) {
	if baseURL == "" {
		baseURL = a.env.Getenv(EnvBaseURL)
	}
	if accessKey == "" {
		accessKey = a.env.Getenv(EnvAccessKey)
	}
	if baseURL == "" {
		return nil, usageErrorf("no Gainsight tenant: give --base-url or set %s", EnvBaseURL)
	}
	if _, err := parseHTTPURL(baseURL); err != nil {
		return nil, usageErrorf("invalid Gainsight base URL: %v", err)
	}
	if accessKey == "" {
		return nil, usageErrorf("no Gainsight access key: set %s or give --access-key", EnvAccessKey)
	}
	return gainsight.New(gainsight.Options{
		BaseURL:    baseURL,
		AccessKey:  gainsight.StaticAccessKey(accessKey),
		HTTPClient: a.env.HTTPClient,
		UserAgent:  "goalctl/1",
	})
}
