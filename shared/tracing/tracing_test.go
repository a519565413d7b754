package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/tracing"
)

const (
	root   = "1-5759e988-bd862e3fe1be46a994272793"
	header = "Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   tracing.Fields
		ok     bool
	}{
		{"lambda header", header, tracing.Fields{Root: root, Parent: "53995c3f42cd8ad8", Sampled: "1"}, true},
		{"any order, spaces, lineage", " Sampled=0 ; Lineage=1:a1b2c3d4:0;Parent=53995c3f42cd8ad8; Root=" + root,
			tracing.Fields{Root: root, Parent: "53995c3f42cd8ad8", Sampled: "0"}, true},
		{"root only", "Root=" + root, tracing.Fields{Root: root}, true},
		{"first root wins", "Root=" + root + ";Root=1-00000000-000000000000000000000000", tracing.Fields{Root: root}, true},
		{"malformed parent and sampled left out", "Root=" + root + ";Parent=xyz;Sampled=yes", tracing.Fields{Root: root}, true},
		{"no root", "Parent=53995c3f42cd8ad8;Sampled=1", tracing.Fields{}, false},
		{"root of the wrong version", "Root=2-5759e988-bd862e3fe1be46a994272793", tracing.Fields{}, false},
		{"root with upper-case hex", "Root=1-5759E988-bd862e3fe1be46a994272793", tracing.Fields{}, false},
		{"root too short", "Root=1-5759e988-bd862e3fe1be46a99427279", tracing.Fields{}, false},
		{"control byte", header + "\n", tracing.Fields{}, false},
		{"too long", header + ";X=" + strings.Repeat("a", tracing.MaxHeader), tracing.Fields{}, false},
		{"empty", "", tracing.Fields{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tracing.Parse(tt.header)
			if ok != tt.ok {
				t.Errorf("ok = %v, want %v", ok, tt.ok)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{header, "Root=" + root, "Root=;Parent=;Sampled=", ";;==;", "Root=1-" + strings.Repeat("f", 33)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got, ok := tracing.Parse(h)
		if !ok {
			if got != (tracing.Fields{}) {
				t.Fatalf("not ok but fields %+v", got)
			}
			return
		}
		if len(h) > tracing.MaxHeader || !strings.Contains(h, got.Root) {
			t.Fatalf("accepted %q with root %q", h, got.Root)
		}
		// What Parse returns is safe to log and to send on: the three
		// fields are fixed-size hex or a single character.
		if len(got.Root) != 35 || (got.Parent != "" && len(got.Parent) != 16) || len(got.Sampled) > 1 {
			t.Fatalf("fields %+v", got)
		}
		again, ok := tracing.Parse("Root=" + got.Root)
		if !ok || again.Root != got.Root {
			t.Fatalf("root %q does not parse again", got.Root)
		}
	})
}

func TestHeaderFromContextThenEnvironment(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	if h := tracing.Header(t.Context()); h != "" {
		t.Errorf("no header anywhere: %q", h)
	}
	other := "Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa;Sampled=1"
	t.Setenv(tracing.EnvHeader, other)
	if h := tracing.Header(t.Context()); h != other {
		t.Errorf("from the environment: %q, want %q", h, other)
	}
	ctx := tracing.WithHeader(t.Context(), header)
	if h := tracing.Header(ctx); h != header {
		t.Errorf("from the context: %q, want %q (the context's comes first)", h, header)
	}
	if id := tracing.TraceID(ctx); id != root {
		t.Errorf("TraceID = %q, want %q", id, root)
	}
	if id := tracing.CurrentTraceID(); id != "1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Errorf("CurrentTraceID = %q", id)
	}
	if h := tracing.Header(tracing.WithHeader(t.Context(), "Root=x\x00")); h != "" {
		t.Errorf("the context's header has a control byte: got %q, want none", h)
	}
}

func TestLogHandlerAddsTraceID(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	var buf bytes.Buffer
	log := slog.New(tracing.NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("function", "apply")
	log.InfoContext(tracing.WithHeader(context.Background(), header), "traced")
	log.InfoContext(context.Background(), "untraced")
	t.Setenv(tracing.EnvHeader, header)
	log.Info("no context, during an invocation")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{root, "", root}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		got, _ := rec[tracing.LogKey].(string)
		if got != want[i] || rec["function"] != "apply" {
			t.Errorf("line %d: traceId %q, want %q: %s", i, got, want[i], l)
		}
	}
}
