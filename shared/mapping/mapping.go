package mapping

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Mapper turns webhook changes into canonical events. It is immutable
// after Load, Parse or Default and safe for concurrent use.
type Mapper struct {
	sources map[string]*sourceMapping
}

type sourceMapping struct {
	name    string
	objects map[string]*objectMapping
}

type objectMapping struct {
	object     string
	entity     string // goal, goaltemplate, metric
	externalID *expression
	fullRecord *expression // nil: never a full record
	rules      []*fieldRule
	constants  map[string]any
	associate  *assocRules
	dissociate *assocRules
	onDelete   *deleteRule // nil: ignore
}

type assocRules struct{ cta, sp *expression }

type deleteRule struct{ fields map[string]any }

type unmappedMode int

const (
	unmappedError unmappedMode = iota
	unmappedKeep
	unmappedOmit
)

type fieldRule struct {
	target        string
	expr          *expression
	valueMap      map[string]any
	mapDefault    any
	hasMapDefault bool
	unmapped      unmappedMode
	unmappedSet   bool
	def           any
	hasDefault    bool
	format        formatter
	required      bool
}

//go:embed defaults/*.yaml
var defaultFiles embed.FS

var defaultMapper = sync.OnceValues(func() (*Mapper, error) {
	m := &Mapper{sources: map[string]*sourceMapping{}}
	names, err := fs.Glob(defaultFiles, "defaults/*.yaml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		data, err := defaultFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		one, err := Parse(path.Join("shared/mapping", name), data)
		if err != nil {
			return nil, err
		}
		for src, sm := range one.sources {
			if _, dup := m.sources[src]; dup {
				return nil, fmt.Errorf("mapping: default source %q defined twice", src)
			}
			m.sources[src] = sm
		}
	}
	return m, nil
})

// Default returns the mapping that ships with goalrelay (the files in
// shared/mapping/defaults) for hubspot, salesforce, dynamics and pipedrive.
// The generic source needs none: its senders write canonical events.
func Default() *Mapper {
	m, err := defaultMapper()
	if err != nil {
		// The defaults are embedded and tested; this is a build defect.
		panic(err)
	}
	return m
}

// Sources lists the source systems the mapper knows, sorted.
func (m *Mapper) Sources() []string {
	out := make([]string, 0, len(m.sources))
	for s := range m.sources {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Map turns one change into canonical events.
//
// A change that carries a canonical event (the generic source) is returned
// unchanged after validation. A change whose source or object has no
// mapping, a delete the mapping ignores, and a thin change that touches no
// mapped field yield no events and no error: valid but ignorable. Errors
// wrap webhook.ErrUnmappable and name the object and field, never a value.
func (m *Mapper) Map(ch webhook.Change) ([]events.Event, error) {
	if ch.Canonical != nil {
		e := *ch.Canonical
		if err := validate(&e); err != nil {
			return nil, err
		}
		return []events.Event{e}, nil
	}
	system, _, _ := strings.Cut(ch.Source, "/")
	sm := m.sources[system]
	if sm == nil {
		return nil, nil
	}
	om := sm.lookup(ch.Object)
	if om == nil {
		return nil, nil
	}
	ev, ok, err := om.mapChange(&ch)
	if err != nil || !ok {
		return nil, err
	}
	return []events.Event{ev}, nil
}

func (sm *sourceMapping) lookup(object string) *objectMapping {
	if om := sm.objects[object]; om != nil {
		return om
	}
	for name, om := range sm.objects {
		if strings.EqualFold(name, object) {
			return om
		}
	}
	return nil
}

func unmappable(ch *webhook.Change, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s %s: %s", webhook.ErrUnmappable, ch.Source, ch.Object, ch.RecordID, fmt.Sprintf(format, args...))
}

// document is what the expressions see.
func document(ch *webhook.Change) map[string]any {
	fields := ch.Fields
	if fields == nil {
		fields = map[string]any{}
	}
	return map[string]any{
		"source":     ch.Source,
		"object":     ch.Object,
		"recordId":   ch.RecordID,
		"op":         string(ch.Op),
		"occurredAt": ch.OccurredAt.UTC().Format(time.RFC3339Nano),
		"fields":     fields,
	}
}

func (om *objectMapping) mapChange(ch *webhook.Change) (events.Event, bool, error) {
	var del bool
	switch ch.Op {
	case webhook.OpUpsert:
	case webhook.OpDelete:
		if om.onDelete == nil {
			return events.Event{}, false, nil
		}
		del = true
	default:
		return events.Event{}, false, unmappable(ch, "unknown op %q", ch.Op)
	}
	doc := document(ch)

	ext, err := om.externalID.search(doc)
	if err != nil {
		return events.Event{}, false, unmappable(ch, "externalId %q: %v", om.externalID.src, err)
	}
	extID, ok := scalarString(ext)
	if !ok || extID == "" {
		return events.Event{}, false, unmappable(ch, "externalId %q gives no string or number", om.externalID.src)
	}

	e := events.Event{
		SpecVersion:     events.SpecVersion,
		ID:              ch.ID,
		Source:          ch.Source,
		Type:            typeFor(om.entity, del),
		Subject:         ch.RecordID,
		Time:            ch.OccurredAt.UTC(),
		DataContentType: events.ContentTypeJSON,
		Data:            events.Data{ExternalID: extID},
	}
	if del {
		if len(om.onDelete.fields) > 0 {
			e.Data.Fields = make(map[string]any, len(om.onDelete.fields))
			for k, v := range om.onDelete.fields {
				e.Data.Fields[k] = v
			}
		}
		if err := validate(&e); err != nil {
			return events.Event{}, false, err
		}
		return e, true, nil
	}

	full := false
	if om.fullRecord != nil {
		v, err := om.fullRecord.search(doc)
		if err != nil {
			return events.Event{}, false, unmappable(ch, "fullRecord %q: %v", om.fullRecord.src, err)
		}
		full = truthy(v)
	}

	fields := make(map[string]any, len(om.rules)+len(om.constants))
	touched := false
	var missing []string
	for _, r := range om.rules {
		v, err := r.expr.search(doc)
		if err != nil {
			return events.Event{}, false, unmappable(ch, "field %s: expression %q: %v", r.target, r.expr.src, err)
		}
		if v == nil {
			if !full || !r.hasDefault {
				if full && r.required {
					missing = append(missing, r.target)
				}
				continue
			}
			v = r.def
		} else if r.expr.readsFields {
			touched = true
		}
		v, keep, err := r.apply(v)
		if err != nil {
			return events.Event{}, false, unmappable(ch, "field %s: %v", r.target, err)
		}
		if !keep {
			if full && r.required {
				missing = append(missing, r.target)
			}
			continue
		}
		fields[r.target] = v
	}
	var assoc, dissoc *events.Associations
	if om.associate != nil {
		if assoc, err = om.associate.eval(doc, &touched); err != nil {
			return events.Event{}, false, unmappable(ch, "associate: %v", err)
		}
	}
	if om.dissociate != nil {
		if dissoc, err = om.dissociate.eval(doc, &touched); err != nil {
			return events.Event{}, false, unmappable(ch, "dissociate: %v", err)
		}
	}
	if len(missing) > 0 {
		return events.Event{}, false, unmappable(ch, "required field(s) %s missing from a full record", strings.Join(missing, ", "))
	}
	if !full && !touched {
		// A thin change (property change) that touches no mapped field.
		return events.Event{}, false, nil
	}
	for k, v := range om.constants {
		fields[k] = v
	}
	if len(fields) == 0 {
		// The contract requires data.fields on an upsert; with nothing to
		// set there is nothing to do.
		return events.Event{}, false, nil
	}
	e.Data.Fields = fields
	e.Data.Associate = assoc
	e.Data.Dissociate = dissoc
	if err := validate(&e); err != nil {
		return events.Event{}, false, err
	}
	return e, true, nil
}

// apply runs the value map and the format; keep is false when the value
// is to be left out.
func (r *fieldRule) apply(v any) (_ any, keep bool, _ error) {
	if r.valueMap != nil {
		key, ok := scalarString(v)
		if !ok {
			return nil, false, fmt.Errorf("value map: a %s cannot be looked up", jsonKind(v))
		}
		if to, found := r.valueMap[key]; found {
			v = to
		} else {
			switch {
			case r.hasMapDefault:
				v = r.mapDefault
			case r.unmapped == unmappedKeep:
			case r.unmapped == unmappedOmit:
				return nil, false, nil
			default:
				// The CRM value is not a secret but may be free text; keep
				// it short in the reason.
				return nil, false, fmt.Errorf("value %q is not in the value map", clip(key, 64))
			}
		}
		if v == nil {
			return nil, false, nil
		}
	}
	if r.format != nil {
		out, err := r.format(v)
		if err != nil {
			return nil, false, err
		}
		if out == nil {
			return nil, false, nil
		}
		v = out
	}
	return v, true, nil
}

func (a *assocRules) eval(doc map[string]any, touched *bool) (*events.Associations, error) {
	out := &events.Associations{}
	for _, it := range []struct {
		name string
		e    *expression
		dst  *[]string
	}{{"CTA", a.cta, &out.CTA}, {"SP", a.sp, &out.SP}} {
		if it.e == nil {
			continue
		}
		v, err := it.e.search(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: expression %q: %v", it.name, it.e.src, err)
		}
		ids, err := idList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", it.name, err)
		}
		if len(ids) > 0 && it.e.readsFields {
			*touched = true
		}
		*it.dst = ids
	}
	if out.Empty() {
		return nil, nil
	}
	return out, nil
}

// idList accepts a list of strings, or one string of ids separated by
// ';' or ',' (HubSpot multi-select values).
func idList(v any) ([]string, error) {
	var raw []string
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		raw = strings.FieldsFunc(t, func(r rune) bool { return r == ';' || r == ',' })
	case []any:
		for _, x := range t {
			s, ok := scalarString(x)
			if !ok {
				return nil, fmt.Errorf("want ids as strings, got a %s", jsonKind(x))
			}
			raw = append(raw, s)
		}
	case []string:
		raw = t
	default:
		return nil, fmt.Errorf("want a list of ids or a string of ids, got a %s", jsonKind(v))
	}
	out := raw[:0:0]
	for _, s := range raw {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}

// scalarString renders a string, number or boolean as the text a value
// map key or an external id is compared with.
func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1e15 {
			return strconv.FormatInt(int64(t), 10), true
		}
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case float32:
		return scalarString(float64(t))
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case int32:
		return strconv.FormatInt(int64(t), 10), true
	case uint64:
		return strconv.FormatUint(t, 10), true
	case json.Number:
		return t.String(), true
	}
	return "", false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	if _, ok := scalarString(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// validate applies the structural checks of events plus the schema rule
// that an upsert carries data.fields.
func validate(e *events.Event) error {
	err := e.Validate()
	if err == nil && !e.Type.IsDelete() && len(e.Data.Fields) == 0 {
		err = fmt.Errorf("%w: data.fields is required for %s", events.ErrInvalid, e.Type)
	}
	if err != nil {
		return fmt.Errorf("%w: event %q: %w", webhook.ErrUnmappable, e.ID, err)
	}
	return nil
}
