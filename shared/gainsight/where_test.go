package gainsight_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

func TestWhere(t *testing.T) {
	a := gainsight.Cond("Name", gainsight.OpEQ, "x")
	b := gainsight.Cond("Name", gainsight.OpContains, "y")
	c := gainsight.Cond("DueDate", gainsight.OpIsNotNull)
	d := gainsight.Cond("StatusId", gainsight.OpIN, "s1", "s2")
	tests := []struct {
		name    string
		clause  *gainsight.WhereClause
		expr    string
		aliases []string
	}{
		{"one condition", gainsight.Where(a), "A", []string{"A"}},
		{"several ANDed", gainsight.Where(a, b, c), "A AND B AND C", []string{"A", "B", "C"}},
		{"or", gainsight.Where(gainsight.Or(a, b)), "A OR B", []string{"A", "B"}},
		{"and of or", gainsight.Where(a, gainsight.Or(b, c)), "A AND (B OR C)", []string{"A", "B", "C"}},
		{"or of ands", gainsight.Where(gainsight.Or(gainsight.And(a, b), gainsight.And(c, d))), "(A AND B) OR (C AND D)", []string{"A", "B", "C", "D"}},
		{"same op nested flattens", gainsight.Where(gainsight.And(a, gainsight.And(b, c))), "A AND B AND C", []string{"A", "B", "C"}},
		{"single-element junction", gainsight.Where(gainsight.Or(gainsight.And(a))), "A", []string{"A"}},
		{"explicit aliases kept, others skip them", gainsight.Where(a.As("A"), b, c.As("B")), "A AND C AND B", []string{"A", "C", "B"}},
		{"empty junctions dropped", gainsight.Where(gainsight.And(), a, gainsight.Or()), "A", []string{"A"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.clause == nil {
				t.Fatal("nil clause")
			}
			check(t, "Expression", tc.clause.Expression, tc.expr)
			var got []string
			for _, c := range tc.clause.Conditions {
				got = append(got, c.Alias)
				if c.Value == nil {
					t.Errorf("%s: nil Value (sent as null)", c.Alias)
				}
			}
			if d := cmp.Diff(tc.aliases, got); d != "" {
				t.Errorf("aliases (-want +got):\n%s", d)
			}
		})
	}
	if w := gainsight.Where(gainsight.And()); w != nil {
		t.Errorf("Where(And()) = %+v, want nil", w)
	}
	if w := gainsight.Where(nil); w != nil {
		t.Errorf("Where(nil) = %+v, want nil", w)
	}
}

func TestWhereManyAliases(t *testing.T) {
	var exprs []gainsight.Expr
	for range 30 {
		exprs = append(exprs, gainsight.Cond("Name", gainsight.OpNE, "x"))
	}
	w := gainsight.Where(gainsight.Or(exprs...))
	got := []string{w.Conditions[0].Alias, w.Conditions[25].Alias, w.Conditions[26].Alias, w.Conditions[29].Alias}
	if d := cmp.Diff([]string{"A", "Z", "AA", "AD"}, got); d != "" {
		t.Errorf("aliases (-want +got):\n%s", d)
	}
}

func TestRecordFields(t *testing.T) {
	// Typed fields win over Fields; Fields fill in the rest; nil clears.
	r := gainsight.GoalRecord{
		Gsid: "1CG0X", Name: "typed",
		Fields: map[string]any{"Name": "from map", "StatusName": "On Track", "Description": nil, "x__gc": 3},
	}
	b, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	check(t, "json", string(b), `{"Description":null,"Gsid":"1CG0X","Name":"typed","StatusName":"On Track","x__gc":3}`)

	var back gainsight.GoalRecord
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	want := gainsight.GoalRecord{Gsid: "1CG0X", Name: "typed", StatusName: "On Track",
		Fields: map[string]any{"x__gc": 3.0}} // a null known member decodes as its zero value
	if d := cmp.Diff(want, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}

	// Without Fields the struct encodes as is, HTML left alone.
	b, _ = gainsight.TemplateRecord{Name: "<b>t</b>", DueDays: gainsight.Ptr(0)}.MarshalJSON()
	check(t, "template", string(b), `{"Name":"<b>t</b>","DueDate":0}`)
	check(t, "custom", gainsight.CustomField("crm_stage__gc"), true)
}
