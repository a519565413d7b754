package xray

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/tracing"
)

// DaemonEnv is the variable in which Lambda gives the X-Ray daemon's
// address: "host:port", or "tcp:host:port udp:host:port".
const DaemonEnv = "AWS_XRAY_DAEMON_ADDRESS"

// Header is the line, newline included, that precedes every document sent
// to the daemon.
const Header = "{\"format\": \"json\", \"version\": 1}\n"

// MaxDatagram bounds a datagram, header included: a segment document may
// be up to 64 kB.
const MaxDatagram = 64 * 1024

// Bounds of the fields that could be long, applied before MaxDatagram.
const (
	maxURL     = 2048
	maxMessage = 1024
	maxName    = 200
)

// Subsegment is the document of one downstream call, sent on its own.
type Subsegment struct {
	Type      string  `json:"type"` // always "subsegment"
	ID        string  `json:"id"`
	TraceID   string  `json:"trace_id"`
	ParentID  string  `json:"parent_id"`
	Name      string  `json:"name"`
	Namespace string  `json:"namespace,omitempty"` // "remote" or "aws"
	StartTime float64 `json:"start_time"`          // epoch seconds
	EndTime   float64 `json:"end_time"`
	Error     bool    `json:"error,omitempty"`    // 4xx
	Throttle  bool    `json:"throttle,omitempty"` // 429
	Fault     bool    `json:"fault,omitempty"`    // 5xx, or no reply
	HTTP      *HTTP   `json:"http,omitempty"`
	AWS       *AWS    `json:"aws,omitempty"`
	Cause     *Cause  `json:"cause,omitempty"`
}

// HTTP is a subsegment's http object.
type HTTP struct {
	Request  *Request  `json:"request,omitempty"`
	Response *Response `json:"response,omitempty"`
}

// Request is what a subsegment records of a request.
type Request struct {
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"` // scheme, host and path: no query, no user info
}

// Response is what a subsegment records of a reply.
type Response struct {
	Status int `json:"status,omitempty"`
}

// AWS is a subsegment's aws object, for calls to AWS services.
type AWS struct {
	Operation string `json:"operation,omitempty"`
	Region    string `json:"region,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Cause records why a call got no reply.
type Cause struct {
	Exceptions []Exception `json:"exceptions"`
}

// Exception is one entry of a Cause.
type Exception struct {
	ID      string `json:"id"`
	Type    string `json:"type,omitempty"`
	Message string `json:"message,omitempty"`
	Remote  bool   `json:"remote,omitempty"`
}

// Parent is where a subsegment goes: the invocation's trace and segment.
type Parent struct {
	TraceID  string
	ParentID string
}

// ParentOf is the parent of the calls made with ctx: ok only when the
// invocation's trace header (tracing.Header) is sampled (Sampled=1) and
// names a Parent.
func ParentOf(ctx context.Context) (Parent, bool) {
	f, ok := tracing.Parse(tracing.Header(ctx))
	if !ok || f.Sampled != "1" || f.Parent == "" {
		return Parent{}, false
	}
	return Parent{TraceID: f.Root, ParentID: f.Parent}, true
}

// New is a subsegment of p named name, with a fresh id, from start to end.
func New(p Parent, name, namespace string, start, end time.Time) *Subsegment {
	return &Subsegment{
		Type: "subsegment", ID: NewID(), TraceID: p.TraceID, ParentID: p.ParentID,
		Name: cut(name, maxName), Namespace: namespace,
		StartTime: seconds(start), EndTime: seconds(end),
	}
}

// SetStatus sets the reply's status and the flags it implies.
func (s *Subsegment) SetStatus(status int) {
	if s.HTTP == nil {
		s.HTTP = &HTTP{}
	}
	s.HTTP.Response = &Response{Status: status}
	s.Error = status >= 400 && status < 500
	s.Throttle = status == 429
	s.Fault = status >= 500
}

// SetCause marks the call as failed without a reply: fault, with the
// error's type and message (the caller removes what must not be sent;
// the message is cut to a fixed length).
func (s *Subsegment) SetCause(errType, message string) {
	s.Fault = true
	s.Cause = &Cause{Exceptions: []Exception{{ID: NewID(), Type: cut(errType, maxName), Message: cut(message, maxMessage)}}}
}

// Datagram is the header line and s's document, at most MaxDatagram
// bytes: if s is longer, its URL and cause are left out, then its http and
// aws objects; the ids, name and times always remain.
func (s *Subsegment) Datagram() []byte {
	d := *s
	if d.HTTP != nil && d.HTTP.Request != nil {
		r := *d.HTTP.Request
		r.URL = cut(r.URL, maxURL)
		h := *d.HTTP
		h.Request = &r
		d.HTTP = &h
	}
	if b, ok := encode(&d); ok {
		return b
	}
	d.Cause = nil
	if d.HTTP != nil && d.HTTP.Request != nil {
		h := *d.HTTP
		h.Request = &Request{Method: cut(h.Request.Method, 16)}
		d.HTTP = &h
	}
	if b, ok := encode(&d); ok {
		return b
	}
	d.HTTP, d.AWS = nil, nil
	d.Name = cut(d.Name, 64)
	b, _ := encode(&d)
	return b
}

func encode(s *Subsegment) ([]byte, bool) {
	doc, err := json.Marshal(s)
	if err != nil {
		return nil, false
	}
	if len(Header)+len(doc) > MaxDatagram {
		return nil, false
	}
	return append([]byte(Header), doc...), true
}

// NewID is a random 64-bit id as 16 hex digits.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func seconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// cut shortens s to at most n bytes, not inside a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Emitter sends datagrams to the daemon. A nil Emitter sends nothing.
// It is safe for concurrent use.
type Emitter struct {
	conn net.Conn
}

// EmitterFromEnv is the Emitter for DaemonEnv's address, or nil (and no
// error) when getenv gives none.
func EmitterFromEnv(getenv func(string) string) (*Emitter, error) {
	addr := DaemonAddress(getenv(DaemonEnv))
	if addr == "" {
		return nil, nil
	}
	return NewEmitter(addr)
}

// DaemonAddress is the UDP address in a DaemonEnv value: the value itself
// ("host:port"), or its "udp:" part ("tcp:h:p udp:h:p"); "" when none.
func DaemonAddress(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, " ") {
		return strings.TrimPrefix(v, "udp:")
	}
	for f := range strings.FieldsSeq(v) {
		if a, ok := strings.CutPrefix(f, "udp:"); ok {
			return a
		}
	}
	return ""
}

// NewEmitter is an Emitter for the UDP address addr, which must be an IP
// address and port (no name to resolve on every send).
func NewEmitter(addr string) (*Emitter, error) {
	ua, err := udpAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("xray: daemon address %q: %w", addr, err)
	}
	conn, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, fmt.Errorf("xray: daemon address %q: %w", addr, err)
	}
	return &Emitter{conn: conn}, nil
}

// udpAddr is addr as a UDP address; a host name is refused, so that no
// lookup ever happens.
func udpAddr(addr string) (*net.UDPAddr, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(host) == nil {
		return nil, errors.New("not an IP address and port")
	}
	return net.ResolveUDPAddr("udp", addr)
}

// sendWait bounds a send: a datagram goes out at once unless the socket's
// buffer is full, and then is dropped after this long.
const sendWait = time.Millisecond

// Send sends s as one datagram; nothing if e is nil. A failure is
// ignored: tracing never fails a call, and delays it by at most sendWait.
func (e *Emitter) Send(s *Subsegment) {
	if e == nil || s == nil {
		return
	}
	_ = e.conn.SetWriteDeadline(time.Now().Add(sendWait))
	_, _ = e.conn.Write(s.Datagram())
}

// Close closes the socket.
func (e *Emitter) Close() error {
	if e == nil {
		return nil
	}
	return e.conn.Close()
}
