package goalctl

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// DefaultGoalFields are the fields goals fetch selects without --select.
var DefaultGoalFields = []string{"Gsid", "Name", "StatusId", "DueDate", "EntityType", "CompanyId", "GoalTypeId", "ModifiedDate"}

// Environment variables of goals fetch.
const (
	EnvBaseURL   = "GAINSIGHT_BASE_URL"
	EnvAccessKey = "GAINSIGHT_ACCESS_KEY"
)

type goalsFlags struct {
	baseURL    string
	accessKey  string
	where      []string
	expression string
	fields     []string
	limit      int
	pageSize   int
	output     *string
	timeout    time.Duration
}

func newGoalsCommand(a *app) *cobra.Command {
	goals := &cobra.Command{
		Use:   "goals",
		Short: "Work with goals in Gainsight",
		Args:  groupArgs,
		RunE:  groupRunE,
	}
	f := &goalsFlags{}
	fetch := &cobra.Command{
		Use:   "fetch [--where 'FIELD OP VALUE' ...] [--expression 'A AND (B OR C)']",
		Short: "Query goals in Gainsight, as a table or JSON",
		Long: `Fetch queries the Customer Goals API (POST /v1/csgoal/external/fetch) and
prints the goals, page after page, as a table or JSON.

The tenant comes from --base-url and --access-key, or GAINSIGHT_BASE_URL and
GAINSIGHT_ACCESS_KEY (preferred for the key: a flag shows in the process
list). The key is never printed.

--where takes a condition "FIELD OP VALUE" and may be repeated. OP is one of
EQ NE IN NOT_IN CONTAINS STARTS_WITH ENDS_WITH GT GTE LT LTE IS_NULL
IS_NOT_NULL (any case; = != > >= < <= also work). IN and NOT_IN take a
comma-separated list; IS_NULL and IS_NOT_NULL take no value. The conditions
are named A, B, C, ... in order and ANDed, unless --expression combines them
otherwise.`,
		Example: `  export GAINSIGHT_BASE_URL=https://acme.gainsightcloud.com GAINSIGHT_ACCESS_KEY=...
  goalctl goals fetch --where 'Name CONTAINS adoption'
  goalctl goals fetch --where 'EntityType EQ COMPANY' --where 'DueDate IS_NULL' \
      --where 'Name STARTS_WITH Acme' --expression 'A AND (B OR C)' --select Gsid,Name,DueDate -o json
  goalctl goals fetch --where 'goalrelay_external_id__gc EQ hubspot/portal/62515:901' --limit 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGoalsFetch(cmd.Context(), a, f)
		},
	}
	fl := fetch.Flags()
	addTenantFlags(fetch, &f.baseURL, &f.accessKey)
	fl.StringArrayVar(&f.where, "where", nil, "condition 'FIELD OP VALUE' (repeatable; aliases A, B, C, ... in order)")
	fl.StringVar(&f.expression, "expression", "", "how the conditions combine, e.g. 'A AND (B OR C)' (default: all ANDed)")
	fl.StringSliceVar(&f.fields, "select", DefaultGoalFields, "fields to return, comma-separated API names")
	fl.IntVar(&f.limit, "limit", 0, "print at most N goals (0: all)")
	fl.IntVar(&f.pageSize, "page-size", gainsight.DefaultPageSize, "goals per API call")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "time limit for the whole fetch")
	f.output = addOutputFlag(fetch)
	goals.AddCommand(fetch)
	return goals
}

func runGoalsFetch(ctx context.Context, a *app, f *goalsFlags) error {
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	if f.limit < 0 {
		return usageErrorf("--limit must not be negative")
	}
	if f.pageSize < 1 {
		return usageErrorf("--page-size must be at least 1")
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	var fields []string
	for _, s := range f.fields {
		if s = strings.TrimSpace(s); s != "" {
			fields = append(fields, s)
		}
	}
	if len(fields) == 0 {
		return usageErrorf("--select names no field")
	}
	where, err := buildWhere(f.where, f.expression)
	if err != nil {
		return err
	}
	client, err := tenantClient(a, f.baseURL, f.accessKey)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	pageSize := f.pageSize
	if f.limit > 0 && f.limit < pageSize {
		pageSize = f.limit
	}
	req := &gainsight.FetchGoalsRequest{Select: fields, Where: where, PageSize: pageSize}
	var goals []gainsight.Goal
	for g, err := range client.AllGoals(ctx, req) {
		if err != nil {
			return fmt.Errorf("fetch goals: %w", err)
		}
		goals = append(goals, g)
		if f.limit > 0 && len(goals) >= f.limit {
			break
		}
	}
	rows := make([]map[string]any, len(goals))
	for i, g := range goals {
		if rows[i], err = goalRow(g); err != nil {
			return err
		}
	}
	out := a.env.Stdout
	if *f.output == outputJSON {
		type goalJSON struct {
			Fields         map[string]any               `json:"fields"`
			AssociatedCTAs []gainsight.AssociatedRecord `json:"associatedCTAs"`
			AssociatedSPs  []gainsight.AssociatedRecord `json:"associatedSPs"`
		}
		list := make([]goalJSON, len(goals))
		for i, g := range goals {
			list[i] = goalJSON{Fields: rows[i], AssociatedCTAs: nonNilSlice(g.AssociatedCTAs), AssociatedSPs: nonNilSlice(g.AssociatedSPs)}
		}
		return writeJSON(out, list)
	}
	t := newTable(out, append(slicesClone(fields), "CTAS", "SPS")...)
	for i, g := range goals {
		cells := make([]string, 0, len(fields)+2)
		for _, name := range fields {
			cells = append(cells, formatField(name, rows[i][name]))
		}
		cells = append(cells, strconv.Itoa(len(g.AssociatedCTAs)), strconv.Itoa(len(g.AssociatedSPs)))
		t.row(cells...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stderr, "%d goal(s)\n", len(goals))
	return nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// goalRow is the goal as a map of API names (its JSON form).
func goalRow(g gainsight.Goal) (map[string]any, error) {
	b, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode goal: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encode goal: %w", err)
	}
	return m, nil
}

func formatField(name string, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if (name == "CreatedDate" || name == "ModifiedDate") && v > 1e11 {
			return time.UnixMilli(int64(v)).UTC().Format(time.RFC3339)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var operatorAliases = map[string]gainsight.Operator{
	"=": gainsight.OpEQ, "==": gainsight.OpEQ, "!=": gainsight.OpNE, "<>": gainsight.OpNE,
	">": gainsight.OpGT, ">=": gainsight.OpGTE, "<": gainsight.OpLT, "<=": gainsight.OpLTE,
}

var knownOperators = []gainsight.Operator{
	gainsight.OpEQ, gainsight.OpNE, gainsight.OpIN, gainsight.OpNotIN, gainsight.OpContains,
	gainsight.OpStartsWith, gainsight.OpEndsWith, gainsight.OpGT, gainsight.OpGTE, gainsight.OpLT,
	gainsight.OpLTE, gainsight.OpIsNull, gainsight.OpIsNotNull,
}

// parseCondition reads "FIELD OP VALUE".
func parseCondition(s string) (gainsight.Condition, error) {
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return gainsight.Condition{}, usageErrorf("--where %q: want 'FIELD OP VALUE'", s)
	}
	field, opText := fields[0], fields[1]
	op, ok := operatorAliases[opText]
	if !ok {
		op = gainsight.Operator(strings.ToUpper(opText))
		known := false
		for _, k := range knownOperators {
			if k == op {
				known = true
			}
		}
		if !known {
			return gainsight.Condition{}, usageErrorf("--where %q: unknown operator %q", s, opText)
		}
	}
	// The value is the rest of the text after the operator, spaces kept.
	rest := strings.TrimSpace(s)
	rest = strings.TrimSpace(strings.TrimPrefix(rest, field))
	rest = strings.TrimSpace(strings.TrimPrefix(rest, opText))
	switch op {
	case gainsight.OpIsNull, gainsight.OpIsNotNull:
		if rest != "" {
			return gainsight.Condition{}, usageErrorf("--where %q: %s takes no value", s, op)
		}
		return gainsight.Cond(field, op), nil
	case gainsight.OpIN, gainsight.OpNotIN:
		if rest == "" {
			return gainsight.Condition{}, usageErrorf("--where %q: %s needs a comma-separated list", s, op)
		}
		var vals []any
		for _, v := range strings.Split(rest, ",") {
			vals = append(vals, unquote(strings.TrimSpace(v)))
		}
		return gainsight.Cond(field, op, vals...), nil
	}
	if rest == "" {
		return gainsight.Condition{}, usageErrorf("--where %q: %s needs a value", s, op)
	}
	v := unquote(rest)
	switch op {
	case gainsight.OpGT, gainsight.OpGTE, gainsight.OpLT, gainsight.OpLTE:
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return gainsight.Cond(field, op, n), nil
		}
	}
	return gainsight.Cond(field, op, v), nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

var aliasToken = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// buildWhere turns the --where and --expression flags into a where clause.
func buildWhere(conds []string, expression string) (*gainsight.WhereClause, error) {
	if len(conds) == 0 {
		if expression != "" {
			return nil, usageErrorf("--expression needs --where conditions")
		}
		return nil, nil
	}
	list := make([]gainsight.Condition, len(conds))
	for i, s := range conds {
		c, err := parseCondition(s)
		if err != nil {
			return nil, err
		}
		list[i] = c.As(alias(i))
	}
	if expression == "" {
		exprs := make([]gainsight.Expr, len(list))
		for i, c := range list {
			exprs[i] = c
		}
		return gainsight.Where(gainsight.And(exprs...)), nil
	}
	used := map[string]bool{}
	for _, tok := range aliasToken.FindAllString(expression, -1) {
		switch strings.ToUpper(tok) {
		case "AND", "OR":
			continue
		}
		found := false
		for i := range list {
			if tok == alias(i) {
				found = true
			}
		}
		if !found {
			return nil, usageErrorf("--expression %q names %q, but the conditions are %s", expression, tok, aliasRange(len(list)))
		}
		used[tok] = true
	}
	for i := range list {
		if !used[alias(i)] {
			return nil, usageErrorf("--expression %q does not use condition %s (%s)", expression, alias(i), conds[i])
		}
	}
	return &gainsight.WhereClause{Conditions: list, Expression: expression}, nil
}

// alias is A…Z, AA, AB, … for i = 0, 1, …
func alias(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('A' + i%26)}, b...)
		i = i/26 - 1
		if i < 0 {
			return string(b)
		}
	}
}

func aliasRange(n int) string {
	if n == 1 {
		return "A"
	}
	return "A.." + alias(n-1)
}
