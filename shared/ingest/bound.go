package ingest

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on the text of a failure, which may quote the request: a parse or
// mapping error can carry a value of any length from the body.
const (
	// maxReason bounds the reason sent back to the CRM, in bytes, cut
	// marker included.
	maxReason = 200
	// maxLogError bounds the error text of a log line, in bytes.
	maxLogError = 1024
)

// answerReason is the reason of the answer: reason on one line, at most
// maxReason bytes.
func answerReason(err error, code int) string {
	return oneLine(reason(err, code), maxReason)
}

// logReason is the reason of the "webhook rejected" log line: reason on
// one line, at most maxLogError bytes.
func logReason(err error, code int) string {
	return oneLine(reason(err, code), maxLogError)
}

// logError is the error text of the "webhook failed" log line, on one
// line, at most maxLogError bytes.
func logError(err error) string {
	return oneLine(err.Error(), maxLogError)
}

// cutMark ends a text that was cut.
const cutMark = "…"

// oneLine returns s with every control character (newlines included, and
// the line and paragraph separators) written as a Go escape such as \n or
// \x01, and every invalid UTF-8 byte as U+FFFD, cut to at most n bytes at
// a character boundary; a cut text ends with "…", within the n bytes.
func oneLine(s string, n int) string {
	if len(s) <= n && clean(s) {
		return s
	}
	var b strings.Builder
	fit := 0 // the output's length at the last character boundary that leaves room for the mark
	i := 0
	for i < len(s) && b.Len() <= n {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r) // an invalid byte gives U+FFFD
		}
		i += size
		if b.Len() <= n-len(cutMark) {
			fit = b.Len()
		}
	}
	if i == len(s) && b.Len() <= n {
		return b.String()
	}
	return b.String()[:fit] + cutMark
}

// clean reports whether s is valid UTF-8 without control characters or
// line separators.
func clean(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}
