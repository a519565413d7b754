// Package logbound bounds log lines: New wraps a slog.Handler so that no
// record it passes on can make a line longer than MaxLine (16 KiB), whatever
// the values logged. The ingest and apply functions wrap their Lambda log
// handler with it, so a value that quotes a request or a reply (an error
// text, a reason, an id) cannot flood the log, even where a call site
// forgot to bound it.
//
// Each text is cut at a character boundary and ends with "…" when cut;
// lengths are measured as the JSON encoding writes them (a control
// character counts 6 bytes, a quote 2), so escaping cannot push a line past
// the bound. The bounds: the message 256 bytes; an attribute key 64; a
// string value 1 KiB for error texts and reasons (keys "error", "err",
// "reason", or ending in "_error"), 256 for any other value (ids, names);
// non-string values other than numbers, booleans, durations and times are
// logged as their text, bounded the same way; at most 32 attributes per
// line (the count of the rest is logged as log_attrs_dropped), and at most
// 8 KiB of string values in all. The handler escapes what it writes (the
// JSON handler writes \n, \u0001 and so on), so a newline from a value
// never starts a new line.
//
// It imports only the standard library.
package logbound
