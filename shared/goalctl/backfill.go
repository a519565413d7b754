package goalctl

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// CallsPerNewGoal is what applying one event for a goal goalrelay has not
// seen costs in Gainsight calls: the create, and a share of the one fetch
// on the external-id field (to find a goal made before) that the apply
// function makes for all the new goals of a batch of NewGoalsPerFetch
// events (the SQS batch size). An event for a known goal costs one update.
// newGoalCalls counts the fetches whole.
const CallsPerNewGoal = 1 + 1.0/NewGoalsPerFetch

// NewGoalsPerFetch is how many new goals one fetch of the apply function
// resolves at most: a batch's (BatchSize 10 in template.yaml).
const NewGoalsPerFetch = 10

// newGoalCalls is what n events for new goals cost: n creates and a fetch
// per batch of NewGoalsPerFetch.
func newGoalCalls(n int) int { return n + (n+NewGoalsPerFetch-1)/NewGoalsPerFetch }

// maxJSONLine bounds one line of a JSON-lines export.
const maxJSONLine = 4 << 20

type backfillFlags struct {
	file        string
	format      string
	source      string
	object      string
	account     string
	queueURL    string
	mappingFile string
	idField     string
	timeField   string
	perMinute   int
	perDay      int
	dryRun      bool
	skipInvalid bool
	noProgress  bool
	output      *string
}

// BackfillResult is what backfill -o json prints.
type BackfillResult struct {
	Records int `json:"records"`
	// EventCount is the number of events the records mapped to.
	EventCount int             `json:"eventCount"`
	Ignored    int             `json:"ignored"`
	Invalid    []InvalidRecord `json:"invalid,omitempty"`
	// ETA of applying the events at the given budget, when every goal is
	// new and when every goal exists.
	ETANew   string `json:"etaIfNew,omitempty"`
	ETAKnown string `json:"etaIfKnown,omitempty"`
	QueueURL string `json:"queueUrl,omitempty"`
	Queued   int    `json:"queued"`
	DryRun   bool   `json:"dryRun,omitempty"`
	// Events are the events themselves, with --dry-run only.
	Events []events.Event `json:"events,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// InvalidRecord is a record that cannot become an event.
type InvalidRecord struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func newBackfillCommand(a *app) *cobra.Command {
	f := &backfillFlags{}
	cmd := &cobra.Command{
		Use:   "backfill --file EXPORT --source SOURCE --object OBJECT --account ID (--queue-url URL | --stack NAME)",
		Short: "Queue an export of CRM records as goal events, mapped like webhooks",
		Long: `Backfill reads an export of CRM records, a CSV file with a header row or
JSON lines (one object per line; chosen by the file's extension or
--format), turns every record into a full-record change of --source and
--object, maps it with the same mapping as the webhooks (the shipped
defaults, or --mapping FILE as MAPPING_FILE would), and queues the events on
the events queue in batches, with a progress bar.

Column names must be the names the mapping reads (HubSpot internal property
names such as dealname and dealstage, Salesforce API names, ...); give
--mapping to map an export's own column names. Empty CSV cells are left out.

Each event is like the adapter's: source one of
` + namespaces() + `
(the account normalised as the adapter does); subject the record id (--id-field, default hs_object_id / Id /
<object>id / id); time the record's modified date (--time-field, default
hs_lastmodifieddate / SystemModstamp / LastModifiedDate / modifiedon /
update_time ...), else now; id "<source system>:backfill:<account>:<object>:
<record id>:<hash of the record>", stable for an unchanged record, so
running the same export twice applies nothing twice.

Before queueing it prints an ETA for applying the events in Gainsight at
--calls-per-minute (the apply function's budget): a goal Gainsight does not
have yet costs 1.1 calls (its create, and one fetch per batch of ten new
goals), a known one 1.

Records that cannot be mapped stop the backfill before anything is queued,
unless --skip-invalid. --dry-run prints the events as JSON lines instead.
With -o json it prints one report (counts, invalid records, the ETA, what
was queued; with --dry-run the events in its "events" member).

The queue is --queue-url, else the EventsQueueUrl output of --stack.`,
		Example: `  goalctl backfill --file deals.csv --source hubspot --object deal --account 62515 --stack goalrelay
  goalctl backfill --file deals.csv --source hubspot --object deal --account 62515 --queue-url "$QUEUE_URL" -o json
  goalctl backfill --file opps.jsonl --source salesforce --object Opportunity --account 00D000000000062EAA \
      --mapping mapping.yaml --time-field LastModifiedDate --dry-run | head`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBackfill(cmd.Context(), a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.file, "file", "", "export to read: .csv or .jsonl/.ndjson (- for stdin with --format) (required)")
	fl.StringVar(&f.format, "format", "", "csv or jsonl (default: from the file extension)")
	fl.StringVar(&f.source, "source", "", "CRM: "+strings.Join(crmNames(), ", ")+", or a source of --mapping (required)")
	fl.StringVar(&f.object, "object", "", "CRM object as the mapping names it: deal, Opportunity, opportunity, ... (required)")
	fl.StringVar(&f.account, "account", "", "CRM account: HubSpot portal id, Salesforce or Dynamics organization id, Pipedrive company id (required)")
	fl.StringVar(&f.queueURL, "queue-url", "", "URL of the events queue (default: the stack's "+OutputQueueURL+"; not needed with --dry-run)")
	fl.StringVar(&f.mappingFile, "mapping", "", "mapping file (default: the shipped mapping)")
	fl.StringVar(&f.idField, "id-field", "", "column holding the record id (default: a usual one for the source)")
	fl.StringVar(&f.timeField, "time-field", "", "column holding the last-modified time (default: a usual one for the source, else now)")
	fl.IntVar(&f.perMinute, "calls-per-minute", 90, "Gainsight calls per minute the apply function may make, for the ETA")
	fl.IntVar(&f.perDay, "calls-per-day", 45000, "Gainsight calls per day the apply function may make, for the ETA")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the events as JSON lines; queue nothing")
	fl.BoolVar(&f.skipInvalid, "skip-invalid", false, "report records that cannot be mapped and queue the rest")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar")
	f.output = addOutputFlag(cmd)
	for _, name := range []string{"file", "source", "object", "account"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// namespaces lists the event sources of the CRMs, for the help text.
func namespaces() string {
	var out []string
	for _, src := range sources.All() {
		if src.Namespace != "" {
			out = append(out, src.Namespace+"<account>")
		}
	}
	return "  " + strings.Join(out, ", ")
}

// crmNames are the sources with a namespace of their own: those whose
// exports backfill can turn into the adapter's events.
func crmNames() []string {
	var out []string
	for _, src := range sources.All() {
		if src.Namespace != "" {
			out = append(out, src.Name)
		}
	}
	return out
}

// commonIDFields and commonTimeFields are tried after a source's own
// export fields (and alone for a source of a custom mapping).
var (
	commonIDFields   = []string{"id", "Id", "ID", "recordId", "Record ID"}
	commonTimeFields = []string{"updatedAt", "updated_at", "modifiedAt", "modified_at", "lastModified", "last_modified"}
)

func idCandidates(src *webhook.Source, object string) []string {
	if src != nil && src.Export.IDFields != nil {
		return src.Export.IDFields(object)
	}
	return commonIDFields
}

func timeCandidates(src *webhook.Source) []string {
	if src != nil {
		return append(slices.Clone(src.Export.TimeFields), commonTimeFields...)
	}
	return commonTimeFields
}

// record is one row of the export.
type record struct {
	line   int
	fields map[string]any
}

// recordError is a record that cannot become an event.
type recordError struct {
	line int
	err  error
}

func runBackfill(ctx context.Context, a *app, f *backfillFlags) error {
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	if f.perMinute < 1 || f.perDay < 1 {
		return usageErrorf("--calls-per-minute and --calls-per-day must be at least 1")
	}
	format := f.format
	if format == "" {
		switch strings.ToLower(filepath.Ext(f.file)) {
		case ".csv":
			format = "csv"
		case ".jsonl", ".ndjson", ".json":
			format = "jsonl"
		default:
			return usageErrorf("cannot tell the format of %q: use --format csv or jsonl", f.file)
		}
	}
	if format != "csv" && format != "jsonl" {
		return usageErrorf("invalid --format %q: use csv or jsonl", format)
	}
	mapper := mapping.Default()
	if f.mappingFile != "" {
		m, err := mapping.Load(f.mappingFile)
		if err != nil {
			return fmt.Errorf("mapping: %w", err)
		}
		mapper = m
	}
	if !contains(mapper.Sources(), f.source) {
		return usageErrorf("the mapping has no source %q (it maps %s)", f.source, strings.Join(mapper.Sources(), ", "))
	}
	crm, _ := sources.Lookup(f.source)
	src, err := eventSource(crm, f.source, f.account)
	if err != nil {
		return err
	}

	if !f.dryRun {
		if err := a.require(ctx, &f.queueURL, "queue-url", OutputQueueURL); err != nil {
			if errors.As(err, new(*UsageError)) {
				return usageErrorf("--queue-url is required (or --stack NAME, or --dry-run)")
			}
			return err
		}
	}

	var in io.Reader
	if f.file == "-" {
		in = a.env.Stdin
	} else {
		file, err := os.Open(f.file)
		if err != nil {
			return fmt.Errorf("open export: %w", err)
		}
		defer file.Close()
		in = file
	}
	var recs []record
	if format == "csv" {
		recs, err = readCSV(in)
	} else {
		recs, err = readJSONL(in)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", f.file, err)
	}

	now := a.env.Now().UTC()
	var evs []events.Event
	var bad []recordError
	ignored := 0
	for _, r := range recs {
		ch, err := f.change(crm, r, src, now)
		if err != nil {
			bad = append(bad, recordError{r.line, err})
			continue
		}
		out, err := mapper.Map(ch)
		if err != nil {
			bad = append(bad, recordError{r.line, err})
			continue
		}
		if len(out) == 0 {
			ignored++
		}
		evs = append(evs, out...)
	}
	stderr := a.env.Stderr
	unit := "line"
	if format == "csv" {
		unit = "row"
	}
	for i, b := range bad {
		if i == 20 {
			fmt.Fprintf(stderr, "... and %d more\n", len(bad)-i)
			break
		}
		fmt.Fprintf(stderr, "%s %d: %v\n", unit, b.line, b.err)
	}
	fmt.Fprintf(stderr, "%d record(s) read: %d event(s), %d ignored by the mapping, %d invalid\n", len(recs), len(evs), ignored, len(bad))
	rep := &BackfillResult{Records: len(recs), EventCount: len(evs), Ignored: ignored, QueueURL: f.queueURL, DryRun: f.dryRun}
	for _, b := range bad {
		rep.Invalid = append(rep.Invalid, InvalidRecord{Line: b.line, Error: b.err.Error()})
	}
	// finish prints the report with -o json (the error in it too) and
	// returns err.
	finish := func(err error) error {
		if *f.output != outputJSON {
			return err
		}
		if err != nil {
			rep.Error = err.Error()
		}
		if werr := writeJSON(a.env.Stdout, rep); werr != nil && err == nil {
			return werr
		}
		return err
	}
	if len(bad) > 0 && !f.skipInvalid {
		return finish(fmt.Errorf("%d record(s) cannot be mapped; fix them, or queue the rest with --skip-invalid", len(bad)))
	}
	fmt.Fprintln(stderr, etaLine(len(evs), f.perMinute, f.perDay))
	if len(evs) > 0 {
		rep.ETANew = applyTime(newGoalCalls(len(evs)), f.perMinute, f.perDay).String()
		rep.ETAKnown = applyTime(len(evs), f.perMinute, f.perDay).String()
	}

	if f.dryRun {
		if *f.output == outputJSON {
			rep.Events = evs
			return finish(nil)
		}
		enc := json.NewEncoder(a.env.Stdout)
		enc.SetEscapeHTML(false)
		for i := range evs {
			if err := enc.Encode(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if len(evs) == 0 {
		return finish(nil)
	}
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return finish(err)
	}
	pub := queue.NewPublisher(sqs.NewFromConfig(cfg), f.queueURL)
	bar := progressbar.NewOptions(len(evs),
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("queueing"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetVisibility(a.showProgress(f.noProgress)),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
	)
	for start := 0; start < len(evs); start += queue.MaxBatchEntries {
		end := min(start+queue.MaxBatchEntries, len(evs))
		if err := pub.Publish(ctx, evs[start:end]); err != nil {
			var pe *queue.PublishError
			if errors.As(err, &pe) {
				rep.Queued += (end - start) - len(pe.NotSent)
			}
			_ = bar.Exit()
			fmt.Fprintf(stderr, "\nqueued %d of %d event(s)\n", rep.Queued, len(evs))
			if rep.Queued > 0 {
				return finish(partialErrorf("backfill stopped after %d of %d event(s): %w", rep.Queued, len(evs), err))
			}
			return finish(fmt.Errorf("backfill: %w", err))
		}
		rep.Queued += end - start
		_ = bar.Add(end - start)
	}
	_ = bar.Finish()
	if *f.output == outputJSON {
		return finish(nil)
	}
	fmt.Fprintf(a.env.Stdout, "queued %d event(s) on %s\n", rep.Queued, f.queueURL)
	return nil
}

func (a *app) showProgress(off bool) bool {
	if off {
		return false
	}
	if a.env.Progress != nil {
		return *a.env.Progress
	}
	if f, ok := a.env.Stderr.(*os.File); ok {
		return term.IsTerminal(int(f.Fd()))
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// eventSource is the CloudEvents source of the backfilled events: for a
// CRM source the one its adapter writes for that account, so that a
// backfilled record shares the webhook's record key and goal; for a source
// of a custom mapping, "<source>/<account>".
func eventSource(crm *webhook.Source, source, account string) (string, error) {
	account = strings.TrimSpace(account)
	if account == "" || strings.ContainsAny(account, "/: \t") {
		return "", usageErrorf("invalid --account %q: the CRM account id, without '/', ':' or spaces", account)
	}
	if crm == nil || crm.Namespace == "" {
		return source + "/" + account, nil
	}
	s, err := crm.EventSource(account)
	if err != nil {
		return "", usageErrorf("invalid --account: %v", err)
	}
	return s, nil
}

// change turns one record into the full-record change the CRM's adapter
// would give for it.
func (f *backfillFlags) change(crm *webhook.Source, r record, src string, now time.Time) (webhook.Change, error) {
	idNames := idCandidates(crm, f.object)
	if f.idField != "" {
		idNames = []string{f.idField}
	}
	rid := ""
	for _, n := range idNames {
		if s, ok := scalarText(r.fields[n]); ok && s != "" {
			rid = s
			break
		}
	}
	if rid == "" {
		return webhook.Change{}, fmt.Errorf("no record id (looked for %s)", strings.Join(idNames, ", "))
	}
	at := now
	timeNames := timeCandidates(crm)
	if f.timeField != "" {
		timeNames = []string{f.timeField}
	}
	for _, n := range timeNames {
		v, ok := r.fields[n]
		if !ok || v == nil {
			continue
		}
		t, err := parseTime(v)
		if err != nil {
			return webhook.Change{}, fmt.Errorf("record %s: %s is not a time", rid, n)
		}
		at = t
		break
	}
	fields := r.fields
	if crm != nil && crm.Export.Complete != nil {
		crm.Export.Complete(fields, rid)
	}
	b, err := json.Marshal(fields) // map keys sorted: a stable hash
	if err != nil {
		return webhook.Change{}, fmt.Errorf("record %s: %w", rid, err)
	}
	sum := sha256.Sum256(b)
	system, account, _ := strings.Cut(src, "/")
	if i := strings.LastIndexByte(src, '/'); i >= 0 {
		account = src[i+1:]
	}
	return webhook.Change{
		ID:         system + ":backfill:" + account + ":" + f.object + ":" + rid + ":" + hex.EncodeToString(sum[:8]),
		Source:     src,
		Object:     f.object,
		RecordID:   rid,
		Op:         webhook.OpUpsert,
		OccurredAt: at.UTC(),
		Fields:     fields,
	}, nil
}

func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10), true
		}
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

var (
	wcfDate    = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)
	timeLayout = []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.000-0700", // Salesforce data export
		"2006-01-02T15:04:05-0700",
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05",
		"2006-01-02 15:04",
		"2006-01-02",
	}
)

// parseTime reads the usual export time shapes: RFC 3339, Salesforce's
// +0000 offsets, "YYYY-MM-DD hh:mm:ss" (UTC), a date, epoch seconds or
// milliseconds, and Dataverse's /Date(ms)/.
func parseTime(v any) (time.Time, error) {
	epoch := func(f float64) time.Time {
		if math.Abs(f) >= 1e11 {
			return time.UnixMilli(int64(f)).UTC()
		}
		return time.Unix(int64(f), 0).UTC()
	}
	switch v := v.(type) {
	case float64:
		return epoch(v), nil
	case string:
		s := strings.TrimSpace(v)
		if m := wcfDate.FindStringSubmatch(s); m != nil {
			ms, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.UnixMilli(ms).UTC(), nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "-:") {
			return epoch(f), nil
		}
		for _, l := range timeLayout {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, errors.New("not a time")
}

// readCSV reads a CSV export with a header row; empty cells are left out.
func readCSV(r io.Reader) ([]record, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: want a header row")
	}
	if err != nil {
		return nil, err
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if h == "" {
			return nil, fmt.Errorf("header column %d has no name", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("header names column %q twice", h)
		}
		seen[h] = true
	}
	var out []record
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		fields := make(map[string]any, len(row))
		for i, v := range row {
			if v != "" {
				fields[header[i]] = v
			}
		}
		out = append(out, record{line: line, fields: fields})
	}
}

// readJSONL reads one JSON object per line; blank lines are skipped.
func readJSONL(r io.Reader) ([]record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxJSONLine)
	var out []record
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var fields map[string]any
		if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("line %d: not a JSON object", line)
		}
		out = append(out, record{line: line, fields: fields})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// etaLine estimates how long the apply function needs for n events at the
// limiter's budget, without other traffic on the tenant.
func etaLine(n, perMinute, perDay int) string {
	if n == 0 {
		return "nothing to apply"
	}
	worst := applyTime(newGoalCalls(n), perMinute, perDay)
	best := applyTime(n, perMinute, perDay)
	return fmt.Sprintf("ETA in Gainsight at %d calls/minute (%d/day): about %s if every goal is new (%g calls each: create + one fetch per %d), %s if they all exist (1 call each)",
		perMinute, perDay, worst, CallsPerNewGoal, NewGoalsPerFetch, best)
}

// applyTime is how long calls take at perMinute, when at most perDay fit
// in a day.
func applyTime(calls, perMinute, perDay int) time.Duration {
	days := (calls - 1) / perDay
	rest := calls - days*perDay
	d := time.Duration(days)*24*time.Hour + time.Duration(math.Ceil(float64(rest)*60/float64(perMinute)))*time.Second
	return d
}
