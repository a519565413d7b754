package tracing

import (
	"context"
	"log/slog"
	"os"
	"strings"
)

// SQSAttribute is the SQS message system attribute that carries a trace
// header from producer to consumer (SendMessage and SendMessageBatch
// MessageSystemAttributes; an SQS event record's Attributes).
const SQSAttribute = "AWSTraceHeader"

// EnvHeader is the variable in which the Lambda runtime client gives the
// current invocation's trace header when it runs one invocation at a time.
const EnvHeader = "_X_AMZN_TRACE_ID"

// LogKey is the attribute NewLogHandler adds: the invocation's trace id.
const LogKey = "traceId"

// contextKey is the key under which aws-lambda-go stores the invocation's
// trace header in the handler's context: a plain string, so it is matched
// here as the same plain string.
const contextKey = "x-amzn-trace-id"

// MaxHeader is the longest header Header and Parse accept; a longer one,
// or one with a byte outside printable ASCII, is ignored (a Lambda header
// is about 100 bytes).
const MaxHeader = 512

// WithHeader returns ctx carrying header as the invocation's trace header,
// under the key aws-lambda-go uses, for callers outside Lambda and tests.
func WithHeader(ctx context.Context, header string) context.Context {
	//lint:ignore SA1029 the key must be the plain string aws-lambda-go uses
	return context.WithValue(ctx, contextKey, header) //nolint:staticcheck
}

// Header is the trace header of the invocation ctx belongs to: the
// context's (as aws-lambda-go sets it), else EnvHeader's, else "". A header
// longer than MaxHeader or with a byte outside printable ASCII counts as
// none.
func Header(ctx context.Context) string {
	if ctx != nil {
		if h, ok := ctx.Value(contextKey).(string); ok && h != "" {
			return clean(h)
		}
	}
	return clean(os.Getenv(EnvHeader))
}

// TraceID is the trace id (the header's Root) of the invocation ctx
// belongs to, or "" when there is no valid header.
func TraceID(ctx context.Context) string {
	f, _ := Parse(Header(ctx))
	return f.Root
}

// CurrentTraceID is TraceID for code that has no context (the metric
// lines): the id in EnvHeader, set per invocation.
func CurrentTraceID() string {
	f, _ := Parse(clean(os.Getenv(EnvHeader)))
	return f.Root
}

func clean(h string) string {
	if len(h) > MaxHeader {
		return ""
	}
	for i := 0; i < len(h); i++ {
		if h[i] < ' ' || h[i] > '~' {
			return ""
		}
	}
	return h
}

// Fields are the parts of a trace header goalrelay uses.
type Fields struct {
	// Root is the trace id: "1-" + 8 hex digits (the start time, unix
	// seconds) + "-" + 24 hex digits.
	Root string
	// Parent is the id of the segment the header was sent from: 16 hex
	// digits, or "" when absent.
	Parent string
	// Sampled is "1" (sampled), "0" (not), "?" (the receiver decides) or
	// "" when absent.
	Sampled string
}

// Parse reads a trace header (`Root=...;Parent=...;Sampled=...`, fields in
// any order, spaces around them ignored, unknown fields skipped). ok is
// false, and Fields empty, unless the header has a well-formed Root and at
// most MaxHeader printable ASCII bytes; a malformed Parent or Sampled is
// left out. The header may come from any SQS producer, so Parse trusts
// nothing in it.
func Parse(header string) (f Fields, ok bool) {
	if header == "" || clean(header) == "" {
		return Fields{}, false
	}
	for part := range strings.SplitSeq(header, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			continue
		}
		switch k {
		case "Root":
			if f.Root == "" && validRoot(v) {
				f.Root = v
			}
		case "Parent":
			if f.Parent == "" && len(v) == 16 && isHex(v) {
				f.Parent = v
			}
		case "Sampled":
			if f.Sampled == "" && (v == "0" || v == "1" || v == "?") {
				f.Sampled = v
			}
		}
	}
	if f.Root == "" {
		return Fields{}, false
	}
	return f, true
}

// validRoot: "1-" + 8 hex + "-" + 24 hex.
func validRoot(v string) bool {
	return len(v) == 35 && v[0] == '1' && v[1] == '-' && v[10] == '-' && isHex(v[2:10]) && isHex(v[11:])
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// NewLogHandler wraps next so that every record logged with a context of an
// invocation that has a trace (Header) carries its trace id as LogKey;
// records logged without one (at init, say) also get it from EnvHeader
// when an invocation runs. Wrap it inside the line-bounding handler and
// outside the Lambda one:
//
//	slog.New(logbound.New(tracing.NewLogHandler(lambdacontext.NewLogHandler())))
func NewLogHandler(next slog.Handler) slog.Handler { return &handler{next: next} }

type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if id := TraceID(ctx); id != "" {
		r.AddAttrs(slog.String(LogKey, id))
	}
	return h.next.Handle(ctx, r)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{next: h.next.WithAttrs(as)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name)}
}
