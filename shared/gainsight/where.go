package gainsight

import "strings"

// Operator compares a field with the values of a Condition.
type Operator string

// Operators of where conditions. The spec's samples show EQ, STARTS_WITH
// and CONTAINS; the others are Gainsight's usual query operators. Operator
// is a string type, so any other operator the tenant knows can be used.
const (
	OpEQ         Operator = "EQ"
	OpNE         Operator = "NE"
	OpIN         Operator = "IN"
	OpNotIN      Operator = "NOT_IN"
	OpContains   Operator = "CONTAINS"
	OpStartsWith Operator = "STARTS_WITH"
	OpEndsWith   Operator = "ENDS_WITH"
	OpGT         Operator = "GT"
	OpGTE        Operator = "GTE"
	OpLT         Operator = "LT"
	OpLTE        Operator = "LTE"
	OpIsNull     Operator = "IS_NULL"
	OpIsNotNull  Operator = "IS_NOT_NULL"
)

// Condition is one condition of a where clause, as sent:
// {"fieldName": "Name", "value": ["x"], "alias": "A", "operator": "EQ"}.
type Condition struct {
	FieldName string   `json:"fieldName"`
	Value     []any    `json:"value"`
	Alias     string   `json:"alias"`
	Operator  Operator `json:"operator"`
}

// Cond is the condition "field op values". IN and NOT_IN take several
// values, IS_NULL and IS_NOT_NULL none, the others one. Where gives it an
// alias unless As did.
func Cond(field string, op Operator, values ...any) Condition {
	if values == nil {
		values = []any{}
	}
	return Condition{FieldName: field, Value: values, Operator: op}
}

// As returns c with the alias a (Where generates A, B, C, ... otherwise).
func (c Condition) As(alias string) Condition {
	c.Alias = alias
	return c
}

// Expr is a boolean expression over conditions: a Condition, And(...) or
// Or(...), nested as deep as needed.
type Expr interface {
	build(w *whereBuilder, parent string)
}

type junction struct {
	op    string // "AND", "OR"
	exprs []Expr
}

// And is true when every one of exprs is.
func And(exprs ...Expr) Expr { return junction{op: "AND", exprs: exprs} }

// Or is true when any one of exprs is.
func Or(exprs ...Expr) Expr { return junction{op: "OR", exprs: exprs} }

// WhereClause is the "where" member of a fetch: the conditions and a
// boolean expression over their aliases, such as "A AND (B OR C)". Build
// one with Where, or fill it in by hand.
type WhereClause struct {
	Conditions []Condition `json:"conditions"`
	Expression string      `json:"expression"`
}

// Where builds the where clause for e and the further exprs, ANDed:
//
//	gainsight.Where(
//		gainsight.Cond("Name", gainsight.OpStartsWith, "barca"),
//		gainsight.Or(
//			gainsight.Cond("StatusId", gainsight.OpIN, "1I005...", "1I006..."),
//			gainsight.Cond("DueDate", gainsight.OpIsNull),
//		),
//	)
//
// gives conditions A, B, C and the expression "A AND (B OR C)". Conditions
// without an alias get the next free one of A…Z, AA, AB, …; aliases set
// with Condition.As are kept. Where returns nil for no conditions, which
// fetches without a filter.
func Where(e Expr, more ...Expr) *WhereClause {
	if len(more) > 0 {
		e = And(append([]Expr{e}, more...)...)
	}
	if e == nil {
		return nil
	}
	w := &whereBuilder{used: map[string]bool{}}
	collectAliases(e, w.used)
	e.build(w, "")
	if len(w.clause.Conditions) == 0 {
		return nil
	}
	w.clause.Expression = w.expr.String()
	return &w.clause
}

type whereBuilder struct {
	clause WhereClause
	expr   strings.Builder
	used   map[string]bool
	next   int
}

func collectAliases(e Expr, used map[string]bool) {
	switch e := e.(type) {
	case Condition:
		if e.Alias != "" {
			used[e.Alias] = true
		}
	case junction:
		for _, x := range e.exprs {
			collectAliases(x, used)
		}
	}
}

// alias returns the next unused generated alias: A … Z, AA, AB, …
func (w *whereBuilder) alias() string {
	for {
		n := w.next
		w.next++
		var b []byte
		for {
			b = append([]byte{byte('A' + n%26)}, b...)
			n = n/26 - 1
			if n < 0 {
				break
			}
		}
		if a := string(b); !w.used[a] {
			w.used[a] = true
			return a
		}
	}
}

func (c Condition) build(w *whereBuilder, _ string) {
	if c.Alias == "" {
		c.Alias = w.alias()
	}
	if c.Value == nil {
		c.Value = []any{}
	}
	w.clause.Conditions = append(w.clause.Conditions, c)
	w.expr.WriteString(c.Alias)
}

func (j junction) build(w *whereBuilder, parent string) {
	var parts []Expr
	for _, e := range j.exprs {
		if e != nil && !emptyExpr(e) {
			parts = append(parts, e)
		}
	}
	if len(parts) == 1 {
		parts[0].build(w, parent)
		return
	}
	paren := parent != "" && parent != j.op
	if paren {
		w.expr.WriteByte('(')
	}
	for i, e := range parts {
		if i > 0 {
			w.expr.WriteString(" " + j.op + " ")
		}
		e.build(w, j.op)
	}
	if paren {
		w.expr.WriteByte(')')
	}
}

func emptyExpr(e Expr) bool {
	j, ok := e.(junction)
	if !ok {
		return false
	}
	for _, x := range j.exprs {
		if x != nil && !emptyExpr(x) {
			return false
		}
	}
	return true
}
