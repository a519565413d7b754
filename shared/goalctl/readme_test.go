package goalctl_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/goalctl"
)

// shellWords splits one command line as sh would for the forms the README
// uses: words, single and double quotes (kept literal: $VAR stays as it
// is), and it stops at an unquoted pipe, ;, && or a comment.
func shellWords(line string) []string {
	var out []string
	var cur strings.Builder
	in := false
	var quote rune
	flush := func() {
		if in {
			out = append(out, cur.String())
			cur.Reset()
			in = false
		}
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			flush()
		case (r == '#' && !in) || r == '|' || r == ';' || r == '&' || r == '>':
			flush()
			return out
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	flush()
	return out
}

// readmeCommands returns the goalctl command lines of the README's code
// blocks (go run ./cmd/goalctl ... too), as arguments after "goalctl",
// each with the line it came from.
func readmeCommands(t *testing.T) (cmds [][]string, lines []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?ms)^```[a-z]*\n(.*?)^```").FindAllStringSubmatch(string(data), -1)
	for _, b := range blocks {
		text := strings.ReplaceAll(b[1], "\\\n", " ")
		for _, line := range strings.Split(text, "\n") {
			w := shellWords(line)
			for len(w) > 0 && regexp.MustCompile(`^[A-Z_]+=`).MatchString(w[0]) {
				w = w[1:] // VAR=value before the command
			}
			switch {
			case len(w) >= 1 && w[0] == "goalctl":
				w = w[1:]
			case len(w) >= 3 && w[0] == "go" && w[1] == "run" && w[2] == "./cmd/goalctl":
				w = w[3:]
			default:
				continue
			}
			cmds = append(cmds, w)
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	return cmds, lines
}

// Every goalctl command line the README shows names a command that exists,
// with arguments it accepts and flags it has: each runs through the real
// binary with --help appended.
func TestReadmeCommandLines(t *testing.T) {
	cmds, lines := readmeCommands(t)
	if len(cmds) < 15 {
		t.Fatalf("found only %d goalctl command lines in the README's code blocks", len(cmds))
	}
	t.Logf("%d goalctl command lines in the README", len(cmds))
	seen := map[string]bool{}
	for i, args := range cmds {
		// The command and its arguments, as cobra resolves them.
		root := goalctl.NewRootCommand(&goalctl.Env{})
		cmd, rest, err := root.Find(args)
		if err != nil {
			t.Errorf("README: %s\n  %v", lines[i], err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("README: %s\n  %v", lines[i], err)
			continue
		}
		if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
			t.Errorf("README: %s\n  %s: %v", lines[i], cmd.CommandPath(), err)
			continue
		}
		seen[cmd.CommandPath()] = true
		r := execGoalctl(t, nil, append(args, "--help")...)
		if r.code != goalctl.ExitOK || !strings.Contains(r.stdout, "Usage:\n  "+cmd.CommandPath()) {
			t.Errorf("README: %s\n  with --help: %s", lines[i], r)
		}
	}
	// The README shows the operations commands in their --stack short form.
	for _, want := range []string{"goalctl dlq list", "goalctl dlq redrive", "goalctl quota", "goalctl backfill", "goalctl send"} {
		if !seen[want] {
			t.Errorf("the README's code blocks show no %s", want)
		}
	}
}

// The README check itself: a flag or a subcommand that does not exist is
// caught, in the forms the README writes.
func TestReadmeCheckCatchesMistakes(t *testing.T) {
	for _, line := range []string{
		"goalctl dlq redrive --stack goalrelay --error-kode 8008   # a misspelt flag",
		"goalctl dlq purge --stack goalrelay",
		"goalctl quota --stack goalrelay --tabel x | jq .",
	} {
		args := shellWords(line)[1:]
		root := goalctl.NewRootCommand(&goalctl.Env{})
		cmd, rest, err := root.Find(args)
		if err == nil {
			err = cmd.ParseFlags(rest)
		}
		if err == nil {
			err = cmd.ValidateArgs(cmd.Flags().Args())
		}
		r := execGoalctl(t, nil, append(args, "--help")...)
		if err == nil && r.code == goalctl.ExitOK {
			t.Errorf("%q passes the README check", line)
		}
	}
	if got := strings.Join(shellWords(`goalctl goals fetch --where 'Name CONTAINS a b' -o json | jq "x" # c`), "|"); got != "goalctl|goals|fetch|--where|Name CONTAINS a b|-o|json" {
		t.Errorf("shellWords: %s", got)
	}
}
