package goalctl_test

import (
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/goalctl"
)

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"no command", nil, []string{"needs a subcommand", "Run 'goalctl --help'"}},
		{"unknown command", []string{"frobnicate"}, []string{`unknown command "frobnicate" for "goalctl"`}},
		{"suggestion", []string{"quot"}, []string{`unknown command "quot"`, "quota"}},
		{"unknown subcommand", []string{"dlq", "purge"}, []string{`unknown command "purge" for "goalctl dlq"`}},
		{"group without subcommand", []string{"goals"}, []string{"goalctl goals needs a subcommand: fetch"}},
		{"unknown flag", []string{"quota", "--tabel", "x"}, []string{"unknown flag: --tabel", "Run 'goalctl quota --help'"}},
		{"no DLQ and no stack", []string{"dlq", "list"}, []string{"no --dlq-url: give it, or --stack NAME (or set GOALRELAY_STACK)", "DeadLetterQueueUrl", "Run 'goalctl dlq list --help'"}},
		{"no queue and no stack", []string{"dlq", "redrive", "--dlq-url", "u"}, []string{"no --queue-url: give it, or --stack NAME", "EventsQueueUrl"}},
		{"selection with a move task", []string{"dlq", "redrive", "--dlq-url", "a", "--queue-url", "b", "--error-code", "8008", "--method", "move-task"}, []string{"--id and --error-code work with --method receive-send only"}},
		{"empty id", []string{"dlq", "redrive", "--dlq-url", "a", "--queue-url", "b", "--id", ""}, []string{"--id must not be empty"}},
		{"send without url and stack", []string{"send", "hubspot", "--secret", "clientSecret=x"}, []string{"no --url: give it, or --stack NAME", "WebhookBaseUrl"}},
		{"send bad output", []string{"send", "hubspot", "--url", "http://127.0.0.1:1/", "--secret", "clientSecret=x", "-o", "yaml"}, []string{`invalid --output "yaml"`}},
		{"backfill bad output", []string{"backfill", "--file", "x.csv", "--source", "hubspot", "--object", "deal", "--account", "1", "--dry-run", "-o", "xml"}, []string{`invalid --output "xml"`}},
		{"doctor bad output", []string{"doctor", "-o", "yaml"}, []string{`invalid --output "yaml"`}},
		{"send without source", []string{"send", "--url", "http://127.0.0.1:1/"}, []string{"send needs exactly one SOURCE"}},
		{"send unknown source", []string{"send", "zoho", "--url", "http://127.0.0.1:1/"}, []string{`unknown source "zoho"`, "hubspot"}},
		{"send without secret", []string{"send", "hubspot", "--url", "http://127.0.0.1:1/"}, []string{"no secret for hubspot"}},
		{"send bad url", []string{"send", "hubspot", "--url", "ftp://x", "--secret", "clientSecret=x"}, []string{"invalid --url"}},
		{"bad output", []string{"quota", "--table", "t", "-o", "yaml"}, []string{`invalid --output "yaml"`}},
		{"bad int", []string{"dlq", "list", "--dlq-url", "u", "--max", "many"}, []string{`invalid argument "many" for "--max"`}},
		{"bad max", []string{"dlq", "list", "--dlq-url", "u", "--max", "0"}, []string{"--max must be at least 1"}},
		{"redrive bad method", []string{"dlq", "redrive", "--dlq-url", "a", "--queue-url", "b", "--method", "teleport"}, []string{`invalid --method "teleport"`}},
		{"goals without tenant", []string{"goals", "fetch"}, []string{"no Gainsight tenant", "GAINSIGHT_BASE_URL"}},
		{"goals without key", []string{"goals", "fetch", "--base-url", "http://127.0.0.1:1"}, []string{"no Gainsight access key", "GAINSIGHT_ACCESS_KEY"}},
		{"goals bad where", []string{"goals", "fetch", "--base-url", "http://127.0.0.1:1", "--access-key", "k", "--where", "Name LIKE x"}, []string{`unknown operator "LIKE"`}},
		{"goals bad expression", []string{"goals", "fetch", "--base-url", "http://127.0.0.1:1", "--access-key", "k", "--where", "Name EQ x", "--expression", "A OR B"}, []string{`names "B"`}},
		{"backfill without queue", []string{"backfill", "--file", "x.csv", "--source", "hubspot", "--object", "deal", "--account", "1"}, []string{"--queue-url is required (or --stack NAME, or --dry-run)"}},
		{"backfill unknown format", []string{"backfill", "--file", "x.xlsx", "--source", "hubspot", "--object", "deal", "--account", "1", "--dry-run"}, []string{"cannot tell the format"}},
		{"backfill unknown source", []string{"backfill", "--file", "x.csv", "--source", "zoho", "--object", "deal", "--account", "1", "--dry-run"}, []string{`the mapping has no source "zoho"`}},
		{"quota without table", []string{"quota"}, []string{"no state table: give --table or --stack NAME, or set GOALRELAY_STACK or STATE_TABLE"}},
		{"events without what", []string{"events", "--table", "t"}, []string{"events needs --record KEY", "--id ID --source SOURCE"}},
		{"events id without source", []string{"events", "--id", "e1", "--table", "t"}, []string{"--id needs --source"}},
		{"events record and id", []string{"events", "--record", "k", "--id", "e1", "--source", "s", "--table", "t"}, []string{"--record or --id, not both"}},
		{"events without table", []string{"events", "--record", "k"}, []string{"no state table", "STATE_TABLE"}},
		{"events bad limit", []string{"events", "--record", "k", "--table", "t", "--limit", "0"}, []string{"--limit must be between 1 and 1000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &harness{}
			r := h.run(t, tt.args...)
			wantCode(t, r, goalctl.ExitUsage)
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q\n%s", w, r)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout should be empty on a usage error\n%s", r)
			}
		})
	}
}

// The real binary: exit codes reach the shell, help goes to stdout.
func TestBinaryUsage(t *testing.T) {
	r := execGoalctl(t, nil, "--help")
	wantCode(t, r, goalctl.ExitOK)
	for _, w := range []string{"Exit codes:", "send", "goals", "dlq", "backfill", "quota", "--region", "--profile"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("help lacks %q\n%s", w, r)
		}
	}
	r = execGoalctl(t, nil, "dlq", "redrive", "--help")
	wantCode(t, r, goalctl.ExitOK)
	for _, w := range []string{"StartMessageMoveTask", "--max-per-second", "--dlq-url", "--queue-url"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("redrive help lacks %q\n%s", w, r)
		}
	}

	r = execGoalctl(t, nil, "nosuchcommand")
	wantCode(t, r, goalctl.ExitUsage)
	if !strings.Contains(r.stderr, `unknown command "nosuchcommand"`) {
		t.Errorf("stderr: %s", r)
	}
	r = execGoalctl(t, nil, "backfill", "--source", "hubspot")
	wantCode(t, r, goalctl.ExitUsage)
	if !strings.Contains(r.stderr, `required flag(s) "account", "file", "object" not set`) {
		t.Errorf("stderr: %s", r)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	r := (&harness{}).run(t, "--version")
	wantCode(t, r, goalctl.ExitOK)
	if !strings.HasPrefix(r.stdout, "goalctl ") || strings.TrimSpace(strings.TrimPrefix(r.stdout, "goalctl ")) == "" {
		t.Errorf("--version printed %q", r.stdout)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := (&harness{}).run(t, "completion", shell)
		wantCode(t, r, goalctl.ExitOK)
		if !strings.Contains(r.stdout, "goalctl") || len(r.stdout) < 500 {
			t.Errorf("completion %s printed %d bytes", shell, len(r.stdout))
		}
	}
}
