package logbound

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The bounds, in bytes as JSON-encoded.
const (
	// MaxLine is the longest line a record can make through a JSON or text
	// handler wrapped by New (with the time, level and the few fields the
	// Lambda handler adds).
	MaxLine = 16 << 10
	// MaxMessage bounds the message.
	MaxMessage = 256
	// MaxKey bounds an attribute key with the names of the groups it is
	// in (as a text handler writes it: "group.key"). A group whose name
	// would leave less than 16 bytes for its members' keys is inlined.
	MaxKey = 64
	// MaxError bounds an error text or reason.
	MaxError = 1 << 10
	// MaxValue bounds any other string value.
	MaxValue = 256
	// MaxAttrs is the most attributes (group members counted one by one,
	// and groups themselves) a line carries.
	MaxAttrs = 32
	// MaxStrings bounds the string values of a line taken together.
	MaxStrings = 8 << 10
)

// DroppedKey is the attribute that counts the attributes dropped past
// MaxAttrs.
const DroppedKey = "log_attrs_dropped"

// cutMark ends a text that was cut.
const cutMark = "…"

// New returns a handler that bounds every record and passes it on to h.
func New(h slog.Handler) slog.Handler {
	return &handler{next: h}
}

type handler struct {
	next slog.Handler
	// used is what the attributes and groups of WithAttrs and WithGroup
	// took of the line's budget.
	used budget
}

// budget is what a line has used of its bounds.
type budget struct {
	attrs   int // attributes and groups
	strings int // encoded bytes of string values
	dropped int
	prefix  int // encoded bytes of the enclosing group names, each with a dot
}

// minKey is the room a group leaves its members' keys.
const minKey = 16

// group returns name bounded to fit the key prefix, and the budget's
// prefix grown by it; "" when the group is inlined.
func (b *budget) group(name string) (string, int) {
	room := MaxKey - minKey - b.prefix - 1
	if name == "" || room < 1 {
		return "", b.prefix
	}
	name = Cut(name, room)
	if name == "" || name == cutMark {
		return "", b.prefix
	}
	return name, b.prefix + Cost(name) + 1
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	b := h.used
	out := slog.NewRecord(r.Time, r.Level, Cut(r.Message, MaxMessage), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a, ok := b.attr(a); ok {
			out.AddAttrs(a)
		}
		return true
	})
	if b.dropped > 0 {
		out.AddAttrs(slog.Int(DroppedKey, b.dropped))
	}
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	b := h.used
	kept := make([]slog.Attr, 0, len(as))
	for _, a := range as {
		if a, ok := b.attr(a); ok {
			kept = append(kept, a)
		}
	}
	b.dropped = 0 // counted where they were dropped: not at every line
	return &handler{next: h.next.WithAttrs(kept), used: b}
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	b := h.used
	name, prefix := b.group(name)
	if name == "" || b.attrs >= MaxAttrs {
		return h // inlined: the members land outside the group
	}
	b.attrs++
	b.prefix = prefix
	return &handler{next: h.next.WithGroup(name), used: b}
}

// attr bounds a, or reports that it is dropped.
func (b *budget) attr(a slog.Attr) (slog.Attr, bool) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return a, false // slog drops empty attributes itself
	}
	if b.attrs >= MaxAttrs {
		b.dropped++
		return a, false
	}
	b.attrs++
	if a.Value.Kind() == slog.KindGroup {
		name, prefix := b.group(a.Key)
		outer := b.prefix
		a.Key, b.prefix = name, prefix
		var kept []slog.Attr
		for _, m := range a.Value.Group() {
			if m, ok := b.attr(m); ok {
				kept = append(kept, m)
			}
		}
		b.prefix = outer
		a.Value = slog.GroupValue(kept...)
		return a, true
	}
	a.Key = Cut(a.Key, MaxKey-b.prefix)
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = b.text(a.Key, a.Value.String())
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = b.text(a.Key, v.Error())
		case fmt.Stringer:
			a.Value = b.text(a.Key, v.String())
		default:
			a.Value = b.text(a.Key, fmt.Sprintf("%+v", v))
		}
	}
	// Numbers, booleans, durations and times have a bounded length.
	return a, true
}

// text bounds the string value of key.
func (b *budget) text(key, s string) slog.Value {
	n := MaxValue
	if isError(key) {
		n = MaxError
	}
	n = min(n, MaxStrings-b.strings)
	s = Cut(s, n)
	b.strings += Cost(s)
	return slog.StringValue(s)
}

// isError reports whether key names an error text or a reason.
func isError(key string) bool {
	k := strings.ToLower(key)
	return k == "error" || k == "err" || k == "reason" || strings.HasSuffix(k, "_error")
}

// Cost is the length of s as a JSON string's contents or a quoted text
// value: the larger of the two for each character.
func Cost(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeCost(r, size)
		i += size
	}
	return n
}

func runeCost(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size == 1:
		return 6 // \ufffd
	case r == '"' || r == '\\':
		return 2
	case r < 0x20 || r == 0x7f:
		return 6 // \u0001
	case r < utf8.RuneSelf:
		return 1
	case r == '\u2028' || r == '\u2029' || !strconv.IsPrint(r):
		return 10 // \U0001xxxx at worst
	default:
		return size
	}
}

// Cut returns s when its Cost is at most n, and otherwise its longest
// prefix ending at a character boundary whose Cost with "…" is at most n,
// followed by "…". A negative or tiny n gives "" or the mark alone.
func Cut(s string, n int) string {
	if len(s) <= n && Cost(s) <= n {
		return s // fast path: every byte costs at least 1
	}
	cost, fit := 0, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		cost += runeCost(r, size)
		if cost > n {
			if n < len(cutMark) {
				return ""
			}
			return s[:fit] + cutMark
		}
		i += size
		if cost <= n-len(cutMark) {
			fit = i
		}
	}
	return s
}
