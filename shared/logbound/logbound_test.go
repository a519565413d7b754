package logbound_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goalrelay/goalrelay/shared/logbound"
)

// handlers are the two handlers a Lambda function may log through
// (AWS_LAMBDA_LOG_FORMAT JSON or text), writing into buf.
func handlers(buf *bytes.Buffer) map[string]slog.Handler {
	o := &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true}
	return map[string]slog.Handler{
		"json": slog.NewJSONHandler(buf, o),
		"text": slog.NewTextHandler(buf, o),
	}
}

// checkLines checks that buf holds want lines, none over MaxLine, each a
// JSON object for the JSON handler.
func checkLines(t *testing.T, kind string, buf *bytes.Buffer, want int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != want {
		t.Errorf("%s: %d lines for %d records", kind, len(lines), want)
	}
	longest := 0
	defer func() { t.Logf("%s: longest line %d bytes", kind, longest) }()
	for i, l := range lines {
		longest = max(longest, len(l))
		if len(l) > logbound.MaxLine {
			t.Errorf("%s: line %d is %d bytes: %.300s...", kind, i, len(l), l)
		}
		if kind == "json" && !json.Valid([]byte(l)) {
			t.Errorf("%s: line %d is not JSON: %.300s...", kind, i, l)
		}
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

type valuer struct{ s string }

func (v valuer) LogValue() slog.Value { return slog.StringValue(v.s) }

// TestLinesBounded logs the worst records one can write and checks that no
// line exceeds MaxLine.
func TestLinesBounded(t *testing.T) {
	huge := strings.Repeat("x\n\x01\"\\\u2028é\xff", 200_000)
	bigKey := strings.Repeat("k\x00", 10_000)
	for kind := range handlers(new(bytes.Buffer)) {
		t.Run(kind, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(logbound.New(handlers(&buf)[kind]))
			many := make([]any, 0, 200)
			for i := range 100 {
				many = append(many, slog.String(bigKey, huge), slog.Int("n", i))
			}
			nested := slog.String("leaf", huge)
			for range 50 {
				nested = slog.Group(bigKey, nested, slog.String("error", huge))
			}
			with := log
			for range 40 {
				with = with.With(slog.String("error", huge), slog.String(bigKey, huge)).WithGroup(bigKey)
			}
			records := []func(){
				func() { log.Info(huge) },
				func() { log.Error("many", many...) },
				func() { log.Warn("nested", nested) },
				func() { with.Info(huge, many...) },
				func() {
					log.Info("any", slog.Any("error", errors.New(huge)), slog.Any("s", stringer{huge}),
						slog.Any("v", valuer{huge}), slog.Any("m", map[string]string{"a": huge}), slog.Any("b", []byte(huge)))
				},
				func() { log.With(many...).With(many...).Info(huge, many...) },
			}
			for _, r := range records {
				r()
			}
			checkLines(t, kind, &buf, len(records))
		})
	}
}

// TestSmallRecordsUnchanged: a record within the bounds is written as the
// wrapped handler writes it.
func TestSmallRecordsUnchanged(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rec := func() slog.Record {
		r := slog.NewRecord(now, slog.LevelWarn, "webhook rejected", 0)
		r.AddAttrs(slog.String("source", "hubspot"), slog.Int("status", 400), slog.Duration("d", time.Second),
			slog.String("reason", "malformed request: line 1\nline 2"), slog.Group("g", slog.Bool("ok", true)),
			slog.Any("error", errors.New("boom")), slog.Time("at", now))
		return r
	}
	var plain, bounded bytes.Buffer
	h1 := slog.NewJSONHandler(&plain, nil).WithAttrs([]slog.Attr{slog.String("fn", "ingest")}).WithGroup("req")
	h2 := logbound.New(slog.NewJSONHandler(&bounded, nil)).WithAttrs([]slog.Attr{slog.String("fn", "ingest")}).WithGroup("req")
	if err := h1.Handle(t.Context(), rec()); err != nil {
		t.Fatal(err)
	}
	if err := h2.Handle(t.Context(), rec()); err != nil {
		t.Fatal(err)
	}
	if plain.String() != bounded.String() {
		t.Errorf("bounded:\n%s\nplain:\n%s", bounded.String(), plain.String())
	}
}

func TestBoundsPerValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logbound.New(slog.NewJSONHandler(&buf, nil)))
	long := strings.Repeat("a", 5000)
	log.Info("m", slog.String("error", long), slog.String("event_id", long))
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if e := got["error"].(string); len(e) > logbound.MaxError || !strings.HasSuffix(e, "…") {
		t.Errorf("error is %d bytes", len(e))
	}
	if id := got["event_id"].(string); len(id) > logbound.MaxValue || !strings.HasSuffix(id, "…") {
		t.Errorf("event_id is %d bytes", len(id))
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven …"},
		{"ééééé", 8, "éé…"},
		{"a\nbcdefghij", 10, "a\n…"}, // \n counts 6: the most an encoding writes for it
		{"\"\"\"\"\"\"", 10, "\"\"\"…"},
		{"abc", 2, ""},
	}
	for _, tc := range tests {
		if got := logbound.Cut(tc.in, tc.n); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// FuzzLine logs a record built from arbitrary text through the JSON
// handler: one line, valid JSON, at most MaxLine bytes.
func FuzzLine(f *testing.F) {
	f.Add("msg", "key", "value", uint8(3), uint8(1))
	f.Add(strings.Repeat("\x00", 300), strings.Repeat("k", 100), strings.Repeat("\u2028\xff", 800), uint8(200), uint8(20))
	f.Fuzz(func(t *testing.T, msg, key, value string, n, depth uint8) {
		var buf bytes.Buffer
		log := slog.New(logbound.New(slog.NewJSONHandler(&buf, nil)))
		value = strings.Repeat(value, 1+int(n)%64)
		attrs := make([]any, 0, int(n))
		for range int(n) {
			attrs = append(attrs, slog.String(key, value))
		}
		for range int(depth) % 40 {
			log = log.WithGroup(key).With(slog.String(key, value))
		}
		log.Info(msg, attrs...)
		checkLines(t, "json", &buf, 1)
		if !utf8.Valid(buf.Bytes()) {
			t.Fatalf("line is not UTF-8")
		}
	})
}
