package dynamics

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// decode.go reads a RemoteExecutionContext in one pass over the body:
// syntax is checked, the members Parse needs are decoded into the typed
// structs of parse.go and attribute values are flattened as they are read.
// Nothing is scanned twice, except a Target whose "value" member comes
// before its "key" (Dataverse writes the key first).
//
// It keeps encoding/json's semantics for these structs, so Parse accepts
// and rejects what it did when it used json.Unmarshal: member names match
// case-insensitively (bytes.EqualFold); null leaves a string or a struct as
// it is and sets a slice, pointer or value to nil; a repeated member is
// decoded again over the first (slice elements in place); a value of the
// wrong type is recorded and skipped, and decoding carries on; nesting is
// limited to 10000 levels; strings are unquoted as encoding/json does.

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// decodeError is a syntax error; it ends decoding.
type decodeError struct {
	msg string
	off int
}

func (e *decodeError) Error() string { return e.msg + " at offset " + strconv.Itoa(e.off) }

// decoder reads JSON from data.
type decoder struct {
	data  []byte
	off   int
	depth int
	// mismatch is the first value of the wrong type (or an unreadable
	// number); like encoding/json, decoding goes on after one and the
	// caller reports it at the end.
	mismatch error
	members  []member // flatObject's scratch space
}

// decodeContext decodes body into c. The error is a syntax error or the
// first mismatch.
func decodeContext(body []byte, c *executionContext) error {
	d := decoder{data: body}
	if err := d.object("a RemoteExecutionContext", func(key []byte) error { return d.contextMember(c, key) }); err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	return d.mismatch
}

// decodeEntity decodes b, one JSON value, into e.
func decodeEntity(b []byte, e *entity) error {
	d := decoder{data: b}
	if err := d.entity(e); err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	return d.mismatch
}

// Member names of the structs, in the order of the cases below.
var (
	contextFields  = []string{"MessageName", "OrganizationId", "OperationId", "RequestId", "CorrelationId", "OperationCreatedOn", "PrimaryEntityId", "PrimaryEntityName", "InputParameters", "PostEntityImages", "PreEntityImages"}
	entityFields   = []string{"Id", "Attributes", "FormattedValues"}
	keyValueFields = []string{"key", "value"}
)

func (d *decoder) contextMember(c *executionContext, key []byte) error {
	switch field(key, contextFields) {
	case 0:
		return d.str(&c.MessageName)
	case 1:
		return d.str(&c.OrganizationId)
	case 2:
		return d.str(&c.OperationId)
	case 3:
		return d.str(&c.RequestId)
	case 4:
		return d.str(&c.CorrelationId)
	case 5:
		return d.str(&c.OperationCreatedOn)
	case 6:
		return d.str(&c.PrimaryEntityId)
	case 7:
		return d.str(&c.PrimaryEntityName)
	case 8:
		return decodeSlice(d, &c.InputParameters, "InputParameters", d.param)
	case 9:
		return decodeSlice(d, &c.PostEntityImages, "PostEntityImages", d.image)
	case 10:
		return decodeSlice(d, &c.PreEntityImages, "PreEntityImages", d.image)
	}
	return d.skip()
}

// param decodes an InputParameters element. Its value is kept as it
// stands; when the key read so far is "Target" it is decoded as an entity
// on the way.
func (d *decoder) param(p *param) error {
	return d.object("an InputParameters element", func(key []byte) error {
		switch field(key, keyValueFields) {
		case 0:
			return d.str(&p.Key)
		case 1:
			start := d.skipSpace()
			if p.Key != "Target" || d.peek() == 'n' {
				err := d.skip()
				p.Value, p.target, p.targetErr, p.decoded = d.data[start:d.off], nil, nil, false
				return err
			}
			outer := d.mismatch
			d.mismatch = nil
			e := new(entity)
			err := d.entity(e)
			p.Value, p.target, p.targetErr, p.decoded = d.data[start:d.off], e, d.mismatch, true
			d.mismatch = outer
			return err
		}
		return d.skip()
	})
}

func (d *decoder) image(img *image) error {
	return d.object("an entity image", func(key []byte) error {
		switch field(key, keyValueFields) {
		case 0:
			return d.str(&img.Key)
		case 1:
			switch d.peek() {
			case 'n':
				img.Value = nil
				return d.literal("null")
			case '{':
				if img.Value == nil {
					img.Value = new(entity)
				}
				return d.entity(img.Value)
			}
			return d.wrongType("an entity")
		}
		return d.skip()
	})
}

func (d *decoder) entity(e *entity) error {
	return d.object("an entity", func(key []byte) error {
		switch field(key, entityFields) {
		case 0:
			return d.str(&e.Id)
		case 1:
			return decodeSlice(d, &e.Attributes, "Attributes", d.attribute)
		case 2:
			return decodeSlice(d, &e.FormattedValues, "FormattedValues", d.formattedValue)
		}
		return d.skip()
	})
}

func (d *decoder) attribute(a *attribute) error {
	return d.object("an attribute", func(key []byte) error {
		switch field(key, keyValueFields) {
		case 0:
			return d.str(&a.Key)
		case 1:
			return d.attrValue(&a.Value)
		}
		return d.skip()
	})
}

func (d *decoder) formattedValue(f *formattedValue) error {
	return d.object("a formatted value", func(key []byte) error {
		switch field(key, keyValueFields) {
		case 0:
			return d.str(&f.Key)
		case 1:
			v, err := d.value()
			f.Value = v
			return err
		}
		return d.skip()
	})
}

// attrValue decodes an attribute value straight to its flattened form.
func (d *decoder) attrValue(a *attrValue) error {
	switch d.peek() {
	case '"':
		s, err := d.string()
		if err != nil {
			return err
		}
		a.v = flatten(s)
		return nil
	case '{':
		v, err := d.flatObject()
		if err != nil {
			return err
		}
		a.v = v
		return nil
	case '[':
		v, err := d.value()
		if err != nil {
			return err
		}
		a.v = flatten(v)
		return nil
	}
	v, err := d.value()
	if err == nil {
		a.v = v
	}
	return err
}

// member is an object member read by flatObject. A "__type" string is
// kept as its literal (lit) until it is needed as a string.
type member struct {
	key []byte
	v   any
	lit []byte
}

func (m *member) value() any {
	if m.lit != nil {
		return unquoteLiteral(m.lit)
	}
	return m.v
}

// flatObject decodes an object attribute value to flatten's result. The
// usual typed values (OptionSetValue, Money, EntityReference, ...) are
// flattened from their members without building the object's map first.
func (d *decoder) flatObject() (any, error) {
	if err := d.open(); err != nil {
		return nil, err
	}
	ms := d.members[:0]
	if d.peek() != '}' {
		for {
			key, err := d.key()
			if err != nil {
				return nil, err
			}
			m := member{key: key}
			if string(key) == "__type" && d.peek() == '"' {
				m.lit, _, err = d.scanString()
			} else {
				m.v, err = d.value()
			}
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
			if c := d.peek(); c == ',' {
				d.off++
				continue
			} else if c != '}' {
				return nil, d.syntax("after object member")
			}
			break
		}
	}
	d.off++
	d.depth--
	d.members = ms
	get := func(name string) (any, bool) {
		for i := len(ms) - 1; i >= 0; i-- {
			if string(ms[i].key) == name {
				return ms[i].value(), true
			}
		}
		return nil, false
	}
	// flatten reads the type name before the first ':' of a non-empty
	// string __type.
	var name []byte
	for i := len(ms) - 1; i >= 0; i-- {
		if string(ms[i].key) == "__type" {
			if lit := ms[i].lit; len(lit) > 2 {
				name = lit[1 : len(lit)-1]
				if j := bytes.IndexAny(name, `:\`); j >= 0 && name[j] == ':' {
					name = name[:j]
				} else if j >= 0 {
					name, _, _ = bytes.Cut([]byte(unquote(lit)), []byte(":"))
				}
			}
			break
		}
	}
	if name != nil {
		switch string(name) {
		case "EntityReference":
			id, _ := get("Id")
			logical, _ := get("LogicalName")
			n, _ := get("Name")
			return map[string]any{"Id": id, "LogicalName": logical, "Name": n}, nil
		case "Entity", "EntityCollection":
		default:
			if val, ok := get("Value"); ok {
				return flatten(val), nil
			}
		}
	}
	m := make(map[string]any, len(ms))
	for i := range ms {
		m[string(ms[i].key)] = ms[i].value()
	}
	return flatten(m), nil
}

// field returns the index of the name key selects, matched as
// encoding/json matches member names to struct fields; -1 if none.
func field(key []byte, names []string) int {
	for i, n := range names {
		if string(key) == n {
			return i
		}
	}
	for i, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return i
		}
	}
	return -1
}

// decodeSlice decodes an array into *s as encoding/json does: element i
// goes over (*s)[i], null sets *s to nil.
func decodeSlice[T any](d *decoder, s *[]T, what string, elem func(*T) error) error {
	switch d.peek() {
	case 'n':
		*s = nil
		return d.literal("null")
	case '[':
	default:
		return d.wrongType(what + " array")
	}
	if err := d.open(); err != nil {
		return err
	}
	v := *s
	i := 0
	if d.peek() != ']' {
		for {
			if i >= cap(v) {
				v = slices.Grow(v, max(len(v), 4))
			}
			if i >= len(v) {
				v = v[:i+1]
			}
			if err := elem(&v[i]); err != nil {
				return err
			}
			i++
			if c := d.peek(); c == ',' {
				d.off++
				continue
			} else if c != ']' {
				return d.syntax("after array element")
			}
			break
		}
	}
	d.off++
	d.depth--
	if i < len(v) {
		v = v[:i]
	}
	if i == 0 {
		v = []T{}
	}
	*s = v
	return nil
}

// object decodes an object, calling member for each member once its key
// and colon are read; member must read the value. null leaves the struct
// as it is; any other value is a mismatch.
func (d *decoder) object(what string, member func(key []byte) error) error {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '{':
	default:
		return d.wrongType(what)
	}
	if err := d.open(); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.off++
		d.depth--
		return nil
	}
	for {
		key, err := d.key()
		if err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		if c := d.peek(); c == ',' {
			d.off++
			continue
		} else if c != '}' {
			return d.syntax("after object member")
		}
		d.off++
		d.depth--
		return nil
	}
}

// key reads a member name and the colon after it.
func (d *decoder) key() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.syntax("looking for beginning of object key string")
	}
	lit, plain, err := d.scanString()
	if err != nil {
		return nil, err
	}
	var key []byte
	if plain {
		key = lit[1 : len(lit)-1]
	} else {
		key = []byte(unquote(lit))
	}
	if d.peek() != ':' {
		return nil, d.syntax("after object key")
	}
	d.off++
	return key, nil
}

// str decodes a string; null leaves *s as it is.
func (d *decoder) str(s *string) error {
	switch d.peek() {
	case '"':
		v, err := d.string()
		if err == nil {
			*s = v
		}
		return err
	case 'n':
		return d.literal("null")
	}
	return d.wrongType("a string")
}

func (d *decoder) string() (string, error) {
	lit, plain, err := d.scanString()
	if err != nil {
		return "", err
	}
	if plain {
		return string(lit[1 : len(lit)-1]), nil
	}
	return unquote(lit), nil
}

// unquoteLiteral is the value of a string literal scanString has read.
func unquoteLiteral(lit []byte) string {
	for _, c := range lit[1 : len(lit)-1] {
		if c == '\\' || c >= utf8.RuneSelf {
			return unquote(lit)
		}
	}
	return string(lit[1 : len(lit)-1])
}

// unquote is the slow path for strings with escapes or non-ASCII bytes,
// which scanString has checked. Like encoding/json, it turns invalid UTF-8
// and lone surrogates into U+FFFD.
func unquote(lit []byte) string {
	s := lit[1 : len(lit)-1]
	var b strings.Builder
	b.Grow(len(s))
	for r := 0; r < len(s); {
		switch c := s[r]; {
		case c == '\\':
			switch e := s[r+1]; e {
			case 'u':
				rr := getu4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != unicode.ReplacementChar {
						r += 6
						b.WriteRune(dec)
						break
					}
					rr = unicode.ReplacementChar
				}
				b.WriteRune(rr)
			case 'b':
				b.WriteByte('\b')
				r += 2
			case 'f':
				b.WriteByte('\f')
				r += 2
			case 'n':
				b.WriteByte('\n')
				r += 2
			case 'r':
				b.WriteByte('\r')
				r += 2
			case 't':
				b.WriteByte('\t')
				r += 2
			default: // " \ /
				b.WriteByte(e)
				r += 2
			}
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			b.WriteRune(rr)
			r += size
		}
	}
	return b.String()
}

// getu4 decodes the \uXXXX escape at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// value decodes any value as encoding/json decodes into an any: maps,
// []any, float64, string, bool or nil.
func (d *decoder) value() (any, error) {
	switch c := d.peek(); c {
	case '{':
		if err := d.open(); err != nil {
			return nil, err
		}
		m := make(map[string]any)
		if d.peek() == '}' {
			d.off++
			d.depth--
			return m, nil
		}
		for {
			key, err := d.key()
			if err != nil {
				return nil, err
			}
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			m[string(key)] = v
			if c := d.peek(); c == ',' {
				d.off++
				continue
			} else if c != '}' {
				return nil, d.syntax("after object member")
			}
			d.off++
			d.depth--
			return m, nil
		}
	case '[':
		if err := d.open(); err != nil {
			return nil, err
		}
		l := make([]any, 0)
		if d.peek() == ']' {
			d.off++
			d.depth--
			return l, nil
		}
		for {
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			if c := d.peek(); c == ',' {
				d.off++
				continue
			} else if c != ']' {
				return nil, d.syntax("after array element")
			}
			d.off++
			d.depth--
			return l, nil
		}
	case '"':
		return d.string()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	}
	lit, err := d.scanNumber()
	if err != nil {
		return nil, err
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		d.setMismatch("number " + string(lit) + " does not fit a float64")
		return nil, nil
	}
	return f, nil
}

// skip reads over one value, checking its syntax.
func (d *decoder) skip() error {
	switch d.peek() {
	case '{':
		if err := d.open(); err != nil {
			return err
		}
		if d.peek() == '}' {
			d.off++
			d.depth--
			return nil
		}
		for {
			if _, err := d.key(); err != nil {
				return err
			}
			if err := d.skip(); err != nil {
				return err
			}
			if c := d.peek(); c == ',' {
				d.off++
				continue
			} else if c != '}' {
				return d.syntax("after object member")
			}
			d.off++
			d.depth--
			return nil
		}
	case '[':
		if err := d.open(); err != nil {
			return err
		}
		if d.peek() == ']' {
			d.off++
			d.depth--
			return nil
		}
		for {
			if err := d.skip(); err != nil {
				return err
			}
			if c := d.peek(); c == ',' {
				d.off++
				continue
			} else if c != ']' {
				return d.syntax("after array element")
			}
			d.off++
			d.depth--
			return nil
		}
	case '"':
		_, _, err := d.scanString()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	_, err := d.scanNumber()
	return err
}

// wrongType records a mismatch and skips the value.
func (d *decoder) wrongType(want string) error {
	start := d.off
	if err := d.skip(); err != nil {
		return err
	}
	got := "a number"
	switch d.data[start] {
	case '{':
		got = "an object"
	case '[':
		got = "an array"
	case '"':
		got = "a string"
	case 't', 'f':
		got = "a bool"
	}
	d.setMismatch("expected " + want + ", found " + got + " at offset " + strconv.Itoa(start))
	return nil
}

func (d *decoder) setMismatch(msg string) {
	if d.mismatch == nil {
		d.mismatch = errShape(msg)
	}
}

// open consumes '[' or '{'.
func (d *decoder) open() error {
	d.off++
	d.depth++
	if d.depth > maxDepth {
		return d.syntax("exceeded max depth")
	}
	return nil
}

// end checks that only white space follows the value.
func (d *decoder) end() error {
	if d.skipSpace() != len(d.data) {
		return d.syntax("after top-level value")
	}
	return nil
}

func (d *decoder) skipSpace() int {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return d.off
		}
	}
	return d.off
}

// peek returns the next byte after white space, 0 at the end.
func (d *decoder) peek() byte {
	if d.skipSpace() < len(d.data) {
		return d.data[d.off]
	}
	return 0
}

func (d *decoder) syntax(context string) error {
	if d.off >= len(d.data) {
		return &decodeError{"unexpected end of JSON input", d.off}
	}
	return &decodeError{"invalid character " + strconv.QuoteRune(rune(d.data[d.off])) + " " + context, d.off}
}

func (d *decoder) literal(lit string) error {
	if len(d.data)-d.off < len(lit) || string(d.data[d.off:d.off+len(lit)]) != lit {
		for i := 0; i < len(lit) && d.off < len(d.data) && d.data[d.off] == lit[i]; i++ {
			d.off++
		}
		return d.syntax("in literal " + lit)
	}
	d.off += len(lit)
	return nil
}

// scanString reads the string literal at d.off, quotes included. plain
// reports that it is ASCII without escapes, so its bytes are its value.
func (d *decoder) scanString() (lit []byte, plain bool, err error) {
	start := d.off
	plain = true
	i := d.off + 1
	for i < len(d.data) {
		c := d.data[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			i++
			continue
		}
		switch {
		case c == '"':
			d.off = i + 1
			return d.data[start:d.off], plain, nil
		case c == '\\':
			plain = false
			if i+1 >= len(d.data) {
				d.off = len(d.data)
				return nil, false, d.syntax("")
			}
			switch d.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				i += 2
				for range 4 {
					if i >= len(d.data) || !isHex(d.data[i]) {
						d.off = i
						return nil, false, d.syntax("in \\u hexadecimal character escape")
					}
					i++
				}
			default:
				d.off = i + 1
				return nil, false, d.syntax("in string escape code")
			}
		case c < 0x20:
			d.off = i
			return nil, false, d.syntax("in string literal")
		default: // non-ASCII; invalid UTF-8 becomes U+FFFD when unquoted
			plain = false
			i++
		}
	}
	d.off = len(d.data)
	return nil, false, d.syntax("")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanNumber reads a JSON number at d.off.
func (d *decoder) scanNumber() ([]byte, error) {
	start := d.off
	i := d.off
	n := len(d.data)
	if i < n && d.data[i] == '-' {
		i++
	}
	switch {
	case i < n && d.data[i] == '0':
		i++
	case i < n && d.data[i] >= '1' && d.data[i] <= '9':
		for i < n && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
	default:
		d.off = i
		return nil, d.syntax("looking for beginning of value")
	}
	if i < n && d.data[i] == '.' {
		i++
		if i >= n || d.data[i] < '0' || d.data[i] > '9' {
			d.off = i
			return nil, d.syntax("after decimal point in numeric literal")
		}
		for i < n && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
	}
	if i < n && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < n && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if i >= n || d.data[i] < '0' || d.data[i] > '9' {
			d.off = i
			return nil, d.syntax("in exponent of numeric literal")
		}
		for i < n && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
	}
	d.off = i
	return d.data[start:i], nil
}
