package ingest_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/mapping"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{"QUEUE_URL": "https://sqs/q.fifo", "WEBHOOK_SECRETS_ID": "goalrelay/webhooks"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantErrs []string // each must appear in the error
		wantMax  int
	}{
		{"minimal", full, nil, ingest.DefaultMaxBody},
		{"max body", with("MAX_BODY_BYTES", "2048"), nil, 2048},
		{"nothing set", map[string]string{}, []string{"QUEUE_URL", "WEBHOOK_SECRETS_ID"}, 0},
		{"no queue", with("QUEUE_URL", " "), []string{"QUEUE_URL is not set"}, 0},
		{"bad max body", with("MAX_BODY_BYTES", "1MB"), []string{"MAX_BODY_BYTES"}, 0},
		{"negative max body", with("MAX_BODY_BYTES", "-1"), []string{"MAX_BODY_BYTES"}, 0},
		{"base url without scheme", with("PUBLIC_BASE_URL", "hooks.example.com"), []string{"PUBLIC_BASE_URL"}, 0},
		{"future skew", with("MAX_FUTURE_SKEW", "2m"), nil, ingest.DefaultMaxBody},
		{"bad future skew", with("MAX_FUTURE_SKEW", "5"), []string{"MAX_FUTURE_SKEW"}, 0},
		{"negative future skew", with("MAX_FUTURE_SKEW", "-5m"), []string{"MAX_FUTURE_SKEW"}, 0},
		{"future skew over a day", with("MAX_FUTURE_SKEW", "48h"), []string{"MAX_FUTURE_SKEW"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ingest.ConfigFromEnv(env(tt.env))
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.MaxBody != tt.wantMax || c.QueueURL != full["QUEUE_URL"] || c.WebhookSecretsID != full["WEBHOOK_SECRETS_ID"] {
					t.Errorf("config = %+v", c)
				}
				wantSkew := ingest.DefaultMaxFutureSkew
				if v := tt.env["MAX_FUTURE_SKEW"]; v != "" {
					wantSkew, _ = time.ParseDuration(v)
				}
				if c.MaxFutureSkew != wantSkew {
					t.Errorf("MaxFutureSkew = %v, want %v", c.MaxFutureSkew, wantSkew)
				}
				return
			}
			if !errors.Is(err, ingest.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			for _, w := range tt.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadMapper(t *testing.T) {
	if m, err := (ingest.Config{}).LoadMapper(); err != nil || m == nil {
		t.Fatalf("defaults: %v", err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(bad, []byte("source: hubspot\nobjects:\n  deal:\n    type: goal\n    fields:\n      Name: {expr: 'fields.[[['}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ingest.Config{MappingFile: bad}.LoadMapper()
	if !errors.Is(err, ingest.ErrConfig) || !errors.Is(err, mapping.ErrInvalidConfig) {
		t.Fatalf("err = %v, want ErrConfig and mapping.ErrInvalidConfig", err)
	}
	if !regexp.MustCompile(regexp.QuoteMeta(bad) + `:\d+`).MatchString(err.Error()) {
		t.Errorf("error %q does not name the file and line", err)
	}
	if _, err := (ingest.Config{MappingFile: filepath.Join(dir, "missing.yaml")}).LoadMapper(); !errors.Is(err, ingest.ErrConfig) {
		t.Errorf("missing file: %v", err)
	}
}
