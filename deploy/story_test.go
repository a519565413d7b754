package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/state"
)

// Log fields the saved Logs Insights queries may name, by the function
// whose log group they search: the keys of the functions' JSON log lines
// (shared/apply's per-message line, which shared/apply's story test checks,
// and shared/ingest's per-webhook line), plus the Lambda handler's own
// (level, message, requestId).
var logFields = map[string][]string{
	"ApplyFunction": {"level", "message", "requestId", "message_id", "outcome", "event_id", "event_type", "source",
		"record_key", "error", "gainsight_request_id"},
	"IngestFunction": {"level", "message", "requestId", "source", "status", "changes", "queued", "duration_ms", "reason", "error"},
}

// queriesWanted are what the saved queries must filter on: the event id,
// the record key, the source and the outcome.
var queriesWanted = []string{"event_id", "record_key", "source", "outcome"}

// checkRecordIndex: the state table's record-events index is the one
// shared/state creates and queries (keys, types, projected attributes).
func checkRecordIndex(t *template, report reporter) {
	p := props(t.resource("StateTable"))
	defs := map[string]any{}
	for _, d := range asList(p["AttributeDefinitions"]) {
		defs[fmt.Sprint(get(d, "AttributeName"))] = get(d, "AttributeType")
	}
	if defs[state.RecordKeyAttribute] != "S" || defs[state.EventTimeAttribute] != "N" {
		report("StateTable: AttributeDefinitions %v, want %s S and %s N for the %s index", p["AttributeDefinitions"],
			state.RecordKeyAttribute, state.EventTimeAttribute, state.RecordIndex)
	}
	var gsi any
	for _, g := range asList(p["GlobalSecondaryIndexes"]) {
		if get(g, "IndexName") == state.RecordIndex {
			gsi = g
		}
	}
	if gsi == nil {
		report("StateTable: no global secondary index %s (goalctl events --record queries it)", state.RecordIndex)
		return
	}
	var keys []string
	for _, k := range asList(get(gsi, "KeySchema")) {
		keys = append(keys, fmt.Sprintf("%v %v", get(k, "AttributeName"), get(k, "KeyType")))
	}
	if want := []string{state.RecordKeyAttribute + " HASH", state.EventTimeAttribute + " RANGE"}; !slices.Equal(keys, want) {
		report("StateTable: index %s keys %v, want %v", state.RecordIndex, keys, want)
	}
	var attrs []string
	for _, a := range asList(get(gsi, "Projection", "NonKeyAttributes")) {
		attrs = append(attrs, fmt.Sprint(a))
	}
	if get(gsi, "Projection", "ProjectionType") != "INCLUDE" || !slices.Equal(attrs, state.RecordIndexAttributes) {
		report("StateTable: index %s projects %v %v, want INCLUDE %v (state.RecordIndexAttributes)", state.RecordIndex,
			get(gsi, "Projection", "ProjectionType"), attrs, state.RecordIndexAttributes)
	}
}

var (
	queryParam  = regexp.MustCompile(`\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}`)
	queryFields = regexp.MustCompile(`(?m)^\s*\|?\s*fields\s+(.+)$`)
	queryFilter = regexp.MustCompile(`(?m)^\s*\|\s*filter\s+(.+)$`)
	filterField = regexp.MustCompile(`(?:^|\s(?:and|or)\s)\s*([A-Za-z_@][A-Za-z0-9_]*)\s*(?:=|like\b)`)
)

// checkQueryDefinitions: saved Logs Insights queries search the functions'
// log groups, name only fields those functions log, declare every
// {{parameter}} they use (and use every one they declare), and together
// filter on each of queriesWanted.
func checkQueryDefinitions(t *template, report reporter) {
	groupOf := map[string]string{} // log group resource → function
	for fn := range logFields {
		if id, ok := refTarget(get(t.functionProps(fn), "LoggingConfig", "LogGroup")); ok {
			groupOf[id] = fn
		}
	}
	filtered := map[string]bool{}
	ids := t.ids("AWS::Logs::QueryDefinition")
	if len(ids) == 0 {
		report("no AWS::Logs::QueryDefinition (saved queries by event id, record key, source and outcome)")
	}
	for _, id := range ids {
		p := props(t.resource(id))
		q, _ := p["QueryString"].(string)
		allowed := map[string]bool{}
		for _, g := range asList(p["LogGroupNames"]) {
			gid, ok := refTarget(g)
			fn := groupOf[gid]
			if !ok || fn == "" {
				report("%s: LogGroupNames entry %v is not a Ref to a function's log group", id, g)
				continue
			}
			for _, f := range logFields[fn] {
				allowed[f] = true
			}
		}
		var names []string
		for _, m := range queryFields.FindAllStringSubmatch(q, -1) {
			for f := range strings.SplitSeq(m[1], ",") {
				names = append(names, strings.TrimSpace(f))
			}
		}
		for _, m := range queryFilter.FindAllStringSubmatch(q, -1) {
			for _, f := range filterField.FindAllStringSubmatch(" "+m[1], -1) {
				names = append(names, f[1])
				filtered[f[1]] = true
			}
		}
		for _, n := range names {
			if !strings.HasPrefix(n, "@") && !allowed[n] {
				report("%s: the query names %q, which no function of its log groups logs", id, n)
			}
		}
		declared := map[string]bool{}
		for _, prm := range asList(p["Parameters"]) {
			declared[fmt.Sprint(get(prm, "Name"))] = true
		}
		used := map[string]bool{}
		for _, m := range queryParam.FindAllStringSubmatch(q, -1) {
			used[m[1]] = true
			if !declared[m[1]] {
				report("%s: the query uses {{%s}}, which Parameters does not declare", id, m[1])
			}
		}
		for d := range declared {
			if !used[d] {
				report("%s: parameter %s is declared but the query does not use it", id, d)
			}
		}
	}
	if len(ids) > 0 {
		for _, w := range queriesWanted {
			if !filtered[w] {
				report("no saved query filters on %s", w)
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestStoryCheckerCatchesBrokenTemplates(t *testing.T) {
	res := func(doc map[string]any, id string) map[string]any {
		return props(get(doc, "Resources", id).(map[string]any))
	}
	index := func(doc map[string]any) map[string]any {
		return asList(res(doc, "StateTable")["GlobalSecondaryIndexes"])[0].(map[string]any)
	}
	cases := []struct {
		name   string
		mutate func(doc map[string]any)
		want   string
	}{
		{"index removed", func(d map[string]any) { delete(res(d, "StateTable"), "GlobalSecondaryIndexes") },
			"no global secondary index record-events"},
		{"index attribute not projected", func(d map[string]any) {
			pr := index(d)["Projection"].(map[string]any)
			pr["NonKeyAttributes"] = asList(pr["NonKeyAttributes"])[1:]
		}, "index record-events projects"},
		{"index sort key dropped", func(d map[string]any) {
			index(d)["KeySchema"] = asList(index(d)["KeySchema"])[:1]
		}, "index record-events keys"},
		{"sort key typed S", func(d map[string]any) {
			for _, a := range asList(res(d, "StateTable")["AttributeDefinitions"]) {
				if get(a, "AttributeName") == "eventTime" {
					a.(map[string]any)["AttributeType"] = "S"
				}
			}
		}, "want recordKey S and eventTime N"},
		{"query names a field nobody logs", func(d map[string]any) {
			p := res(d, "EventQueryDefinition")
			p["QueryString"] = strings.Replace(p["QueryString"].(string), "event_id =", "eventId =", 1)
		}, `names "eventId"`},
		{"ingest-only field in an apply query", func(d map[string]any) {
			p := res(d, "OutcomeQueryDefinition")
			p["QueryString"] = strings.Replace(p["QueryString"].(string), "fields @timestamp,", "fields @timestamp, reason,", 1)
		}, `names "reason"`},
		{"parameter not declared", func(d map[string]any) { delete(res(d, "RecordQueryDefinition"), "Parameters") },
			"uses {{recordKey}}"},
		{"no query by outcome", func(d map[string]any) { delete(get(d, "Resources").(map[string]any), "OutcomeQueryDefinition") },
			"no saved query filters on outcome"},
		{"query over another log group", func(d map[string]any) {
			res(d, "SourceQueryDefinition")["LogGroupNames"] = []any{map[string]any{"Ref": "ApiAccessLogGroup"}}
		}, "is not a Ref to a function's log group"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkerFinds(t, func(doc map[string]any, _ *template) { c.mutate(doc) }, c.want)
		})
	}
}
