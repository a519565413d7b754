package goalctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
)

// Exit codes of goalctl.
const (
	// ExitOK: the command did what was asked.
	ExitOK = 0
	// ExitFailure: the operation failed (an AWS or Gainsight error, a
	// non-2xx answer to send, an unreadable file).
	ExitFailure = 1
	// ExitUsage: the command line is wrong (unknown command or flag, a
	// missing required flag or argument, an invalid flag value).
	ExitUsage = 2
	// ExitPartial: the operation stopped part-way (some messages moved or
	// some records queued, then an error). What was done is reported.
	ExitPartial = 3
	// ExitInterrupted: stopped by Ctrl-C (SIGINT) or SIGTERM.
	ExitInterrupted = 130
)

// ExitError carries an exit code with the error that caused it.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks a command-line mistake (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

func partialErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitPartial, Err: fmt.Errorf(format, args...)}
}

// AWSOptions are the global AWS flags.
type AWSOptions struct {
	Region  string
	Profile string
}

// Env is what a command sees of the outside world. The zero value of each
// field is replaced by the real thing (os streams, os.Getenv, time.Now,
// http.DefaultClient, the SDK's default configuration chain).
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (GAINSIGHT_BASE_URL, ...).
	Getenv func(string) string
	// Now is the clock used for signatures, backfill times and quota windows.
	Now func() time.Time
	// HTTPClient sends webhooks and Gainsight calls.
	HTTPClient *http.Client
	// AWSConfig loads the AWS configuration; the default is
	// config.LoadDefaultConfig with the region and profile flags.
	AWSConfig func(ctx context.Context, o AWSOptions) (aws.Config, error)
	// Progress forces the backfill progress bar on (true) or off (false);
	// nil shows it when stderr is a terminal.
	Progress *bool
}

func (e *Env) withDefaults() *Env {
	c := *e
	if c.Stdin == nil {
		c.Stdin = os.Stdin
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	if c.Getenv == nil {
		c.Getenv = os.Getenv
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.AWSConfig == nil {
		c.AWSConfig = loadAWSConfig
	}
	return &c
}

func loadAWSConfig(ctx context.Context, o AWSOptions) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}

// app holds the parsed global flags and the environment of one run.
type app struct {
	env *Env
	aws AWSOptions
	// stack is --stack; outputs its outputs, read once when needed.
	stack   string
	outputs map[string]string
	// newSQS and newCFN replace the SQS and CloudFormation clients in tests.
	newSQS func(aws.Config) sqsAPI
	newCFN func(aws.Config) cfnAPI
}

func (a *app) awsConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := a.env.AWSConfig(ctx, a.aws)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, usageErrorf("no AWS region: use --region or set AWS_REGION")
	}
	return cfg, nil
}

const rootLong = `goalctl is the operator CLI of goalrelay, the service that keeps Gainsight
Customer Goals in step with CRMs (webhook -> ingest -> SQS FIFO -> apply ->
Gainsight; permanent failures in the DLQ).

--stack NAME (or GOALRELAY_STACK) reads the events queue, the DLQ, the
state table and the webhook URL from the outputs of the goalrelay
CloudFormation stack NAME (EventsQueueUrl, DeadLetterQueueUrl,
StateTableName, WebhookBaseUrl); a flag given explicitly (--queue-url,
--dlq-url, --table, --url) wins over the stack.

AWS access uses the SDK's usual configuration: --region/--profile or
AWS_REGION/AWS_PROFILE, credentials from the environment or ~/.aws, and
endpoints from AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB,
AWS_ENDPOINT_URL_CLOUDFORMATION (how the local stack points it at moto_server).

Secrets (webhook secrets, the Gainsight access key) are never printed.

Exit codes:
  0    success
  1    the operation failed (AWS or Gainsight error, non-2xx answer, bad file)
  2    usage error (unknown command or flag, missing flag or argument, bad value)
  3    partially done (some messages moved or records queued, then a failure;
       the report says how far it got)
  130  interrupted (Ctrl-C)`

// NewRootCommand builds the goalctl command tree for env.
func NewRootCommand(env *Env) *cobra.Command {
	a := &app{env: env.withDefaults()}
	root := &cobra.Command{
		Use:   "goalctl",
		Short: "Operate goalrelay: send test webhooks, query goals, trace events, drain the DLQ, backfill, check the quota",
		Long:  rootLong,
		Example: `  export GOALRELAY_STACK=goalrelay    # or --stack goalrelay on each command
  goalctl send hubspot --url http://127.0.0.1:8080/webhooks/hubspot --secrets testevents/secrets.json
  goalctl goals fetch --where 'Name CONTAINS adoption' --output json
  goalctl dlq list
  goalctl dlq redrive --error-code INVALID_STATUS_NAME
  goalctl backfill --file deals.csv --source hubspot --object deal --account 62515
  goalctl reconcile --source hubspot/portal/62515 --since 72h
  goalctl quota --stack goalrelay -o json
  goalctl events --record hubspot/portal/62515:901`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          groupArgs,
		RunE:          groupRunE,
	}
	root.SetIn(a.env.Stdin)
	root.SetOut(a.env.Stdout)
	root.SetErr(a.env.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.aws.Region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	pf.StringVar(&a.aws.Profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or default)")
	pf.StringVar(&a.stack, "stack", "", "goalrelay CloudFormation stack whose outputs give the queue, DLQ, table and webhook URL (default $"+EnvStack+")")
	// goalctl completion bash|zsh|fish|powershell prints the completion
	// script; source names and flags complete.
	root.Version = Version()
	root.SetVersionTemplate("goalctl {{.Version}}\n")

	root.AddCommand(
		newSendCommand(a),
		newGoalsCommand(a),
		newDLQCommand(a),
		newBackfillCommand(a),
		newReconcileCommand(a),
		newQuotaCommand(a),
		newDoctorCommand(a),
		newEventsCommand(a),
	)
	markRunErrors(root)
	return root
}

// groupArgs refuses arguments to a command that only groups
// subcommands: they are a mistyped subcommand.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &UsageError{Err: errors.New(msg)}
}

// groupRunE is the RunE of a command that only groups subcommands.
func groupRunE(cmd *cobra.Command, _ []string) error {
	names := ""
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			if names != "" {
				names += ", "
			}
			names += c.Name()
		}
	}
	return usageErrorf("%s needs a subcommand: %s", cmd.CommandPath(), names)
}

// runError marks an error returned by a command's RunE: anything else
// that cobra returns (unknown command, required flag, argument count)
// happened before the command ran and is a usage error.
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

func markRunErrors(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := run(cmd, args); err != nil {
				return &runError{err: err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
}

// Run executes goalctl with args (without the program name) and returns
// the exit code. Errors are written to env.Stderr as "goalctl: ...";
// usage errors add a pointer to --help.
func Run(ctx context.Context, args []string, env *Env) int {
	root := NewRootCommand(env)
	stderr := env.withDefaults().Stderr
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(ctx, err)
	fmt.Fprintf(stderr, "goalctl: %v\n", err)
	if code == ExitUsage {
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

func exitCode(ctx context.Context, err error) int {
	var ue *UsageError
	var ee *ExitError
	var re *runError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case ctx.Err() != nil:
		return ExitInterrupted
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &re):
		return ExitFailure
	default:
		return ExitUsage
	}
}

// Version is goalctl's version: the module version it was built from
// (go install ...@v1.2.3), else the VCS revision the build recorded, else
// "devel".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}
