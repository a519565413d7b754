package gainsighttest

import (
	"errors"
	"strings"
	"testing"
)

func TestParseExpression(t *testing.T) {
	tests := []struct {
		in, want string
		// truth table row: aliases true → want result
		trueAliases string
		result      bool
	}{
		{"A", "A", "A", true},
		{"A AND B", "(A AND B)", "A", false},
		{"A and B", "(A AND B)", "A B", true},
		{"A OR B", "(A OR B)", "B", true},
		{"A OR B AND C", "(A OR (B AND C))", "B", false},    // AND binds tighter
		{"A OR B AND C", "(A OR (B AND C))", "A", true},     //
		{"(A OR B) AND C", "((A OR B) AND C)", "A", false},  // parentheses win
		{"(A OR B) AND C", "((A OR B) AND C)", "B C", true}, //
		{"A AND B OR C AND D", "((A AND B) OR (C AND D))", "C D", true},
		{"((A))", "A", "A", true},
		{" A\tAND\n(B OR C_2) ", "(A AND (B OR C_2))", "A C_2", true},
		{"A AND B AND C", "(A AND B AND C)", "A B", false},
		{"cond1 Or cond2", "(cond1 OR cond2)", "cond2", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := parseExpression(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := parseExpression(e.String()); err != nil || again.full() != e.full() {
				t.Errorf("String() %q reparses as %v, %v", e.String(), again, err)
			}
			if got := e.full(); got != tt.want {
				t.Errorf("full() = %q, want %q", got, tt.want)
			}
			truth := map[string]bool{}
			for _, a := range strings.Fields(tt.trueAliases) {
				truth[a] = true
			}
			if got := e.eval(func(a string) bool { return truth[a] }); got != tt.result {
				t.Errorf("eval with %s true = %v", tt.trueAliases, got)
			}
		})
	}
}

func TestParseExpressionErrors(t *testing.T) {
	for _, in := range []string{
		"", "   ", "(", ")", "A AND", "AND A", "A B", "A OR OR B", "(A", "A)", "()", "A & B", "A || B",
		"NOT A", "A AND NOT B", "é", strings.Repeat("(", 65) + "A" + strings.Repeat(")", 65),
		strings.Repeat("A OR ", 1000) + "A",
	} {
		if _, err := parseExpression(in); !errors.Is(err, ErrExpression) {
			t.Errorf("parseExpression(%.40q) = %v, want ErrExpression", in, err)
		}
	}
	// Nesting up to the limit is fine.
	if _, err := parseExpression(strings.Repeat("(", 64) + "A" + strings.Repeat(")", 64)); err != nil {
		t.Error(err)
	}
}

// FuzzParseExpression: the parser never panics, and what it accepts prints
// back to an expression that parses to the same thing.
func FuzzParseExpression(f *testing.F) {
	for _, s := range []string{
		"A", "A AND B", "A OR B AND C", "(A OR B) AND C", "((A))", "A and b Or C",
		"A AND (B OR (C AND D))", "", "(", ")(", "A AND", "NOT A", "A\x00B", "(((((A)))))",
		"a_1 OR b_2", "A OR", "é AND ü", strings.Repeat("(", 70) + "A",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseExpression(s)
		if err != nil {
			if !errors.Is(err, ErrExpression) {
				t.Fatalf("error does not wrap ErrExpression: %v", err)
			}
			return
		}
		printed := e.String()
		if len(printed) > maxExpressionLen {
			return // spacing can lengthen a dense input past the limit
		}
		again, err := parseExpression(printed)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("%q: %q reprints as %q", s, printed, again.String())
		}
		if full := e.full(); full != "" {
			if _, err := parseExpression(full); err != nil && len(full) <= maxExpressionLen && !strings.Contains(err.Error(), "nested deeper") {
				t.Fatalf("%q: full form %q does not parse: %v", s, full, err)
			}
		}
		n := 0
		e.walk(func(string) { n++ })
		if n == 0 {
			t.Fatalf("%q parsed without aliases", s)
		}
		e.eval(func(string) bool { return true })
		e.eval(func(string) bool { return false })
	})
}
