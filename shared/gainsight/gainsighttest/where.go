package gainsighttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

func itoa(n int) string { return strconv.Itoa(n) }

// Where-clause operators the simulator supports.
var operators = map[string]bool{
	"EQ": true, "NE": true, "IN": true, "NOT_IN": true,
	"CONTAINS": true, "NOT_CONTAINS": true, "STARTS_WITH": true, "ENDS_WITH": true,
	"GT": true, "GTE": true, "LT": true, "LTE": true, "BTW": true,
	"IS_NULL": true, "IS_NOT_NULL": true,
}

// Limits of where expressions.
const (
	maxExpressionLen   = 4096
	maxExpressionDepth = 64
)

// expr is a parsed where expression.
type expr interface {
	eval(truth func(alias string) bool) bool
	// String prints the expression with the fewest parentheses; it parses
	// back to an equivalent expression, never nested deeper than its source.
	String() string
	// full prints every AND and OR group in parentheses (for tests).
	full() string
	walk(fn func(alias string))
}

type aliasExpr string

func (a aliasExpr) eval(truth func(string) bool) bool { return truth(string(a)) }
func (a aliasExpr) String() string                    { return string(a) }
func (a aliasExpr) full() string                      { return string(a) }
func (a aliasExpr) walk(fn func(string))              { fn(string(a)) }

// boolExpr is an n-ary AND or OR.
type boolExpr struct {
	op   string // "AND" or "OR"
	args []expr
}

func (b *boolExpr) eval(truth func(string) bool) bool {
	for _, a := range b.args {
		v := a.eval(truth)
		if b.op == "AND" && !v {
			return false
		}
		if b.op == "OR" && v {
			return true
		}
	}
	return b.op == "AND"
}

func (b *boolExpr) String() string {
	parts := make([]string, len(b.args))
	for i, a := range b.args {
		parts[i] = a.String()
		// Only an OR inside an AND needs parentheses: AND binds tighter.
		if inner, ok := a.(*boolExpr); ok && b.op == "AND" && inner.op == "OR" {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " "+b.op+" ")
}

func (b *boolExpr) full() string {
	parts := make([]string, len(b.args))
	for i, a := range b.args {
		parts[i] = a.full()
	}
	return "(" + strings.Join(parts, " "+b.op+" ") + ")"
}

func (b *boolExpr) walk(fn func(string)) {
	for _, a := range b.args {
		a.walk(fn)
	}
}

// ErrExpression is wrapped by every where-expression parse error.
var ErrExpression = errors.New("invalid where expression")

// parseExpression parses a where expression: aliases (letters, digits and
// underscores) combined with AND and OR (case-insensitive) and parentheses;
// AND binds tighter than OR. It never panics; it refuses inputs longer than
// 4096 bytes or nested deeper than 64 levels.
func parseExpression(s string) (expr, error) {
	if len(s) > maxExpressionLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrExpression, maxExpressionLen)
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrExpression)
	}
	p := &exprParser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected %q at token %d", ErrExpression, p.toks[p.pos], p.pos+1)
	}
	return e, nil
}

func isAliasByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case isAliasByte(c):
			j := i
			for j < len(s) && isAliasByte(s[j]) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("%w: unexpected character %q at byte %d", ErrExpression, rune(c), i+1)
		}
	}
	return toks, nil
}

type exprParser struct {
	toks []string
	pos  int
}

func (p *exprParser) peekKeyword(kw string) bool {
	return p.pos < len(p.toks) && strings.EqualFold(p.toks[p.pos], kw)
}

func (p *exprParser) or(depth int) (expr, error) {
	return p.chain(depth, "OR", p.and)
}

func (p *exprParser) and(depth int) (expr, error) {
	return p.chain(depth, "AND", p.factor)
}

func (p *exprParser) chain(depth int, op string, next func(int) (expr, error)) (expr, error) {
	first, err := next(depth)
	if err != nil {
		return nil, err
	}
	args := []expr{first}
	for p.peekKeyword(op) {
		p.pos++
		e, err := next(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &boolExpr{op: op, args: args}, nil
}

func (p *exprParser) factor(depth int) (expr, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("%w: ends where an alias or '(' is expected", ErrExpression)
	}
	tok := p.toks[p.pos]
	switch {
	case tok == "(":
		if depth >= maxExpressionDepth {
			return nil, fmt.Errorf("%w: nested deeper than %d", ErrExpression, maxExpressionDepth)
		}
		p.pos++
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos] != ")" {
			return nil, fmt.Errorf("%w: missing ')'", ErrExpression)
		}
		p.pos++
		return e, nil
	case tok == ")":
		return nil, fmt.Errorf("%w: unexpected ')' at token %d", ErrExpression, p.pos+1)
	case strings.EqualFold(tok, "AND") || strings.EqualFold(tok, "OR") || strings.EqualFold(tok, "NOT"):
		return nil, fmt.Errorf("%w: unexpected %s at token %d (NOT is not supported)", ErrExpression, strings.ToUpper(tok), p.pos+1)
	}
	p.pos++
	return aliasExpr(tok), nil
}

// ---- conditions --------------------------------------------------------

type compiledCond struct {
	field  string
	op     string
	values []string
}

// compileWhere validates a where clause into a predicate over stored fields.
func (t *tenant) compileWhere(w *whereClause) (func(map[string]any) bool, *apiError) {
	if w == nil || (len(w.Conditions) == 0 && strings.TrimSpace(w.Expression) == "") {
		return func(map[string]any) bool { return true }, nil
	}
	conds := map[string]compiledCond{}
	var order []string
	for _, c := range w.Conditions {
		if !t.isField(c.FieldName) {
			return nil, exceptionf("Invalid fields in where clause - %s", c.FieldName)
		}
		op := strings.ToUpper(c.Operator)
		if !operators[op] {
			return nil, exceptionf("Invalid operator in where clause - %q", c.Operator)
		}
		if c.Alias == "" || strings.IndexFunc(c.Alias, func(r rune) bool { return r > 127 || !isAliasByte(byte(r)) }) >= 0 ||
			strings.EqualFold(c.Alias, "AND") || strings.EqualFold(c.Alias, "OR") || strings.EqualFold(c.Alias, "NOT") {
			return nil, exceptionf("Invalid alias in where clause - %q (letters, digits and _)", c.Alias)
		}
		if _, dup := conds[c.Alias]; dup {
			return nil, exceptionf("Invalid alias in where clause - %q is used twice", c.Alias)
		}
		vals, err := conditionValues(c.Value)
		if err != nil {
			return nil, exceptionf("Invalid value in where clause for %s - %v", c.Alias, err)
		}
		switch {
		case op == "IS_NULL" || op == "IS_NOT_NULL":
		case op == "BTW" && len(vals) != 2:
			return nil, exceptionf("Invalid value in where clause for %s - BTW takes two values", c.Alias)
		case len(vals) == 0:
			return nil, exceptionf("Invalid value in where clause for %s - %s needs a value", c.Alias, op)
		}
		conds[c.Alias] = compiledCond{field: c.FieldName, op: op, values: vals}
		order = append(order, c.Alias)
	}
	var e expr
	if strings.TrimSpace(w.Expression) == "" {
		args := make([]expr, len(order))
		for i, a := range order {
			args[i] = aliasExpr(a)
		}
		e = &boolExpr{op: "AND", args: args}
	} else {
		var err error
		if e, err = parseExpression(w.Expression); err != nil {
			return nil, exceptionf("Invalid expression in where clause - %v", err)
		}
	}
	var missing []string
	e.walk(func(a string) {
		if _, ok := conds[a]; !ok {
			missing = append(missing, a)
		}
	})
	if len(missing) > 0 {
		return nil, exceptionf("Invalid expression in where clause - unknown alias %s", strings.Join(missing, ", "))
	}
	return func(f map[string]any) bool {
		return e.eval(func(a string) bool { return conds[a].match(f[conds[a].field]) })
	}, nil
}

// conditionValues reads a condition's value: a list (as in the spec) or a
// single scalar; numbers and booleans are compared by their text.
func conditionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	out := make([]string, 0, len(list))
	for _, it := range list {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case json.Number:
			out = append(out, x.String())
		case bool:
			out = append(out, strconv.FormatBool(x))
		case nil:
			out = append(out, "")
		default:
			return nil, errors.New("values are strings, numbers or booleans")
		}
	}
	return out, nil
}

// match evaluates the condition on a stored value. EQ, IN, NE and NOT_IN
// compare text exactly (equalValues); CONTAINS, STARTS_WITH, ENDS_WITH
// and the ordering operators ignore case (the spec's STARTS_WITH "barca"
// matches "Barca custom goal");
// GT/LT and friends compare numbers numerically and other text (such as
// YYYY-MM-DD dates) lexically. A list field matches if any element does.
func (c compiledCond) match(v any) bool {
	var have []string
	switch x := v.(type) {
	case nil:
	case []string:
		have = x
	default:
		if s := fieldString(x); s != "" {
			have = []string{s}
		}
	}
	switch c.op {
	case "IS_NULL":
		return len(have) == 0
	case "IS_NOT_NULL":
		return len(have) > 0
	case "NE", "NOT_IN":
		return !anyMatch(have, c.values, func(h, w string) bool { return equalValues(h, w) })
	case "NOT_CONTAINS":
		return !anyMatch(have, c.values, func(h, w string) bool { return strings.Contains(lower(h), lower(w)) })
	}
	var pred func(h, w string) bool
	switch c.op {
	case "EQ", "IN":
		pred = equalValues
	case "CONTAINS":
		pred = func(h, w string) bool { return strings.Contains(lower(h), lower(w)) }
	case "STARTS_WITH":
		pred = func(h, w string) bool { return strings.HasPrefix(lower(h), lower(w)) }
	case "ENDS_WITH":
		pred = func(h, w string) bool { return strings.HasSuffix(lower(h), lower(w)) }
	case "GT":
		pred = func(h, w string) bool { return compareValues(h, w) > 0 }
	case "GTE":
		pred = func(h, w string) bool { return compareValues(h, w) >= 0 }
	case "LT":
		pred = func(h, w string) bool { return compareValues(h, w) < 0 }
	case "LTE":
		pred = func(h, w string) bool { return compareValues(h, w) <= 0 }
	case "BTW":
		for _, h := range have {
			if compareValues(h, c.values[0]) >= 0 && compareValues(h, c.values[1]) <= 0 {
				return true
			}
		}
		return false
	default:
		return false
	}
	if c.op != "EQ" && c.op != "IN" {
		return anyMatch(have, c.values[:1], pred)
	}
	return anyMatch(have, c.values, pred)
}

func anyMatch(have, want []string, pred func(h, w string) bool) bool {
	for _, h := range have {
		for _, w := range want {
			if pred(h, w) {
				return true
			}
		}
	}
	return false
}

func lower(s string) string { return strings.ToLower(s) }

// equalValues is the equality of EQ, IN, NE and NOT_IN: numbers compare
// numerically, text exactly (case-sensitively). Only the pattern operators
// are shown ignoring case by the spec's samples; nothing shows EQ doing so,
// and a client that relies on it would find duplicates in production.
func equalValues(a, b string) bool {
	fa, errA := strconv.ParseFloat(strings.TrimSpace(a), 64)
	fb, errB := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if errA == nil && errB == nil {
		return fa == fb
	}
	return a == b
}

func compareValues(a, b string) int {
	fa, errA := strconv.ParseFloat(strings.TrimSpace(a), 64)
	fb, errB := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if errA == nil && errB == nil {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(lower(a), lower(b))
}
