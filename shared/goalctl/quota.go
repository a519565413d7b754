package goalctl

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/spf13/cobra"

	"github.com/goalrelay/goalrelay/shared/quota"
)

// Environment variables the quota command falls back to (the apply
// function's names).
const (
	EnvStateTable     = "STATE_TABLE"
	EnvCallsPerMinute = "GAINSIGHT_CALLS_PER_MINUTE"
	EnvCallsPerDay    = "GAINSIGHT_CALLS_PER_DAY"
)

type quotaFlags struct {
	table     string
	perMinute int
	perDay    int
	output    *string
}

// QuotaWindow is one window of the quota report.
type QuotaWindow struct {
	Limit  int       `json:"limit"`
	Used   int       `json:"used"`
	Left   int       `json:"left"`
	Resets time.Time `json:"resets"`
}

// QuotaReport is what goalctl quota prints.
type QuotaReport struct {
	Table  string      `json:"table"`
	At     time.Time   `json:"at"`
	Minute QuotaWindow `json:"minute"`
	Day    QuotaWindow `json:"day"`
}

func newQuotaCommand(a *app) *cobra.Command {
	f := &quotaFlags{}
	cmd := &cobra.Command{
		Use:   "quota (--table STATE_TABLE | --stack NAME) [--calls-per-minute 90] [--calls-per-day 45000]",
		Short: "Show what is left of the Gainsight call budget in the current minute and day",
		Long: `Quota reads the limiter's counters in the state table (the ones every apply
consumer takes a unit from before each Gainsight call) and prints, for the
current minute and UTC day, the budget, what is used, what is left and when
the window resets. While a Gainsight 429's Retry-After runs, the minute shows
nothing left until it ends.

--calls-per-minute and --calls-per-day must be the apply function's
GAINSIGHT_CALLS_PER_MINUTE and GAINSIGHT_CALLS_PER_DAY (read from the
environment when set); --table defaults to the stack's StateTableName
(--stack, GOALRELAY_STACK), else $STATE_TABLE.`,
		Example: `  goalctl quota --stack goalrelay
  goalctl quota --table goalrelay-state --calls-per-minute 60 --calls-per-day 30000 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQuota(cmd, a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.table, "table", "", "DynamoDB state table (default: the stack's "+OutputStateTable+", else $"+EnvStateTable+")")
	fl.IntVar(&f.perMinute, "calls-per-minute", quota.DefaultPerMinute, "the limiter's budget per minute (default $"+EnvCallsPerMinute+" or 90)")
	fl.IntVar(&f.perDay, "calls-per-day", quota.DefaultPerDay, "the limiter's budget per UTC day (default $"+EnvCallsPerDay+" or 45000)")
	f.output = addOutputFlag(cmd)
	return cmd
}

// intFromEnv applies an environment default to an unset int flag.
func intFromEnv(cmd *cobra.Command, a *app, flag, env string, v *int) error {
	if cmd.Flags().Changed(flag) {
		return nil
	}
	s := a.env.Getenv(env)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return usageErrorf("%s=%q is not a whole number", env, s)
	}
	*v = n
	return nil
}

func runQuota(cmd *cobra.Command, a *app, f *quotaFlags) error {
	ctx := cmd.Context()
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	if err := intFromEnv(cmd, a, "calls-per-minute", EnvCallsPerMinute, &f.perMinute); err != nil {
		return err
	}
	if err := intFromEnv(cmd, a, "calls-per-day", EnvCallsPerDay, &f.perDay); err != nil {
		return err
	}
	if f.perMinute < 1 || f.perDay < 1 {
		return usageErrorf("--calls-per-minute and --calls-per-day must be at least 1")
	}
	if err := a.stateTable(ctx, &f.table); err != nil {
		return err
	}
	rep, err := readQuota(ctx, a, f)
	if err != nil {
		return err
	}
	if *f.output == outputJSON {
		return writeJSON(a.env.Stdout, rep)
	}
	t := newTable(a.env.Stdout, "WINDOW", "LIMIT", "USED", "LEFT", "RESETS", "IN")
	for _, w := range []struct {
		name string
		w    QuotaWindow
	}{{"minute", rep.Minute}, {"day", rep.Day}} {
		in := w.w.Resets.Sub(rep.At).Round(time.Second)
		t.row(w.name, strconv.Itoa(w.w.Limit), strconv.Itoa(w.w.Used), strconv.Itoa(w.w.Left), w.w.Resets.Format(time.RFC3339), in.String())
	}
	return t.flush()
}

func readQuota(ctx context.Context, a *app, f *quotaFlags) (*QuotaReport, error) {
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	now := a.env.Now().UTC()
	lim := quota.New(dynamodb.NewFromConfig(cfg), f.table, func(o *quota.Options) {
		o.PerMinute, o.PerDay = f.perMinute, f.perDay
		o.Now = func() time.Time { return now }
	})
	r, err := lim.Remaining(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the quota counters in %s: %w", f.table, err)
	}
	return &QuotaReport{
		Table:  f.table,
		At:     now,
		Minute: QuotaWindow{Limit: f.perMinute, Used: f.perMinute - r.MinuteLeft, Left: r.MinuteLeft, Resets: r.MinuteResets.UTC()},
		Day:    QuotaWindow{Limit: f.perDay, Used: f.perDay - r.DayLeft, Left: r.DayLeft, Resets: r.DayResets.UTC()},
	}, nil
}

// stateTable fills an empty *table: the stack's table (--stack,
// GOALRELAY_STACK), else $STATE_TABLE; with neither it is a usage error.
func (a *app) stateTable(ctx context.Context, table *string) error {
	if err := a.fromStack(ctx, table, OutputStateTable); err != nil {
		return err
	}
	if *table == "" {
		*table = a.env.Getenv(EnvStateTable)
	}
	if *table == "" {
		return usageErrorf("no state table: give --table or --stack NAME, or set %s or %s", EnvStack, EnvStateTable)
	}
	return nil
}
