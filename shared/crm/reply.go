package crm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxReplyBytes bounds a reply body the clients read: a page of 100
// records with their properties fits many times over.
const MaxReplyBytes = 8 << 20

// maxMessage bounds an error message taken from a reply.
const maxMessage = 256

// ReadBody reads a reply's body through MaxReplyBytes; a longer body is an
// error.
func ReadBody(resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxReplyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the reply: %w", err)
	}
	if len(b) > MaxReplyBytes {
		return nil, fmt.Errorf("reply larger than %d bytes", MaxReplyBytes)
	}
	return b, nil
}

// Decode unmarshals a reply body into v, describing a failure without
// quoting the body.
func Decode(crm string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s API: undecodable reply (%d bytes): %s", crm, len(body), jsonProblem(err))
	}
	return nil
}

func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		return "a member has the wrong type (" + e.Value + ")"
	}
	return "invalid JSON"
}

// Message bounds a message from a reply: one line, at most 256 bytes, cut
// at a character boundary.
func Message(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Conn is what every client needs besides its credentials.
type Conn struct {
	Base *url.URL
	HTTP *http.Client
	Now  func() time.Time
}

// NewConn checks baseURL (defaultURL when empty) and fills in a client
// with a 20 s time-out and time.Now when hc or now is nil.
func NewConn(crmName, baseURL, defaultURL string, hc *http.Client, now func() time.Time) (Conn, error) {
	if baseURL == "" {
		baseURL = defaultURL
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Conn{}, fmt.Errorf("%s API: base URL %q is not an http(s) URL", crmName, baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return Conn{Base: u, HTTP: hc, Now: now}, nil
}
