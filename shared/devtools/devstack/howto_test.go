package devstack_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
	"github.com/goalrelay/goalrelay/shared/state"
)

// words splits a shell command line as sh would for the forms
// GoalsFetchLine prints: words, single quotes, and "\" line continuations.
func words(line string) []string {
	line = strings.ReplaceAll(line, "\\\n", " ")
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case (r == ' ' || r == '\n') && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// The goals fetch line make run prints works against the simulator it
// names: the environment it sets and the command it runs, through goalctl.
func TestGoalsFetchLineWorks(t *testing.T) {
	sim := gainsighttest.NewServer(t)
	text := devstack.GoalsFetchLine(sim.URL, sim.AccessKey)
	i := strings.Index(text, "GAINSIGHT_BASE_URL=")
	if i < 0 {
		t.Fatalf("no command in %q", text)
	}
	env := map[string]string{}
	var args []string
	for _, w := range words(text[i:]) {
		if k, v, ok := strings.Cut(w, "="); ok && len(args) == 0 && strings.ToUpper(k) == k {
			env[k] = v
			continue
		}
		args = append(args, w)
	}
	if len(args) < 3 || strings.Join(args[:3], " ") != "go run ./cmd/goalctl" {
		t.Fatalf("command %q does not run goalctl", args)
	}
	var stdout, stderr bytes.Buffer
	cmd := goalctl.NewRootCommand(&goalctl.Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }})
	cmd.SetArgs(args[3:])
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "goal(s)") {
		t.Errorf("no goal count on stderr:\n%s", stderr.String())
	}
}

// The events line make run prints works against the state table it names:
// the environment it sets (AWS endpoint, region, throwaway credentials) and
// the command it runs, through goalctl, print the record's story.
func TestEventsLineWorks(t *testing.T) {
	m := awstest.NewMoto(t)
	db := dynamodb.NewFromConfig(awstest.Config(t, m))
	const table, record = "goalrelay-local-state", "hubspot/portal/62515:901"
	if err := state.CreateTable(t.Context(), db, table); err != nil {
		t.Fatal(err)
	}
	store := state.New(db, table)
	cl, err := store.Begin(t.Context(), "hubspot/portal/62515:e1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	st := state.Story{RecordKey: record, EventID: "e1", Source: "hubspot/portal/62515", Type: "goal.upserted",
		Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), Outcome: "done", Gsid: "1CG0LOCAL"}
	if err := store.Complete(t.Context(), cl, 0, st); err != nil {
		t.Fatal(err)
	}

	text := devstack.EventsLine(m.Endpoint, table, record)
	i := strings.Index(text, "AWS_ENDPOINT_URL_DYNAMODB=")
	if i < 0 {
		t.Fatalf("no command in %q", text)
	}
	var args []string
	for _, w := range words(text[i:]) {
		if k, v, ok := strings.Cut(w, "="); ok && len(args) == 0 && strings.ToUpper(k) == k {
			t.Setenv(k, v) // goalctl's AWS configuration reads the process environment
			continue
		}
		args = append(args, w)
	}
	if len(args) < 3 || strings.Join(args[:3], " ") != "go run ./cmd/goalctl" {
		t.Fatalf("command %q does not run goalctl", args)
	}
	var stdout, stderr bytes.Buffer
	code := goalctl.Run(t.Context(), args[3:], &goalctl.Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
	if code != goalctl.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, w := range []string{"record " + record, "e1", "done", "1CG0LOCAL"} {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, stdout.String())
		}
	}
}
