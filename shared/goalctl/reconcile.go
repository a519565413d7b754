package goalctl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/readback"
	"github.com/goalrelay/goalrelay/shared/reconcile"
	"github.com/goalrelay/goalrelay/shared/secrets"
	"github.com/goalrelay/goalrelay/shared/sources"
)

// OutputCRMCredentials is the stack output naming the CRM credentials
// secret.
const OutputCRMCredentials = "CrmCredentialsSecretArn"

type reconcileFlags struct {
	source      string
	account     string
	since       string
	until       string
	queueURL    string
	table       string
	credentials string
	mappingFile string
	maxPages    int
	restart     bool
	perMinute   int
	perDay      int
	noProgress  bool
	output      *string
}

// ReconcileResult is what reconcile -o json prints.
type ReconcileResult struct {
	reconcile.Progress
	// Key is the watermark's key in the state table ("" without one).
	Key      string `json:"watermarkKey,omitempty"`
	QueueURL string `json:"queueUrl"`
	// ETA of applying the queued events at the given budget, when every
	// goal is new and when every goal exists (and the version is new).
	ETANew   string `json:"etaIfNew,omitempty"`
	ETAKnown string `json:"etaIfKnown,omitempty"`
	Error    string `json:"error,omitempty"`
}

func newReconcileCommand(a *app) *cobra.Command {
	f := &reconcileFlags{}
	cmd := &cobra.Command{
		Use:   "reconcile --source SOURCE --since TIME (--stack NAME | --queue-url URL --credentials-secret ID [--table T])",
		Short: "List the CRM records modified since a time and queue their events (initial sync, repair)",
		Long: `Reconcile runs the reconciliation sweep on demand: it lists the records of
--source modified from --since to --until (default: now minus two minutes,
as the CRMs' search indexes trail their writes) through the CRM's API,
maps each like a read-back (the shipped mapping, or --mapping FILE), and
queues the events on the events queue, a page of 100 records at a time,
with a progress bar.

--source is an event source (hubspot/portal/62515, pipedrive/company/8100001)
or a CRM name with --account. The CRM's API token is its member of the CRM
credentials secret (--credentials-secret, default the stack's
` + OutputCRMCredentials + `); HUBSPOT_API_URL and PIPEDRIVE_API_URL point the
calls elsewhere.

Each event's id is the record version's read-back id, so a version that
was applied before costs no Gainsight call; only new versions do. After
each page the progress is written to the state table (--table, default the
stack's ` + OutputStateTable + `) under a key of its own for this --source
and --since: the same command run again after an interruption goes on
where it stopped (--restart starts over; a --since given as a duration
names a new time, so give a time to resume). Without a table it cannot
resume.
The scheduled sweep's own watermark is left alone.

When done it prints an ETA for applying the queued events in Gainsight at
--calls-per-minute, as backfill does. With -o json it prints one report.`,
		Example: `  goalctl reconcile --stack goalrelay --source hubspot/portal/62515 --since 2026-01-01
  goalctl reconcile --stack goalrelay --source pipedrive --account 8100001 --since 2026-11-01T00:00:00Z -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReconcile(cmd.Context(), a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.source, "source", "", "event source (hubspot/portal/ID, pipedrive/company/ID), or hubspot or pipedrive with --account (required)")
	fl.StringVar(&f.account, "account", "", "CRM account with a CRM name as --source: HubSpot portal id, Pipedrive company id")
	fl.StringVar(&f.since, "since", "", "list records modified from this time: RFC 3339, a date, or a duration before now such as 72h (required)")
	fl.StringVar(&f.until, "until", "", "list records modified before this time (default: now minus two minutes)")
	fl.StringVar(&f.queueURL, "queue-url", "", "URL of the events queue (default: the stack's "+OutputQueueURL+")")
	fl.StringVar(&f.table, "table", "", "state table for the progress (default: the stack's "+OutputStateTable+"; none: no resume)")
	fl.StringVar(&f.credentials, "credentials-secret", "", "CRM credentials secret (default: the stack's "+OutputCRMCredentials+")")
	fl.StringVar(&f.mappingFile, "mapping", "", "mapping file (default: the shipped mapping)")
	fl.IntVar(&f.maxPages, "max-pages", 0, "stop after this many pages of 100 records (0: no limit); run again to go on")
	fl.BoolVar(&f.restart, "restart", false, "ignore the progress of an earlier run of the same --source and --since")
	fl.IntVar(&f.perMinute, "calls-per-minute", 90, "Gainsight calls per minute the apply function may make, for the ETA")
	fl.IntVar(&f.perDay, "calls-per-day", 45000, "Gainsight calls per day the apply function may make, for the ETA")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar")
	f.output = addOutputFlag(cmd)
	for _, name := range []string{"source", "since"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// parseSince reads a time flag: a duration before now, or a time as
// backfill reads them.
func parseSince(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d).UTC(), nil
	}
	return parseTime(v)
}

func runReconcile(ctx context.Context, a *app, f *reconcileFlags) error {
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	if f.perMinute < 1 || f.perDay < 1 || f.maxPages < 0 {
		return usageErrorf("--calls-per-minute and --calls-per-day must be at least 1, --max-pages at least 0")
	}
	now := a.env.Now().UTC()
	since, err := parseSince(f.since, now)
	if err != nil {
		return usageErrorf("invalid --since %q: want RFC 3339, a date or a duration such as 72h", f.since)
	}
	var until time.Time
	if f.until != "" {
		if until, err = parseSince(f.until, now); err != nil || !until.After(since) {
			return usageErrorf("invalid --until %q: want a time after --since", f.until)
		}
	}
	src := f.source
	if f.account != "" || !strings.Contains(src, "/") {
		crm, ok := sources.Lookup(f.source)
		if !ok || crm.ReadBack == nil {
			return usageErrorf("--source %q: want an event source (hubspot/portal/ID, ...) or a CRM that can be read back", f.source)
		}
		if src, err = eventSource(crm, f.source, f.account); err != nil {
			return err
		}
	}
	if err := a.require(ctx, &f.queueURL, "queue-url", OutputQueueURL); err != nil {
		return err
	}
	if err := a.require(ctx, &f.credentials, "credentials-secret", OutputCRMCredentials); err != nil {
		return err
	}
	if err := a.fromStack(ctx, &f.table, OutputStateTable); err != nil {
		return err
	}
	mapper := mapping.Default()
	if f.mappingFile != "" {
		if mapper, err = mapping.Load(f.mappingFile); err != nil {
			return fmt.Errorf("mapping: %w", err)
		}
	}
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	creds, err := secrets.NewCRMCredentials(secretsmanager.NewFromConfig(cfg), f.credentials)
	if err != nil {
		return err
	}
	readers := &readback.Readers{Sources: sources.All(), Credentials: creds,
		BaseURLs: readback.BaseURLsFromEnv(sources.All(), a.env.Getenv), HTTPClient: a.env.HTTPClient}
	target, err := readers.For(ctx, src)
	if err != nil {
		if errors.Is(err, readback.ErrNoReader) {
			return usageErrorf("%v (no reader for %s)", err, src)
		}
		return err
	}

	stderr := a.env.Stderr
	rep := &ReconcileResult{QueueURL: f.queueURL}
	sw := &reconcile.Sweeper{Publisher: queue.NewPublisher(sqs.NewFromConfig(cfg), f.queueURL), Mapper: mapper, Now: a.env.Now}
	run := reconcile.Run{Source: src, Object: target.Object, Reader: target.Reader, Since: since, Until: until, MaxPages: f.maxPages}
	if f.table != "" {
		marks := &reconcile.Watermarks{DB: dynamodb.NewFromConfig(cfg), Table: f.table, Now: a.env.Now}
		sw.Watermarks = marks
		run.Key = "goalctl#" + src + "#" + since.Format(time.RFC3339Nano)
		if f.restart {
			run.Key += "#" + now.Format(time.RFC3339Nano)
		}
		rep.Key = reconcile.WatermarkPrefix + run.Key
	} else {
		fmt.Fprintln(stderr, "no --table or --stack: the progress is not kept; an interrupted run starts over")
	}
	// The total is not known before the listing ends: the bar counts.
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("listing and queueing "+src),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetVisibility(a.showProgress(f.noProgress)),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
	)
	queued := 0
	sw.OnPage = func(p reconcile.Progress) {
		_ = bar.Add(p.Events - queued)
		queued = p.Events
		bar.Describe(fmt.Sprintf("queued (watermark %s)", p.Watermark.Format(time.RFC3339)))
	}
	p, err := sw.Sweep(ctx, run)
	_ = bar.Finish()
	rep.Progress = p
	for _, e := range p.Errors {
		fmt.Fprintf(stderr, "not mapped: %s\n", e)
	}
	fmt.Fprintf(stderr, "%s: %d record(s) listed from %s to %s, %d event(s) queued, %d ignored by the mapping, %d invalid\n",
		src, p.Listed, p.From.Format(time.RFC3339), p.Until.Format(time.RFC3339), p.Events, p.Ignored, p.Invalid)
	if p.Events > 0 {
		fmt.Fprintln(stderr, etaLine(p.Events, f.perMinute, f.perDay)+" (versions applied before cost nothing)")
		rep.ETANew = applyTime(newGoalCalls(p.Events), f.perMinute, f.perDay).String()
		rep.ETAKnown = applyTime(p.Events, f.perMinute, f.perDay).String()
	}
	switch {
	case errors.Is(err, reconcile.ErrStopped):
		err = partialErrorf("stopped after %d page(s) at --max-pages; run the same command again to go on", p.Pages)
	case err != nil && p.Events > 0:
		err = partialErrorf("reconcile stopped after %d event(s): %w", p.Events, err)
	case err != nil:
		err = fmt.Errorf("reconcile: %w", err)
	}
	if *f.output == outputJSON {
		if err != nil {
			rep.Error = err.Error()
		}
		if werr := writeJSON(a.env.Stdout, rep); werr != nil && err == nil {
			return werr
		}
		return err
	}
	if err == nil {
		fmt.Fprintf(a.env.Stdout, "queued %d event(s) on %s; watermark %s\n", p.Events, f.queueURL, p.Watermark.Format(time.RFC3339Nano))
	}
	return err
}
