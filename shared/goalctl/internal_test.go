package goalctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

func TestRedriveExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		failSend int // send number that fails, 0 for none
		code     int
		stdout   string
	}{
		{"all moved", 0, ExitOK, "moved 4 message(s)"},
		{"stopped part-way", 3, ExitPartial, "moved 2 message(s)"},
		{"nothing moved", 1, ExitFailure, "moved 0 message(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSQS(4)
			if tt.failSend > 0 {
				f.sendFail[tt.failSend] = errors.New("AccessDenied")
			}
			var out, errb bytes.Buffer
			a := &app{
				env: (&Env{Stdout: &out, Stderr: &errb, AWSConfig: func(context.Context, AWSOptions) (aws.Config, error) {
					return aws.Config{Region: "us-east-1"}, nil
				}}).withDefaults(),
				newSQS: func(aws.Config) sqsAPI { return f },
			}
			output := outputTable
			err := runRedrive(t.Context(), a, &redriveFlags{dlqURL: "http://sqs/1/dlq.fifo", queueURL: "http://sqs/1/q.fifo", method: MethodReceiveSend, wait: true, output: &output})
			code := ExitOK
			if err != nil {
				code = exitCode(t.Context(), &runError{err: err})
			}
			if code != tt.code || !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("exit %d (want %d), stdout %q, err %v", code, tt.code, out.String(), err)
			}
			if tt.code == ExitPartial && !strings.Contains(err.Error(), "redrive stopped after 2 message(s)") {
				t.Errorf("err %v", err)
			}
		})
	}
}

func TestExitCodeOfInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if c := exitCode(ctx, &runError{err: partialErrorf("stopped: %w", context.Canceled)}); c != ExitInterrupted {
		t.Errorf("interrupted: %d", c)
	}
	if c := exitCode(t.Context(), &runError{err: partialErrorf("x")}); c != ExitPartial {
		t.Errorf("partial: %d", c)
	}
	if c := exitCode(t.Context(), errors.New("unknown command")); c != ExitUsage {
		t.Errorf("cobra error: %d", c)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, in := range []any{
		"2026-11-27T10:00:00Z", "2026-11-27T11:00:00+01:00", "2026-11-27T10:00:00.000+0000", "2026-11-27 10:00:00",
		"1795773600000", "1795773600", float64(1795773600000), "/Date(1795773600000)/", " 2026-11-27T10:00:00.000Z ",
	} {
		got, err := parseTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%v) = %s, %v", in, got, err)
		}
	}
	if got, err := parseTime("2026-11-27"); err != nil || !got.Equal(want.Truncate(24*time.Hour)) {
		t.Errorf("date: %s, %v", got, err)
	}
	for _, in := range []any{"yesterday", "", true, map[string]any{}} {
		if _, err := parseTime(in); err == nil {
			t.Errorf("parseTime(%v) accepted", in)
		}
	}
}

func TestApplyTime(t *testing.T) {
	tests := []struct {
		calls, perMinute, perDay int
		want                     time.Duration
	}{
		{1, 90, 45000, time.Second},
		{90, 90, 45000, time.Minute},
		{18000, 90, 45000, 200 * time.Minute},
		{45000, 90, 45000, 500 * time.Minute},
		{45001, 90, 45000, 24*time.Hour + time.Second},
		{100000, 90, 45000, 48*time.Hour + 6667*time.Second},
	}
	for _, tt := range tests {
		if got := applyTime(tt.calls, tt.perMinute, tt.perDay); got != tt.want {
			t.Errorf("applyTime(%d, %d, %d) = %s, want %s", tt.calls, tt.perMinute, tt.perDay, got, tt.want)
		}
	}
	// 9000 creates and 900 fetches (one per batch of ten).
	if s := etaLine(9000, 90, 45000); !strings.Contains(s, "about 1h50m0s if every goal is new (1.1 calls each") || !strings.Contains(s, "1h40m0s if they all exist") {
		t.Errorf("eta %q", s)
	}
	for n, want := range map[int]int{1: 2, 9: 10, 10: 11, 11: 13, 300: 330} {
		if got := newGoalCalls(n); got != want {
			t.Errorf("newGoalCalls(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestParseCondition(t *testing.T) {
	tests := []struct {
		in   string
		want string // field op values
	}{
		{"Name EQ Reach 80% seat adoption", "Name EQ [Reach 80% seat adoption]"},
		{"Name contains 'adoption'", "Name CONTAINS [adoption]"},
		{"Name = x", "Name EQ [x]"},
		{"DueDate IS_NULL", "DueDate IS_NULL []"},
		{"StatusId IN a, b ,c", "StatusId IN [a b c]"},
		{"Score >= 5", "Score GTE [5]"},
		{"Name > b", "Name GT [b]"},
	}
	for _, tt := range tests {
		c, err := parseCondition(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if got := fmt.Sprint(c.FieldName, " ", c.Operator, " ", c.Value); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"Name", "Name LIKE x", "Name EQ", "DueDate IS_NULL x", "Id IN"} {
		var ue *UsageError
		if _, err := parseCondition(bad); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

// fakeCFN serves one stack's outputs and counts the calls.
type fakeCFN struct {
	name    string
	outputs map[string]string
	calls   int
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.calls++
	if aws.ToString(in.StackName) != f.name {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + aws.ToString(in.StackName) + " does not exist"}
	}
	st := cfntypes.Stack{StackName: in.StackName}
	for k, v := range f.outputs {
		st.Outputs = append(st.Outputs, cfntypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{st}}, nil
}

func TestFromStack(t *testing.T) {
	newApp := func(stack string, env map[string]string) (*app, *fakeCFN) {
		f := &fakeCFN{name: "gr", outputs: map[string]string{OutputQueueURL: "https://q", OutputDLQURL: "https://dlq", OutputStateTable: "gr-state"}}
		a := &app{
			env: (&Env{Getenv: func(k string) string { return env[k] }, AWSConfig: func(context.Context, AWSOptions) (aws.Config, error) {
				return aws.Config{Region: "eu-west-1"}, nil
			}}).withDefaults(),
			stack:  stack,
			newCFN: func(aws.Config) cfnAPI { return f },
		}
		return a, f
	}

	// Two values from the stack: one DescribeStacks.
	a, f := newApp("gr", nil)
	var dlq, queue string
	if err := a.require(t.Context(), &dlq, "dlq-url", OutputDLQURL); err != nil {
		t.Fatal(err)
	}
	if err := a.require(t.Context(), &queue, "queue-url", OutputQueueURL); err != nil {
		t.Fatal(err)
	}
	if dlq != "https://dlq" || queue != "https://q" || f.calls != 1 {
		t.Errorf("dlq %q, queue %q, %d calls", dlq, queue, f.calls)
	}

	// A flag's value wins, and costs no call.
	a, f = newApp("gr", nil)
	dlq = "https://mine"
	if err := a.require(t.Context(), &dlq, "dlq-url", OutputDLQURL); err != nil || dlq != "https://mine" || f.calls != 0 {
		t.Errorf("explicit: %q, %v, %d calls", dlq, err, f.calls)
	}

	// GOALRELAY_STACK when --stack is not given; --stack over it.
	a, _ = newApp("", map[string]string{EnvStack: "gr"})
	dlq = ""
	if err := a.require(t.Context(), &dlq, "dlq-url", OutputDLQURL); err != nil || dlq != "https://dlq" {
		t.Errorf("from %s: %q, %v", EnvStack, dlq, err)
	}
	a, _ = newApp("other", map[string]string{EnvStack: "gr"})
	dlq = ""
	if err := a.require(t.Context(), &dlq, "dlq-url", OutputDLQURL); err == nil || !strings.Contains(err.Error(), "stack other does not exist in region eu-west-1") {
		t.Errorf("--stack over %s: %q, %v", EnvStack, dlq, err)
	}

	// No stack, no value: a usage error; no call.
	a, f = newApp("", nil)
	dlq = ""
	var ue *UsageError
	if err := a.require(t.Context(), &dlq, "dlq-url", OutputDLQURL); !errors.As(err, &ue) || f.calls != 0 {
		t.Errorf("nothing: %v, %d calls", err, f.calls)
	}

	// An output the stack lacks.
	a, f = newApp("gr", nil)
	delete(f.outputs, OutputStateTable)
	table := ""
	if err := a.require(t.Context(), &table, "table", OutputStateTable); err == nil || errors.As(err, &ue) ||
		!strings.Contains(err.Error(), "stack gr has no output StateTableName (it has: DeadLetterQueueUrl, EventsQueueUrl)") {
		t.Errorf("missing output: %v", err)
	}
}
