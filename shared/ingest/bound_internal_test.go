package ingest

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestOneLine(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven …"},
		{"a\nb", 10, `a\nb`},
		{"a\x01b\u2028", 20, `a\x01b\u2028`},
		{"bad \xff byte", 20, "bad \uFFFD byte"},
		{"ééééé", 8, "éé…"},      // é is 2 bytes: 4 + 3 ≤ 8
		{"ab\ncdefgh", 6, "ab…"}, // the escape is not split
	}
	for _, tc := range tests {
		if got := oneLine(tc.in, tc.n); got != tc.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// FuzzOneLine: whatever the input, the result is valid UTF-8 on one line,
// without control characters, within n bytes, and the input itself when
// that already was so.
func FuzzOneLine(f *testing.F) {
	f.Add("plain", 200)
	f.Add(strings.Repeat("é\n\x00\u2028", 100), 200)
	f.Add("\xff\xfe", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = len(cutMark) + int(uint(n)%2048)
		out := oneLine(s, n)
		if len(out) > n {
			t.Fatalf("oneLine(%q, %d) is %d bytes", s, n, len(out))
		}
		if !utf8.ValidString(out) || strings.ContainsFunc(out, func(r rune) bool {
			return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
		}) {
			t.Fatalf("oneLine(%q, %d) = %q", s, n, out)
		}
		if len(s) <= n && clean(s) && out != s {
			t.Fatalf("oneLine(%q, %d) = %q, changed a clean text", s, n, out)
		}
	})
}
