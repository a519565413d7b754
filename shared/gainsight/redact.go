package gainsight

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// Bounds on the server-supplied text an error keeps. A reply may be up to
// Options.MaxResponseBytes long, and its members are copied into errors
// that end up in log lines and dead-letter attributes.
const (
	// maxMessage bounds APIError.Message and RateLimitError.Message, in
	// bytes (plus the cut marker).
	maxMessage = 1024
	// maxField bounds the other strings an error copies from a reply
	// (Code, Description, RequestID, Exception, Path, the names in Usage).
	maxField = 256
	// maxSnippet bounds the part of a reply body quoted in a message.
	maxSnippet = 200
	// minKeyPiece is the shortest piece of the access key that is
	// redacted wherever it appears: a key cut by a bound (ours, or a
	// server's or proxy's) leaves a piece of it at the edge of the text.
	// Keys are long random strings, so 8 bytes of one do not occur by
	// chance.
	minKeyPiece = 8
	// redacted replaces the access key, or a piece of it.
	redacted = "[redacted]"
	// cutMark ends a text that was cut.
	cutMark = "…"
)

// redactor removes the access key, and every piece of it of minKeyPiece
// bytes or more, from text. The zero redactor (no key) only bounds.
type redactor struct {
	key   string
	w     int                 // window: min(minKeyPiece, len(key))
	grams map[string]struct{} // every substring of key of w bytes
}

func newRedactor(key string) *redactor {
	r := &redactor{key: key}
	if key == "" {
		return r
	}
	r.w = min(minKeyPiece, len(key))
	r.grams = make(map[string]struct{}, len(key)-r.w+1)
	for i := 0; i+r.w <= len(key); i++ {
		r.grams[key[i:i+r.w]] = struct{}{}
	}
	return r
}

// text returns s with the whole key replaced, then every run of bytes
// that is a substring of the key at least w long (a key cut at either
// end, wherever the cut was made) replaced as well.
func (r *redactor) text(s string) string {
	if r.key == "" || len(s) < r.w {
		return s
	}
	s = strings.ReplaceAll(s, r.key, redacted)
	var b strings.Builder
	last := 0
	for i := 0; i+r.w <= len(s); {
		if _, ok := r.grams[s[i:i+r.w]]; !ok {
			i++
			continue
		}
		// Extend the run while each next window is a piece of the key.
		j := i + r.w
		for j < len(s) {
			if _, ok := r.grams[s[j+1-r.w:j+1]]; !ok {
				break
			}
			j++
		}
		b.WriteString(s[last:i])
		b.WriteString(redacted)
		last, i = j, j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// bounded redacts s and bounds it to n bytes (plus the cut marker): the
// whole key is redacted before the cut, so the cut cannot split it, and
// what the cut leaves is redacted again, so a piece of the key that a
// server left at either end is not kept either.
func (r *redactor) bounded(s string, n int) string {
	if r.key != "" {
		s = strings.ReplaceAll(s, r.key, redacted)
	}
	s, cut := cutUTF8(s, n)
	s = r.text(s)
	if cut {
		s += cutMark
	}
	return s
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does
// not end inside a UTF-8 sequence, and whether it is shorter than s.
func cutUTF8(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// snippet is the start of a body for an error message, on one line, with
// the access key redacted before the cut and any piece of it after.
func snippet(b []byte, key string) string {
	r := newRedactor(key)
	s := strings.TrimSpace(string(b))
	if key != "" {
		s = strings.ReplaceAll(s, key, redacted)
	}
	s, cut := cutUTF8(s, maxSnippet)
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	s = r.text(s)
	if cut {
		s += cutMark
	}
	return s
}

// redact removes the access key, and any piece of it, from every field of
// an error that holds server-supplied text (the body, errorCode,
// requestId, message, errorDesc, errorInfo, a header), in case a server or
// proxy ever echoes the request headers; and bounds each field, since the
// reply's size is bounded only by Options.MaxResponseBytes. It returns
// err.
func redact(err error, key string) error {
	r := newRedactor(key)
	switch e := err.(type) {
	case *APIError:
		e.Code = r.bounded(e.Code, maxField)
		e.Description = r.bounded(e.Description, maxField)
		e.RequestID = r.bounded(e.RequestID, maxField)
		e.Exception = r.bounded(e.Exception, maxField)
		e.Path = r.bounded(e.Path, maxField)
		e.Message = r.bounded(e.Message, maxMessage)
		if len(e.Info) > 0 {
			if s := r.text(string(e.Info)); s != string(e.Info) {
				if json.Valid([]byte(s)) {
					e.Info = json.RawMessage(s)
				} else {
					e.Info = json.RawMessage(`"` + redacted + `"`)
				}
			}
		}
		if u := e.Usage; u != nil {
			for i := range u.UsageInLayouts {
				u.UsageInLayouts[i] = r.bounded(u.UsageInLayouts[i], maxField)
			}
			for i := range u.UsageInGoals {
				u.UsageInGoals[i].Gsid = r.bounded(u.UsageInGoals[i].Gsid, maxField)
				u.UsageInGoals[i].Name = r.bounded(u.UsageInGoals[i].Name, maxField)
			}
		}
	case *RateLimitError:
		e.Message = r.bounded(e.Message, maxMessage)
		e.RequestID = r.bounded(e.RequestID, maxField)
	case *TransportError:
		// The standard library quotes a malformed reply's first line in
		// its error; the cause is replaced when that quotes the key.
		if e.Err != nil && key != "" {
			msg := e.Err.Error()
			if s := r.text(msg); s != msg {
				e.Err = errors.New(r.bounded(s, maxMessage))
			}
		}
	}
	return err
}
