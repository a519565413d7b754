package goalctl

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/spf13/cobra"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/state"
)

type eventsFlags struct {
	table  string
	record string
	id     string
	source string
	limit  int
	output *string
}

func newEventsCommand(a *app) *cobra.Command {
	f := &eventsFlags{}
	cmd := &cobra.Command{
		Use:   "events (--record KEY | --id ID --source SOURCE) [--table STATE_TABLE | --stack NAME]",
		Short: "Show what became of a record's events, or of one event, from the state table",
		Long: `Events reads the story the apply function keeps in the state table for every
event: its record, CRM change time (the version it gives the goal), type, the
outcome of its last attempt (done, stale, ignored, retry, permanent = sent to
the DLQ), the Gsid it was applied to, the error code (the DLQ's error_code, or
Gainsight's code of a retried failure), Gainsight's request id and when the
outcome was recorded.

--record KEY prints a record's goal (Gsid, version, the last event applied)
and its events, oldest CRM time first: one Query on the table's record-events
index, never a Scan. KEY is the record key goalrelay writes to the goal's
external-id field, "<source>:<external id>" (e.g. hubspot/portal/62515:901);
templates and metrics are "goaltemplate:<source>:<id>" and
"metric:<source>:<id>". The index is eventually consistent: an outcome
recorded a moment ago may show a moment later.

--id ID --source SOURCE prints one event (a strongly consistent read), as the
DLQ's event_id and source attributes or a log line's event_id and source
name it.

Event records expire three days after their outcome (the state table's TTL),
so the history covers recent events; the goal's Gsid, version and last event
are kept for good. Events dead-lettered by SQS after 10 receives (not by the
apply function) show as retry. The table: --table, else the stack's
(--stack, GOALRELAY_STACK), else $STATE_TABLE.`,
		Example: `  goalctl events --record hubspot/portal/62515:901 --stack goalrelay
  goalctl events --id hubspot:62515:deal:901:1764237600000 --source hubspot/portal/62515 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEvents(cmd.Context(), a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.table, "table", "", "DynamoDB state table (default $"+EnvStateTable+")")
	fl.StringVar(&f.record, "record", "", "record key, e.g. hubspot/portal/62515:901: the record's goal and events")
	fl.StringVar(&f.id, "id", "", "event id (with --source): one event")
	fl.StringVar(&f.source, "source", "", "the event's source, e.g. hubspot/portal/62515 (with --id)")
	fl.IntVar(&f.limit, "limit", 100, fmt.Sprintf("with --record, the newest N events (at most %d)", state.MaxRecordEvents))
	f.output = addOutputFlag(cmd)
	return cmd
}

// RecordGoal is what the state table keeps of a record's goal.
type RecordGoal struct {
	Gsid string `json:"gsid,omitempty"`
	// Version is the CRM change time of the last event applied, and
	// LastEventID that event's id.
	Version     time.Time `json:"version,omitzero"`
	LastEventID string    `json:"lastEventId,omitempty"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
	// Name and StatusName or StatusID are what goalrelay last sent.
	Name       string `json:"name,omitempty"`
	StatusName string `json:"statusName,omitempty"`
	StatusID   string `json:"statusId,omitempty"`
	// CreatePending: a create was started and its outcome is not known
	// yet (resolved by a Fetch before anything creates the goal again).
	CreatePending bool `json:"createPending,omitempty"`
}

// RecordReport is what goalctl events --record prints.
type RecordReport struct {
	Table  string `json:"table"`
	Record string `json:"record"`
	// Goal is nil when the table holds no goal record for the key.
	Goal   *RecordGoal         `json:"goal"`
	Events []state.EventRecord `json:"events"`
}

func runEvents(ctx context.Context, a *app, f *eventsFlags) error {
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	switch {
	case f.record == "" && f.id == "":
		return usageErrorf("events needs --record KEY (a record's events) or --id ID --source SOURCE (one event)")
	case f.record != "" && f.id != "":
		return usageErrorf("give --record or --id, not both")
	case f.id != "" && f.source == "":
		return usageErrorf("--id needs --source: event ids are unique per source (the DLQ's source attribute, a log line's source, e.g. hubspot/portal/62515)")
	case f.record != "" && f.source != "":
		return usageErrorf("--source goes with --id; a record key names its source already")
	}
	if f.limit < 1 || f.limit > state.MaxRecordEvents {
		return usageErrorf("--limit must be between 1 and %d", state.MaxRecordEvents)
	}
	if err := a.stateTable(ctx, &f.table); err != nil {
		return err
	}
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	store := state.New(dynamodb.NewFromConfig(cfg), f.table)
	if f.id != "" {
		return showEvent(ctx, a, f, store)
	}
	return showRecord(ctx, a, f, store)
}

func showEvent(ctx context.Context, a *app, f *eventsFlags, store *state.Store) error {
	ev := events.Event{ID: f.id, Source: f.source}
	rec, ok, err := store.GetEvent(ctx, ev.Identity())
	if err != nil {
		return fmt.Errorf("read event %s of %s in %s: %w", f.id, f.source, f.table, err)
	}
	if !ok {
		return fmt.Errorf("no event %s of source %s in %s: never received by the apply function, or expired (records are kept three days after their outcome)",
			f.id, f.source, f.table)
	}
	if *f.output == outputJSON {
		return writeJSON(a.env.Stdout, rec)
	}
	w := a.env.Stdout
	field := func(name, v string) { fmt.Fprintf(w, "%-18s %s\n", name+":", cell(v)) }
	field("event", rec.EventID)
	field("source", rec.Source)
	field("type", rec.Type)
	field("record", rec.RecordKey)
	field("crm time", stamp(rec.Time))
	field("outcome", rec.Outcome)
	field("state", rec.Status)
	field("attempts", strconv.Itoa(rec.Attempt))
	field("gsid", rec.Gsid)
	field("error code", rec.ErrorCode)
	field("gainsight request", rec.RequestID)
	field("detail", rec.Detail)
	field("recorded", stamp(rec.UpdatedAt))
	if !rec.LeaseUntil.IsZero() {
		field("leased until", stamp(rec.LeaseUntil))
	}
	field("expires", stamp(rec.ExpiresAt))
	return nil
}

func showRecord(ctx context.Context, a *app, f *eventsFlags, store *state.Store) error {
	rep := RecordReport{Table: f.table, Record: f.record, Events: []state.EventRecord{}}
	g, ok, err := store.GetGoal(ctx, f.record)
	if err != nil {
		return fmt.Errorf("read record %s in %s: %w", f.record, f.table, err)
	}
	if ok {
		rep.Goal = &RecordGoal{Gsid: g.Gsid, Version: g.Version, LastEventID: g.LastEventID, UpdatedAt: g.UpdatedAt,
			Name: g.Kept.Name, StatusName: g.Kept.StatusName, StatusID: g.Kept.StatusID, CreatePending: g.CreatePending}
	}
	evs, err := store.RecordEvents(ctx, f.record, f.limit)
	if err != nil {
		return fmt.Errorf("read the events of %s in %s: %w", f.record, f.table, err)
	}
	if evs != nil {
		rep.Events = evs
	}
	if rep.Goal == nil && len(rep.Events) == 0 {
		return fmt.Errorf("nothing known of record %s in %s: no goal record and no event in the last three days (is the key <source>:<external id>, e.g. hubspot/portal/62515:901?)",
			f.record, f.table)
	}
	if *f.output == outputJSON {
		return writeJSON(a.env.Stdout, rep)
	}
	printRecord(a.env.Stdout, &rep)
	return nil
}

func printRecord(w io.Writer, rep *RecordReport) {
	fmt.Fprintf(w, "record %s\n", rep.Record)
	if g := rep.Goal; g != nil {
		status := g.StatusName
		if status == "" {
			status = g.StatusID
		}
		fmt.Fprintf(w, "  gsid        %s\n", cell(g.Gsid))
		fmt.Fprintf(w, "  version     %s (last event applied: %s)\n", stamp(g.Version), cell(g.LastEventID))
		fmt.Fprintf(w, "  name        %s (status %s)\n", cell(g.Name), cell(status))
		fmt.Fprintf(w, "  updated     %s\n", stamp(g.UpdatedAt))
		if g.CreatePending {
			fmt.Fprintln(w, "  a create is pending: its outcome is not known yet")
		}
	} else {
		fmt.Fprintln(w, "  no goal record: none of its events has been applied")
	}
	fmt.Fprintln(w)
	if len(rep.Events) == 0 {
		fmt.Fprintln(w, "no events in the last three days")
		return
	}
	t := newTable(w, "CRM TIME", "EVENT", "TYPE", "OUTCOME", "STATE", "ATTEMPTS", "GSID", "ERROR CODE", "GAINSIGHT REQUEST", "RECORDED", "DETAIL")
	for _, e := range rep.Events {
		t.row(stamp(e.Time), e.EventID, e.Type, e.Outcome, e.Status, strconv.Itoa(e.Attempt), e.Gsid, e.ErrorCode, e.RequestID,
			stamp(e.UpdatedAt), e.Detail)
	}
	_ = t.flush()
}

// stamp writes a time in UTC to the millisecond, or "" when it is zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
