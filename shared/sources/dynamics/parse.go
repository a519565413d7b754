package dynamics

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// FormattedValuesKey is the Fields member holding the entities'
// FormattedValues (attribute logical name → display string).
const FormattedValuesKey = "FormattedValues"

// executionContext is the part of RemoteExecutionContext goalrelay reads.
// decodeContext fills it with encoding/json's rules: member names match
// case-insensitively; null members leave the zero value.
type executionContext struct {
	MessageName        string
	OrganizationId     string
	OperationId        string
	RequestId          string
	CorrelationId      string
	OperationCreatedOn string
	PrimaryEntityId    string
	PrimaryEntityName  string
	InputParameters    []param
	PostEntityImages   []image
	PreEntityImages    []image
}

// param is one InputParameters element; only Target is decoded further.
type param struct {
	Key   string
	Value []byte // the value as it stands in the body
	// decoded reports that target and targetErr are Value read as an
	// entity: the decoder does so on the way when the key it has read is
	// already "Target".
	decoded   bool
	target    *entity
	targetErr error
}

// entity returns the parameter's value as an entity (or entity reference).
func (p *param) entity() (*entity, error) {
	if p.decoded {
		return p.target, p.targetErr
	}
	e := new(entity)
	return e, decodeEntity(p.Value, e)
}

// image is one PostEntityImages / PreEntityImages element.
type image struct {
	Key   string
	Value *entity
}

// entity is an Entity (or, for Delete's Target, an EntityReference: then
// only Id is set).
type entity struct {
	Id              string
	Attributes      []attribute
	FormattedValues []formattedValue
}

type attribute struct {
	Key   string
	Value attrValue
}

type formattedValue struct {
	Key   string
	Value any
}

// attrValue is one attribute value in its flattened form.
type attrValue struct{ v any }

// maxToken bounds identifiers copied into ids and sources; Dataverse's are
// GUIDs (36) and logical names (≤ 50).
const maxToken = 128

// parse turns a RemoteExecutionContext into at most one change. Errors wrap
// webhook.ErrMalformed (not JSON, wrong shapes, unreadable dates) or
// webhook.ErrUnmappable (no organisation, table, record or operation id, or
// no time). Messages other than Create, Update, Upsert and Delete give no
// changes and no error.
func (Adapter) parse(r *webhook.Request) ([]webhook.Change, error) {
	var c executionContext
	if err := decodeContext(r.Body, &c); err != nil {
		return nil, fmt.Errorf("%w: body is not a RemoteExecutionContext: %v", webhook.ErrMalformed, err)
	}
	var op webhook.Op
	switch c.MessageName {
	case "Create", "Update", "Upsert":
		op = webhook.OpUpsert
	case "Delete":
		op = webhook.OpDelete
	case "":
		return nil, fmt.Errorf("%w: MessageName is missing", webhook.ErrUnmappable)
	default:
		return nil, nil // a step registered for a message goalrelay does not sync
	}

	org := strings.ToLower(c.OrganizationId)
	if !validToken(org) {
		return nil, fmt.Errorf("%w: OrganizationId is missing or not an identifier", webhook.ErrUnmappable)
	}
	if !validToken(c.PrimaryEntityName) {
		return nil, fmt.Errorf("%w: PrimaryEntityName is missing or not a logical name", webhook.ErrUnmappable)
	}

	var target *entity
	for i := range c.InputParameters {
		p := &c.InputParameters[i]
		if p.Key != "Target" || isNull(p.Value) {
			continue
		}
		e, err := p.entity()
		if err != nil {
			return nil, fmt.Errorf("%w: InputParameters Target is not an entity or entity reference: %v", webhook.ErrMalformed, err)
		}
		target = e
	}

	recordID := c.PrimaryEntityId
	if !usable(recordID) && target != nil {
		recordID = target.Id
	}
	recordID = strings.ToLower(recordID)
	if !usable(recordID) || !validToken(recordID) {
		return nil, fmt.Errorf("%w: PrimaryEntityId is missing or not an identifier", webhook.ErrUnmappable)
	}

	var images []image
	if op == webhook.OpUpsert {
		images = c.PostEntityImages
	} else {
		images = c.PreEntityImages
	}
	nf, nfv := 0, 0
	for _, img := range images {
		if img.Value != nil {
			nf, nfv = nf+len(img.Value.Attributes), nfv+len(img.Value.FormattedValues)
		}
	}
	if op == webhook.OpUpsert && target != nil {
		nf, nfv = nf+len(target.Attributes), nfv+len(target.FormattedValues)
	}
	fields := make(map[string]any, nf+1)
	formatted := make(map[string]any, nfv)
	for i, img := range images {
		if err := mergeEntity(fields, formatted, img.Value); err != nil {
			return nil, fmt.Errorf("%w: entity image %d: %s", webhook.ErrMalformed, i, err)
		}
	}
	if op == webhook.OpUpsert && target != nil {
		if err := mergeEntity(fields, formatted, target); err != nil {
			return nil, fmt.Errorf("%w: Target: %s", webhook.ErrMalformed, err)
		}
	}
	if len(formatted) > 0 {
		fields[FormattedValuesKey] = formatted
	}

	occurred, err := occurredAt(c.OperationCreatedOn, fields)
	if err != nil {
		return nil, err
	}

	var key string
	switch {
	case usable(c.OperationId) && validToken(c.OperationId):
		key = strings.ToLower(c.OperationId)
	case usable(c.RequestId) && validToken(c.RequestId):
		key = "req-" + strings.ToLower(c.RequestId)
	case usable(c.CorrelationId) && validToken(c.CorrelationId):
		key = "corr-" + strings.ToLower(c.CorrelationId) + "-" + c.MessageName + "-" + strconv.FormatInt(occurred.UnixMilli(), 10)
	default:
		return nil, fmt.Errorf("%w: none of OperationId, RequestId, CorrelationId is set", webhook.ErrUnmappable)
	}

	return []webhook.Change{{
		ID:         "dynamics:" + org + ":" + key + ":" + recordID,
		Source:     namespace + org,
		Object:     c.PrimaryEntityName,
		RecordID:   recordID,
		Op:         op,
		OccurredAt: occurred,
		Fields:     fields,
	}}, nil
}

// occurredAt reads OperationCreatedOn, falling back to the modifiedon
// attribute (already flattened to RFC 3339).
func occurredAt(created string, fields map[string]any) (time.Time, error) {
	if created != "" {
		t, ok := parseDate(created)
		if !ok {
			var err error
			t, err = time.Parse(time.RFC3339Nano, created)
			if err != nil || t.Year() > 9999 {
				return time.Time{}, fmt.Errorf("%w: OperationCreatedOn is not a /Date(ms)/ or RFC 3339 date", webhook.ErrMalformed)
			}
		}
		// DateTime.MinValue and friends mean "not set".
		if t.Unix() > 0 {
			return t.UTC(), nil
		}
	}
	if s, ok := fields["modifiedon"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil && t.Unix() > 0 {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: neither OperationCreatedOn nor modifiedon gives the change time", webhook.ErrUnmappable)
}

// mergeEntity copies the flattened Attributes (and FormattedValues) of e
// over fields.
func mergeEntity(fields, formattedValues map[string]any, e *entity) error {
	if e == nil {
		return nil
	}
	for _, a := range e.Attributes {
		if a.Key == "" {
			return errShape("an attribute has no key")
		}
		fields[a.Key] = a.Value.v
	}
	for _, f := range e.FormattedValues {
		if f.Key == "" {
			return errShape("a formatted value has no key")
		}
		formattedValues[f.Key] = f.Value
	}
	return nil
}

func isNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

type errShape string

func (e errShape) Error() string { return string(e) }

// flatten turns a WCF DataContract JSON value into a plain value; see the
// package documentation for the table. It reuses v's maps and slices.
func flatten(v any) any {
	switch x := v.(type) {
	case string:
		if t, ok := parseDate(x); ok {
			return t.Format(time.RFC3339Nano)
		}
		return x
	case []any:
		for i := range x {
			x[i] = flatten(x[i])
		}
		return x
	case map[string]any:
		typ, _ := x["__type"].(string)
		if typ == "" {
			if _, isEntity := x["Attributes"]; isEntity {
				return entityAttributes(x)
			}
			for k, e := range x {
				x[k] = flatten(e)
			}
			return x
		}
		name, _, _ := strings.Cut(typ, ":")
		switch name {
		case "EntityReference":
			return map[string]any{"Id": x["Id"], "LogicalName": x["LogicalName"], "Name": x["Name"]}
		case "Entity":
			return entityAttributes(x)
		case "EntityCollection":
			l, _ := x["Entities"].([]any)
			out := make([]any, 0, len(l))
			for _, e := range l {
				out = append(out, flatten(e))
			}
			return out
		}
		if val, ok := x["Value"]; ok {
			return flatten(val)
		}
		delete(x, "__type")
		for k, e := range x {
			x[k] = flatten(e)
		}
		return x
	default:
		return v
	}
}

// entityAttributes is a nested entity's attributes as a map; malformed
// elements are skipped (the top-level entities are checked strictly).
func entityAttributes(m map[string]any) map[string]any {
	out := map[string]any{}
	l, _ := m["Attributes"].([]any)
	for _, e := range l {
		if p, ok := e.(map[string]any); ok {
			if k, ok := p["key"].(string); ok && k != "" {
				out[k] = flatten(p["value"])
			}
		}
	}
	return out
}

// parseDate reads the WCF JSON date "/Date(<ms>[+-hhmm])/". The ms are
// milliseconds since the Unix epoch in UTC; the offset only records the
// sender's zone, so it does not move the instant. Dates outside years
// 1–9999 are rejected.
func parseDate(s string) (time.Time, bool) {
	const prefix, suffix = "/Date(", ")/"
	if len(s) < len(prefix)+len(suffix)+1 || !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		return time.Time{}, false
	}
	inner := s[len(prefix) : len(s)-len(suffix)]
	if i := strings.LastIndexAny(inner, "+-"); i > 0 {
		off := inner[i+1:]
		if len(off) != 4 || !digits(off) {
			return time.Time{}, false
		}
		inner = inner[:i]
	}
	neg := strings.HasPrefix(inner, "-")
	if neg {
		inner = inner[1:]
	}
	if len(inner) == 0 || len(inner) > 15 || !digits(inner) {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(inner, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	if neg {
		ms = -ms
	}
	t := time.UnixMilli(ms).UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// usable reports whether a GUID is set: not empty and not all zeros.
func usable(id string) bool {
	return strings.Trim(id, "0-{}") != ""
}

// validToken accepts identifiers safe to put into ids and sources:
// letters, digits and -_.{} only, at most maxToken bytes.
func validToken(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == '{', c == '}':
		default:
			return false
		}
	}
	return true
}
