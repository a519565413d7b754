package mapping

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	jmespath "github.com/jmespath-community/go-jmespath"
	"github.com/jmespath-community/go-jmespath/pkg/parsing"
	"go.yaml.in/yaml/v3"

	"github.com/goalrelay/goalrelay/events"
)

// ErrInvalidConfig is wrapped by every error Load and Parse return for a
// mapping file that cannot be used.
var ErrInvalidConfig = errors.New("invalid mapping")

// ConfigError is one problem in a mapping file, located by line and column.
// Load and Parse join several of them with errors.Join.
type ConfigError struct {
	File    string // the name given to Parse, or the path given to Load
	Line    int    // 1-based; 0 when the problem is the whole file
	Column  int
	Path    string // where in the document, e.g. sources.hubspot.objects.deal.fields.DueDate
	Problem string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalidConfig) hold.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Load reads the mapping file at path (the MAPPING_FILE of the ingest
// function). Every JMESPath expression is compiled here; any problem is
// reported with the file, the line and the problem.
func Load(path string) (*Mapper, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load from bytes; name stands for the file in error messages.
// It never panics, whatever data holds.
func Parse(name string, data []byte) (m *Mapper, err error) {
	defer func() {
		// Belt and braces: the YAML and JMESPath parsers are third-party
		// code fed with operator input; a panic in them must not take
		// the function down at start-up without saying which file.
		if r := recover(); r != nil {
			m, err = nil, &ConfigError{File: name, Problem: fmt.Sprintf("cannot parse: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ConfigError{File: name, Problem: err.Error()}
	}
	p := &parser{file: name}
	m = &Mapper{sources: map[string]*sourceMapping{}}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ConfigError{File: name, Problem: "empty mapping file (want sources: or source: and objects:)"}
	}
	p.file_(doc.Content[0], m)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return m, nil
}

type parser struct {
	file string
	errs []error
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	e := &ConfigError{File: p.file, Path: path, Problem: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("the scalar %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

// pairs walks a mapping node, checking that keys are known (when known is
// not nil) and unique. It reports a non-mapping node and returns false.
func (p *parser) pairs(n *yaml.Node, path, what string, known []string, fn func(key string, kn, vn *yaml.Node)) bool {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "%s must be a mapping, got %s", what, kindName(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := deref(n.Content[i]), deref(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			p.errorf(kn, path, "%s keys must be scalars, got %s", what, kindName(kn))
			continue
		}
		key := kn.Value
		if seen[key] {
			p.errorf(kn, path, "duplicate key %q", key)
			continue
		}
		seen[key] = true
		if known != nil && !slices.Contains(known, key) {
			p.errorf(kn, path, "unknown key %q in %s (want one of %s)", key, what, strings.Join(known, ", "))
			continue
		}
		fn(key, kn, vn)
	}
	return true
}

// deref follows a YAML alias (*name) to its anchor, so that value maps and
// rules can be shared. Walks are depth-bounded, so a cyclic alias cannot
// loop.
func deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (p *parser) file_(root *yaml.Node, m *Mapper) {
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "a mapping file must be a mapping with sources: (or source: and objects:), got %s", kindName(root))
		return
	}
	var sourcesN, sourceN, objectsN *yaml.Node
	p.pairs(root, "", "the file", []string{"sources", "source", "objects"}, func(key string, kn, vn *yaml.Node) {
		switch key {
		case "sources":
			sourcesN = vn
		case "source":
			sourceN = vn
		case "objects":
			objectsN = vn
		}
	})
	switch {
	case sourcesN != nil && (sourceN != nil || objectsN != nil):
		p.errorf(root, "", "use either sources: (several sources) or source: with objects: (one source), not both")
	case sourcesN != nil:
		if len(sourcesN.Content) == 0 && sourcesN.Kind == yaml.MappingNode {
			p.errorf(sourcesN, "sources", "no source is mapped")
		}
		p.pairs(sourcesN, "sources", "sources", nil, func(name string, kn, vn *yaml.Node) {
			path := join("sources", name)
			if !validSourceName(name) {
				p.errorf(kn, path, "source name %q must be lower case letters, digits, '-' or '_' (the first segment of the event source, e.g. hubspot)", name)
				return
			}
			sm := &sourceMapping{name: name, objects: map[string]*objectMapping{}}
			p.pairs(vn, path, "a source", []string{"objects"}, func(_ string, _, on *yaml.Node) {
				p.objects(on, join(path, "objects"), sm)
			})
			m.sources[name] = sm
		})
	case sourceN != nil:
		if sourceN.Kind != yaml.ScalarNode || !validSourceName(sourceN.Value) {
			p.errorf(sourceN, "source", "source must be a source name such as hubspot, got %s", kindName(sourceN))
			return
		}
		if objectsN == nil {
			p.errorf(root, "", "source: %s has no objects:", sourceN.Value)
			return
		}
		sm := &sourceMapping{name: sourceN.Value, objects: map[string]*objectMapping{}}
		p.objects(objectsN, "objects", sm)
		m.sources[sm.name] = sm
	default:
		p.errorf(root, "", "no sources: (or source: and objects:) in the file")
	}
}

func validSourceName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '-' || r == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

var objectKeys = []string{"type", "externalId", "fullRecord", "fields", "constants", "associate", "dissociate", "onDelete"}

func (p *parser) objects(n *yaml.Node, path string, sm *sourceMapping) {
	p.pairs(n, path, "objects", nil, func(name string, kn, vn *yaml.Node) {
		opath := join(path, name)
		if name == "" {
			p.errorf(kn, opath, "empty object name")
			return
		}
		om := &objectMapping{object: name, externalID: defaultExternalID}
		var typeSeen bool
		p.pairs(vn, opath, "an object mapping", objectKeys, func(key string, kn, vn *yaml.Node) {
			kpath := join(opath, key)
			switch key {
			case "type":
				typeSeen = true
				if vn.Kind != yaml.ScalarNode {
					p.errorf(vn, kpath, "type must be goal, goaltemplate or metric, got %s", kindName(vn))
					return
				}
				switch vn.Value {
				case "goal", "goaltemplate", "metric":
					om.entity = vn.Value
				default:
					p.errorf(vn, kpath, "unknown event type %q (want goal, goaltemplate or metric)", vn.Value)
				}
			case "externalId":
				if e := p.expr(vn, kpath); e != nil {
					om.externalID = e
				}
			case "fullRecord":
				om.fullRecord = p.condition(vn, kpath)
			case "fields":
				p.pairs(vn, kpath, "fields", nil, func(target string, tk, rn *yaml.Node) {
					if strings.TrimSpace(target) == "" {
						p.errorf(tk, kpath, "empty target field name")
						return
					}
					if p.owned(tk, join(kpath, target), target) {
						return
					}
					if r := p.rule(rn, join(kpath, target), target); r != nil {
						om.rules = append(om.rules, r)
					}
				})
			case "constants":
				om.constants = map[string]any{}
				p.pairs(vn, kpath, "constants", nil, func(target string, tk, cn *yaml.Node) {
					if strings.TrimSpace(target) == "" {
						p.errorf(tk, kpath, "empty target field name")
						return
					}
					if p.owned(tk, join(kpath, target), target) {
						return
					}
					if v, ok := p.literal(cn, join(kpath, target)); ok {
						om.constants[target] = v
					}
				})
			case "associate", "dissociate":
				a := &assocRules{}
				p.pairs(vn, kpath, key, []string{"CTA", "SP"}, func(k string, _, en *yaml.Node) {
					e := p.expr(en, join(kpath, k))
					if e == nil {
						return
					}
					if k == "CTA" {
						a.cta = e
					} else {
						a.sp = e
					}
				})
				if key == "associate" {
					om.associate = a
				} else {
					om.dissociate = a
				}
			case "onDelete":
				om.onDelete = p.onDelete(vn, kpath)
			}
		})
		if !typeSeen && vn.Kind == yaml.MappingNode {
			p.errorf(vn, opath, "missing type: (goal, goaltemplate or metric)")
		}
		for _, r := range om.rules {
			if _, dup := om.constants[r.target]; dup {
				p.errorf(vn, opath, "target %q is set by both fields and constants", r.target)
			}
		}
		sm.objects[name] = om
	})
}

// expr compiles a JMESPath expression held in a scalar node.
func (p *parser) expr(n *yaml.Node, path string) *expression {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, path, "want a JMESPath expression, got %s", kindName(n))
		return nil
	}
	src := strings.TrimSpace(n.Value)
	if src == "" {
		p.errorf(n, path, "empty JMESPath expression")
		return nil
	}
	e, err := compile(src)
	if err != nil {
		p.errorf(n, path, "bad JMESPath expression %q: %v", src, err)
		return nil
	}
	return e
}

// condition is a boolean or a JMESPath expression whose truthiness decides.
func (p *parser) condition(n *yaml.Node, path string) *expression {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err != nil {
			p.errorf(n, path, "%v", err)
			return nil
		}
		if b {
			return alwaysTrue
		}
		return nil
	}
	return p.expr(n, path)
}

// literal decodes a scalar (string, number, boolean, null) or a list of
// scalars to the Go value that encoding/json marshals as the same JSON.
func (p *parser) literal(n *yaml.Node, path string) (any, bool) {
	return p.literalAt(n, path, 0)
}

func (p *parser) literalAt(n *yaml.Node, path string, depth int) (any, bool) {
	n = deref(n)
	if depth > 8 {
		p.errorf(n, path, "value nested too deeply")
		return nil, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			p.errorf(n, path, "%v", err)
			return nil, false
		}
		switch v.(type) {
		case nil, string, bool, int, int64, uint64, float64:
			return v, true
		}
		// Timestamps and other YAML types: keep the text as written.
		return n.Value, true
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, ok := p.literalAt(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if !ok {
				return nil, false
			}
			list = append(list, v)
		}
		return list, true
	}
	p.errorf(n, path, "want a value (string, number, boolean, null or a list of them), got %s", kindName(n))
	return nil, false
}

var ruleKeys = []string{"expr", "map", "mapDefault", "unmapped", "default", "format", "required"}

func (p *parser) rule(n *yaml.Node, path, target string) *fieldRule {
	n = deref(n)
	r := &fieldRule{target: target}
	if n.Kind == yaml.ScalarNode {
		// Shorthand: Target: <expression>
		if r.expr = p.expr(n, path); r.expr == nil {
			return nil
		}
		return r
	}
	var mapN *yaml.Node
	var exprSeen bool
	ok := p.pairs(n, path, "a field rule", ruleKeys, func(key string, _, vn *yaml.Node) {
		kpath := join(path, key)
		switch key {
		case "expr":
			exprSeen = true
			r.expr = p.expr(vn, kpath)
		case "map":
			mapN = vn
			if vn.Kind != yaml.MappingNode {
				p.errorf(vn, kpath, "value map must be a mapping of source value to target value, got %s", kindName(vn))
				return
			}
			r.valueMap = map[string]any{}
			p.pairs(vn, kpath, "a value map", nil, func(from string, _, tn *yaml.Node) {
				if v, ok := p.literal(tn, join(kpath, from)); ok {
					r.valueMap[from] = v
				}
			})
		case "mapDefault":
			if v, ok := p.literal(vn, kpath); ok {
				r.mapDefault, r.hasMapDefault = v, true
			}
		case "unmapped":
			if vn.Kind != yaml.ScalarNode {
				p.errorf(vn, kpath, "unmapped must be error, keep or omit, got %s", kindName(vn))
				return
			}
			switch vn.Value {
			case "error":
				r.unmapped = unmappedError
			case "keep":
				r.unmapped = unmappedKeep
			case "omit":
				r.unmapped = unmappedOmit
			default:
				p.errorf(vn, kpath, "unmapped must be error, keep or omit, got %q (use mapDefault: for a replacement value)", vn.Value)
			}
			r.unmappedSet = true
		case "default":
			if v, ok := p.literal(vn, kpath); ok {
				r.def, r.hasDefault = v, true
			}
		case "format":
			if vn.Kind != yaml.ScalarNode {
				p.errorf(vn, kpath, "format must be one of %s, got %s", strings.Join(formatNames, ", "), kindName(vn))
				return
			}
			f, known := formats[vn.Value]
			if !known {
				p.errorf(vn, kpath, "unknown format %q (want one of %s)", vn.Value, strings.Join(formatNames, ", "))
				return
			}
			r.format = f
		case "required":
			if vn.Kind != yaml.ScalarNode || vn.Tag != "!!bool" {
				p.errorf(vn, kpath, "required must be true or false, got %s", kindName(vn))
				return
			}
			r.required = vn.Value == "true"
		}
	})
	if !ok {
		return nil
	}
	if !exprSeen {
		p.errorf(n, path, "field rule has no expr:")
	}
	if mapN == nil && (r.hasMapDefault || r.unmappedSet) {
		p.errorf(n, path, "mapDefault: and unmapped: need a map:")
	}
	if r.hasMapDefault && r.unmappedSet {
		p.errorf(n, path, "mapDefault: and unmapped: exclude each other")
	}
	if r.expr == nil {
		return nil
	}
	return r
}

func (p *parser) onDelete(n *yaml.Node, path string) *deleteRule {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "ignore":
			return nil
		case "emit":
			return &deleteRule{}
		}
		p.errorf(n, path, "onDelete must be ignore, emit or a mapping with fields:, got %q", n.Value)
		return nil
	}
	d := &deleteRule{}
	p.pairs(n, path, "onDelete", []string{"fields"}, func(_ string, _, fn *yaml.Node) {
		fpath := join(path, "fields")
		d.fields = map[string]any{}
		p.pairs(fn, fpath, "onDelete fields", nil, func(target string, tk, vn *yaml.Node) {
			if strings.TrimSpace(target) == "" {
				p.errorf(tk, fpath, "empty target field name")
				return
			}
			if p.owned(tk, join(fpath, target), target) {
				return
			}
			if v, ok := p.literal(vn, join(fpath, target)); ok {
				d.fields[target] = v
			}
		})
	})
	return d
}

// expression is a compiled JMESPath expression with what Map needs to know
// about it.
type expression struct {
	src string
	jp  jmespath.JMESPath
	// readsFields: the expression looks into the change's fields, so its
	// value tells whether the change touched a mapped field.
	readsFields bool
	// path is set when the expression is only field names joined by dots
	// (fields.name, recordId): search then looks them up directly.
	path []string
}

func (e *expression) search(doc map[string]any) (any, error) {
	if e.path != nil {
		// What the interpreter does for a field on a map[string]any; any
		// other value (a struct it would read by reflection) goes to it.
		var cur any = doc
		for _, key := range e.path {
			m, ok := cur.(map[string]any)
			if !ok {
				return e.jp.Search(doc)
			}
			if cur = m[key]; cur == nil {
				return nil, nil
			}
		}
		return cur, nil
	}
	return e.jp.Search(doc)
}

var alwaysTrue = mustCompile("`true`")

var defaultExternalID = mustCompile("recordId")

func mustCompile(src string) *expression {
	e, err := compile(src)
	if err != nil {
		panic(err)
	}
	return e
}

func compile(src string) (*expression, error) {
	ast, err := parsing.NewParser().Parse(src)
	if err != nil {
		return nil, err
	}
	jp, err := jmespath.Compile(src)
	if err != nil {
		return nil, err
	}
	path, _ := fieldPath(ast, nil)
	return &expression{src: src, jp: jp, readsFields: mentions(ast, "fields"), path: path}, nil
}

// fieldPath returns the names of an expression made only of fields and
// subexpressions (a.b.c), in order; ok is false for anything else.
func fieldPath(n parsing.ASTNode, path []string) (_ []string, ok bool) {
	switch n.NodeType {
	case parsing.ASTField:
		s, ok := n.Value.(string)
		return append(path, s), ok
	case parsing.ASTSubexpression:
		if len(n.Children) != 2 {
			return nil, false
		}
		if path, ok = fieldPath(n.Children[0], path); !ok {
			return nil, false
		}
		return fieldPath(n.Children[1], path)
	}
	return nil, false
}

// mentions reports whether the AST names the field name anywhere.
func mentions(n parsing.ASTNode, name string) bool {
	if n.NodeType == parsing.ASTField {
		if s, ok := n.Value.(string); ok && s == name {
			return true
		}
	}
	for _, c := range n.Children {
		if mentions(c, name) {
			return true
		}
	}
	return false
}

// typeFor turns the configured entity into the event type for op.
func typeFor(entity string, del bool) events.Type {
	if del {
		return events.Type(entity + ".deleted")
	}
	return events.Type(entity + ".upserted")
}
