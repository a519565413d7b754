package devstack_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
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
