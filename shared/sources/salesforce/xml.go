package salesforce

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// XML namespaces of an Outbound Message.
const (
	nsSOAP     = "http://schemas.xmlsoap.org/soap/envelope/"
	nsOutbound = "http://soap.sforce.com/2005/09/outbound"
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	nsSObject  = "urn:sobject.enterprise.soap.sforce.com"
)

// maxDepth bounds element nesting. An Outbound Message needs six levels
// (Envelope, Body, notifications, Notification, sObject, field); the slack
// is for SOAP headers. Deeper input is rejected before it costs memory.
const maxDepth = 16

type message struct {
	orgID         string
	orgSeen       bool // orgID was read in full
	notifications []notification
}

type notification struct {
	id     string
	object string
	fields map[string]any
}

// errStop ends decoding early once Verify has what it needs.
var errStop = errors.New("stop")

type reader struct {
	dec *xml.Decoder
	// open holds the open elements, innermost last, and ns the namespace
	// declarations in scope, innermost last (see next).
	open []openElement
	ns   []nsDecl
	// fields is the number of fields of the previous sObject: the
	// notifications of a message usually carry the same ones.
	fields int
}

type openElement struct {
	name xml.Name // as written: prefix in Space
	ns   int      // len(ns) before the element's own declarations
}

type nsDecl struct{ prefix, uri string }

// xmlURL is the namespace of the reserved prefix xml.
const xmlURL = "http://www.w3.org/XML/1998/namespace"

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: salesforce: "+format, append([]any{webhook.ErrMalformed}, args...)...)
}

// next returns the next token, tracking and bounding the depth. Errors
// describe the problem by line only, never quoting the body.
//
// It reads with RawToken, which neither checks that end tags match nor
// resolves namespace prefixes, and does both itself the way Token does
// (Token's bookkeeping costs more than it needs to here): an end tag must
// repeat its start tag's name, prefix included; the names of a start
// element and its attributes get the namespace their prefix is bound to,
// an unprefixed element name the default namespace, and an unbound prefix
// stays as it is (no namespace URI can equal it: a prefix has no colon).
// Declarations end with the element that makes them. End tags keep the
// name as written: nothing here reads it.
func (r *reader) next() (xml.Token, error) {
	tok, err := r.dec.RawToken()
	if err != nil {
		var se *xml.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return nil, malformed("XML ends early")
		case errors.As(err, &se):
			return nil, malformed("invalid XML at line %d", se.Line)
		}
		return nil, malformed("invalid XML")
	}
	switch t := tok.(type) {
	case xml.StartElement:
		if len(r.open) >= maxDepth {
			return nil, malformed("XML nested deeper than %d elements", maxDepth)
		}
		r.open = append(r.open, openElement{name: t.Name, ns: len(r.ns)})
		for _, a := range t.Attr {
			switch {
			case a.Name.Space == "xmlns":
				r.ns = append(r.ns, nsDecl{prefix: a.Name.Local, uri: a.Value})
			case a.Name.Space == "" && a.Name.Local == "xmlns":
				r.ns = append(r.ns, nsDecl{prefix: "", uri: a.Value})
			}
		}
		t.Name.Space = r.space(t.Name, true)
		for i := range t.Attr {
			t.Attr[i].Name.Space = r.space(t.Attr[i].Name, false)
		}
		return t, nil
	case xml.EndElement:
		if len(r.open) == 0 || r.open[len(r.open)-1].name != t.Name {
			line, _ := r.dec.InputPos()
			return nil, malformed("invalid XML at line %d", line)
		}
		r.ns = r.ns[:r.open[len(r.open)-1].ns]
		r.open = r.open[:len(r.open)-1]
	case xml.Directive:
		return nil, malformed("XML directives (DOCTYPE, ENTITY) are not allowed")
	}
	return tok, nil
}

// space returns the namespace of a name as written (prefix in n.Space),
// as Token's translation gives it.
func (r *reader) space(n xml.Name, element bool) string {
	switch {
	case n.Space == "xmlns", n.Space == "" && (!element || n.Local == "xmlns"):
		return n.Space
	case n.Space == "xml":
		return xmlURL
	}
	for i := len(r.ns) - 1; i >= 0; i-- {
		if r.ns[i].prefix == n.Space {
			return r.ns[i].uri
		}
	}
	return n.Space
}

// child returns the next child element of the current element, or
// ok=false at its end tag. Character data between elements must be
// white space.
func (r *reader) child() (start xml.StartElement, ok bool, err error) {
	for {
		tok, err := r.next()
		if err != nil {
			return start, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, true, nil
		case xml.EndElement:
			return start, false, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return start, false, malformed("unexpected text between elements")
			}
		}
	}
}

// skip consumes the rest of the element whose start tag was just read.
func (r *reader) skip() error {
	for d := 1; d > 0; {
		tok, err := r.next()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			d++
		case xml.EndElement:
			d--
		}
	}
	return nil
}

// text reads the character content of the element whose start tag was
// just read, up to its end tag. Child elements are not allowed.
func (r *reader) text() (string, error) {
	var s string
	var b *strings.Builder
	for {
		tok, err := r.next()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			switch {
			case b != nil:
				b.Write(t)
			case s == "":
				s = string(t)
			default:
				b = &strings.Builder{}
				b.WriteString(s)
				b.Write(t)
			}
		case xml.StartElement:
			return "", malformed("element %s has child elements where a value belongs", strconv.Quote(limit(t.Name.Local)))
		case xml.EndElement:
			if b != nil {
				return b.String(), nil
			}
			return s, nil
		}
	}
}

// limit shortens a name from the body before it goes into an error.
func limit(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func is(n xml.Name, space, local string) bool { return n.Local == local && n.Space == space }

// decode reads an Outbound Message. With orgOnly it stops at the
// OrganizationId. The message is returned with the error too, as far as
// it was read.
func decode(body []byte, orgOnly bool) (*message, error) {
	r := &reader{dec: xml.NewDecoder(bytes.NewReader(body)), open: make([]openElement, 0, maxDepth), ns: make([]nsDecl, 0, 8)}
	r.dec.Strict = true
	m := &message{}

	// Prolog: XML declaration, comments and white space before the root.
	var root xml.StartElement
	for {
		tok, err := r.next()
		if err != nil {
			return m, err
		}
		if t, ok := tok.(xml.StartElement); ok {
			root = t
			break
		}
		if t, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(t)) != 0 {
			return m, malformed("text before the SOAP envelope")
		}
	}
	if !is(root.Name, nsSOAP, "Envelope") {
		return m, malformed("not a SOAP 1.1 envelope")
	}
	err := r.envelope(m, orgOnly)
	if errors.Is(err, errStop) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	// Epilog: only comments and white space may follow the root.
	for {
		tok, err := r.dec.RawToken()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return m, malformed("invalid XML after the SOAP envelope")
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return m, malformed("text after the SOAP envelope")
			}
		default:
			return m, malformed("content after the SOAP envelope")
		}
	}
}

func (r *reader) envelope(m *message, orgOnly bool) error {
	seenBody := false
	for {
		el, ok, err := r.child()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch {
		case is(el.Name, nsSOAP, "Header"):
			if err := r.skip(); err != nil {
				return err
			}
		case is(el.Name, nsSOAP, "Body") && !seenBody:
			seenBody = true
			if err := r.body(m, orgOnly); err != nil {
				return err
			}
		default:
			return malformed("unexpected element in the SOAP envelope")
		}
	}
	if !seenBody {
		return malformed("SOAP envelope without a Body")
	}
	return nil
}

func (r *reader) body(m *message, orgOnly bool) error {
	seen := false
	for {
		el, ok, err := r.child()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if seen || !is(el.Name, nsOutbound, "notifications") {
			return malformed("SOAP Body is not one Outbound Message notifications element")
		}
		seen = true
		if err := r.notifications(m, orgOnly); err != nil {
			return err
		}
	}
	if !seen {
		return malformed("SOAP Body without notifications")
	}
	return nil
}

func (r *reader) notifications(m *message, orgOnly bool) error {
	seenOrg := false
	for {
		el, ok, err := r.child()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch {
		case is(el.Name, nsOutbound, "OrganizationId"):
			if seenOrg {
				return malformed("more than one OrganizationId")
			}
			seenOrg = true
			if m.orgID, err = r.text(); err != nil {
				return err
			}
			m.orgID = strings.TrimSpace(m.orgID)
			m.orgSeen = true
			if orgOnly {
				return errStop
			}
		case is(el.Name, nsOutbound, "Notification") && !orgOnly:
			n, err := r.notification()
			if err != nil {
				return fmt.Errorf("notification %d: %w", len(m.notifications), err)
			}
			m.notifications = append(m.notifications, n)
		default: // ActionId, SessionId, EnterpriseUrl, PartnerUrl, future members
			if err := r.skip(); err != nil {
				return err
			}
		}
	}
}

func (r *reader) notification() (notification, error) {
	var n notification
	seenID, seenObj := false, false
	for {
		el, ok, err := r.child()
		if err != nil {
			return n, err
		}
		if !ok {
			break
		}
		switch {
		case is(el.Name, nsOutbound, "Id") && !seenID:
			seenID = true
			if n.id, err = r.text(); err != nil {
				return n, err
			}
			n.id = strings.TrimSpace(n.id)
		case is(el.Name, nsOutbound, "sObject") && !seenObj:
			seenObj = true
			if err := r.sObject(&n, el); err != nil {
				return n, err
			}
		case is(el.Name, nsOutbound, "Id"), is(el.Name, nsOutbound, "sObject"):
			return n, malformed("Notification with more than one %s", el.Name.Local)
		default:
			if err := r.skip(); err != nil {
				return n, err
			}
		}
	}
	if !seenObj {
		return n, malformed("Notification without sObject")
	}
	return n, nil
}

func (r *reader) sObject(n *notification, start xml.StartElement) error {
	for _, a := range start.Attr {
		if is(a.Name, nsXSI, "type") {
			t := a.Value
			if i := strings.LastIndexByte(t, ':'); i >= 0 {
				t = t[i+1:]
			}
			n.object = t
		}
	}
	n.fields = make(map[string]any, max(r.fields, 8))
	for {
		el, ok, err := r.child()
		if err != nil {
			return err
		}
		if !ok {
			r.fields = len(n.fields)
			return nil
		}
		name := el.Name.Local
		if _, dup := n.fields[name]; dup {
			return malformed("sObject field %s appears twice", strconv.Quote(limit(name)))
		}
		s, err := r.text()
		if err != nil {
			return err
		}
		if isNil(el) {
			n.fields[name] = nil
		} else {
			n.fields[name] = s
		}
	}
}

func isNil(el xml.StartElement) bool {
	for _, a := range el.Attr {
		if is(a.Name, nsXSI, "nil") {
			v := strings.TrimSpace(a.Value)
			return v == "true" || v == "1"
		}
	}
	return false
}
