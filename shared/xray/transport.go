package xray

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Transport is an http.RoundTripper that records each request made in a
// sampled invocation as a subsegment named Name (namespace "remote") and
// sends it with Emitter. Base sends the requests (nil:
// http.DefaultTransport). With a nil Emitter it only passes requests on.
type Transport struct {
	Base    http.RoundTripper
	Emitter *Emitter
	Name    string
}

// RoundTrip sends req with Base and records it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if t.Emitter == nil {
		return base.RoundTrip(req)
	}
	p, ok := ParentOf(req.Context())
	if !ok {
		return base.RoundTrip(req)
	}
	start := time.Now()
	resp, err := base.RoundTrip(req)
	s := New(p, t.Name, "remote", start, time.Now())
	s.HTTP = &HTTP{Request: &Request{Method: req.Method, URL: PlainURL(req.URL)}}
	record(s, req, resp, err)
	t.Emitter.Send(s)
	return resp, err
}

// record sets s's status and flags from a reply, or its cause from err.
func record(s *Subsegment, req *http.Request, resp *http.Response, err error) {
	if err != nil {
		s.SetCause(fmt.Sprintf("%T", err), Scrub(err.Error(), req))
		return
	}
	if resp != nil {
		s.SetStatus(resp.StatusCode)
	}
}

// PlainURL is u's scheme, host and path: no user info, query or fragment.
func PlainURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return v.String()
}

// minSecret is the shortest header value Scrub removes; shorter ones
// (a method, "1") are no secret and would only mangle the text.
const minSecret = 8

// Scrub is msg without req's header values (the access key, a signature)
// and query, each replaced by "[redacted]".
func Scrub(msg string, req *http.Request) string {
	if req == nil {
		return msg
	}
	var olds []string
	// The query first: it may hold a header's value, and would no longer
	// be found once that value was replaced.
	if req.URL != nil && req.URL.RawQuery != "" {
		olds = append(olds, req.URL.RawQuery)
	}
	for _, vs := range req.Header {
		for _, v := range vs {
			if len(v) >= minSecret {
				olds = append(olds, v)
			}
		}
	}
	for _, o := range olds {
		msg = strings.ReplaceAll(msg, o, "[redacted]")
	}
	return msg
}
