package goalctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
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
	output          *string
}

// DoctorCheck is one line of the checklist, as doctor -o json prints it.
type DoctorCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// DoctorReport is what doctor -o json prints.
type DoctorReport struct {
	Checks []DoctorCheck `json:"checks"`
	Failed int           `json:"failed"`
	// Calls is the number of Gainsight calls the preflight made.
	Calls int `json:"calls"`
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

-o json prints the checklist as one JSON object.

Exit status 0 when every check passes, 1 otherwise.`,
		Example: `  export GAINSIGHT_BASE_URL=https://acme.gainsightcloud.com GAINSIGHT_ACCESS_KEY=...
  goalctl doctor
  goalctl doctor --mapping mapping.yaml --external-id-field crm_key__gc
  goalctl doctor -o json | jq '.checks[] | select(.ok | not)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), a, f)
		},
	}
	fl := cmd.Flags()
	addTenantFlags(cmd, &f.baseURL, &f.accessKey)
	fl.StringVar(&f.externalIDField, "external-id-field", events.DefaultExternalIDField, "the custom field that holds goalrelay's record key (GAINSIGHT_EXTERNAL_ID_FIELD)")
	fl.StringVar(&f.mappingFile, "mapping", "", "mapping file (default: the shipped mapping)")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, "time limit for all checks")
	f.output = addOutputFlag(cmd)
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
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	// Every request goes through a transport that refuses the eleventh:
	// the preflight can never spend more than doctorMaxCalls.
	budget := &budgetTransport{next: a.env.HTTPClient.Transport, left: doctorMaxCalls}
	hc := *a.env.HTTPClient
	hc.Transport = budget
	client, err := tenantClient(&app{env: &Env{Getenv: a.env.Getenv, HTTPClient: &hc}}, f.baseURL, f.accessKey)
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
	calls := doctorMaxCalls - budget.remaining()
	var failed int
	if *f.output == outputJSON {
		rep := DoctorReport{Checks: []DoctorCheck{}, Calls: calls}
		for _, c := range checks {
			rep.Checks = append(rep.Checks, DoctorCheck{Name: c.name, OK: c.ok, Detail: c.detail, Fix: c.fix})
			if !c.ok {
				rep.Failed++
			}
		}
		failed = rep.Failed
		if err := writeJSON(a.env.Stdout, rep); err != nil {
			return err
		}
	} else {
		failed = printChecks(a.env.Stdout, checks)
	}
	fmt.Fprintf(a.env.Stderr, "%d check(s), %d failed, %d Gainsight call(s)\n", len(checks), failed, calls)
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}

// doctor runs the checks with a client whose transport holds the budget.
type doctor struct {
	client *gainsight.Client
}

var errBudget = errors.New("the preflight's call budget is spent")

// budgetTransport lets at most left requests through.
type budgetTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	left int
}

func (b *budgetTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	ok := b.left > 0
	if ok {
		b.left--
	}
	b.mu.Unlock()
	if !ok {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errBudget
	}
	next := b.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

func (b *budgetTransport) remaining() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left
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
	_, err = d.client.FetchGoals(ctx, &gainsight.FetchGoalsRequest{Select: []string{"Gsid", externalIDField}, PageSize: 1})
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

	// 4. The paths and methods the spec writes two ways.
	return append(out, d.variants(ctx))
}

// variants learns which reading of each ambiguous endpoint the tenant
// serves, with empty, write-free requests (gainsight.Client.Probe).
func (d *doctor) variants(ctx context.Context) check {
	c := check{name: "the tenant serves a variant of every endpoint the spec writes two ways"}
	known, err := d.client.Probe(ctx)
	var found []string
	for _, ep := range gainsight.ProbeEndpoints {
		if v, ok := known[ep]; ok {
			found = append(found, ep+" "+v)
		}
	}
	c.ok = err == nil && len(found) == len(gainsight.ProbeEndpoints)
	c.detail = strings.Join(found, "; ")
	if errors.Is(err, errBudget) && len(found) > 0 {
		// The tenant answered on the paths probed; the rest were not
		// tried within the budget. The relay learns them on first use.
		c.ok = true
		c.detail += "; the others not probed within the 10-call budget (learnt on first use)"
		return c
	}
	if !c.ok {
		why, _ := problem(err)
		if err == nil {
			why = "no answer"
		}
		if c.detail != "" {
			c.detail += "; "
		}
		c.detail += "not learnt: " + why
		c.fix = "check GAINSIGHT_BASE_URL (the tenant's own URL, without a path); goalrelay learns the variants on the first call anyway"
	}
	return c
}

// picklist reads one picklist category's names.
func (d *doctor) picklist(ctx context.Context, category string) (map[string]bool, error) {
	resp, err := d.client.Picklist(ctx, &gainsight.PicklistRequest{
		EntityIDs: []string{gainsight.EntityAll}, IncludeChildPicklist: true, PicklistCategory: category})
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
		return "not checked: the preflight's call budget of 10 is spent", ""
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

// addTenantFlags adds the flags that name the tenant, as goals fetch and
// doctor share them.
func addTenantFlags(cmd *cobra.Command, baseURL, accessKey *string) {
	fl := cmd.Flags()
	fl.StringVar(baseURL, "base-url", "", "Gainsight tenant URL, e.g. https://acme.gainsightcloud.com (default $"+EnvBaseURL+")")
	fl.StringVar(accessKey, "access-key", "", "Gainsight access key (default $"+EnvAccessKey+"; never printed)")
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
