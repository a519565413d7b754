package gainsighttest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// lookupSpec is one entry of a request's "lookups": the target field is
// set to the lookupField of the objectName record whose fields match the
// record's source fields.
type lookupSpec struct {
	Fields           map[string]string `json:"fields"`
	LookupField      string            `json:"lookupField"`
	ObjectName       string            `json:"objectName"`
	MultiMatchOption string            `json:"multiMatchOption"`
	OnNoMatch        string            `json:"onNoMatch"`
}

// lookupTargets are the standard fields a lookup may write (plus every
// custom field).
var lookupTargets = map[string]bool{"CompanyId": true, "RelationshipId": true, "OpportunityId": true, "OwnerId": true}

// validateLookups checks the lookup configuration itself (8008 when wrong).
func (t *tenant) validateLookups(lookups map[string]lookupSpec) *apiError {
	for _, target := range slices.Sorted(maps.Keys(lookups)) {
		l := lookups[target]
		if !lookupTargets[target] && !t.customFields[target] {
			return errLookup("lookup target %q is not a lookup field of goals", target)
		}
		objs, known := t.objects[strings.ToLower(l.ObjectName)]
		if !known || l.ObjectName == "relationshiptype" {
			return errLookup("lookup %s: unknown objectName %q (company, relationship, opportunity, gsuser)", target, l.ObjectName)
		}
		if len(l.Fields) == 0 {
			return errLookup("lookup %s: fields is empty", target)
		}
		if l.LookupField == "" {
			return errLookup("lookup %s: lookupField is missing", target)
		}
		for _, f := range append(slices.Collect(maps.Values(l.Fields)), l.LookupField) {
			if f != "Gsid" && f != "Name" && (len(objs) == 0 || !hasKey(objs[0].fields, f)) {
				return errLookup("lookup %s: %s has no field %q", target, l.ObjectName, f)
			}
		}
		switch strings.ToUpper(l.MultiMatchOption) {
		case "", "FIRSTMATCH", "MARKASERROR":
		default:
			return errLookup("lookup %s: multiMatchOption %q is not FIRSTMATCH or MARKASERROR", target, l.MultiMatchOption)
		}
		switch strings.ToUpper(l.OnNoMatch) {
		case "", "ERROR", "NULL":
		default:
			return errLookup("lookup %s: onNoMatch %q is not ERROR or NULL", target, l.OnNoMatch)
		}
	}
	return nil
}

func hasKey[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

// applyLookups resolves the lookups that apply to rec (those whose source
// fields it carries) into target values, and reports the source fields it
// consumed.
func (t *tenant) applyLookups(rec map[string]any, lookups map[string]lookupSpec) (map[string]any, map[string]bool, *apiError) {
	out, consumed := map[string]any{}, map[string]bool{}
	for _, target := range slices.Sorted(maps.Keys(lookups)) {
		l := lookups[target]
		srcs := slices.Sorted(maps.Keys(l.Fields))
		var present []string
		for _, src := range srcs {
			if hasKey(rec, src) {
				present = append(present, src)
			}
		}
		if len(present) == 0 {
			continue
		}
		if len(present) != len(srcs) {
			return nil, nil, errLookup("lookup %s needs the record fields %s", target, strings.Join(srcs, ", "))
		}
		want := map[string]string{}
		var desc []string
		for _, src := range srcs {
			v, ok := rec[src].(string)
			if !ok {
				return nil, nil, errLookup("lookup %s: record field %s must be a string", target, src)
			}
			want[l.Fields[src]] = v
			desc = append(desc, fmt.Sprintf("%s = %q", l.Fields[src], v))
			consumed[src] = true
		}
		var matches []*object
		for _, o := range t.objects[strings.ToLower(l.ObjectName)] {
			all := true
			for f, v := range want {
				if o.fields[f] != v {
					all = false
					break
				}
			}
			if all {
				matches = append(matches, o)
			}
		}
		switch {
		case len(matches) == 0 && strings.EqualFold(l.OnNoMatch, "NULL"):
			out[target] = nil
		case len(matches) == 0:
			return nil, nil, errLookup("no %s matches %s (lookup %s, onNoMatch ERROR)", l.ObjectName, strings.Join(desc, " and "), target)
		case len(matches) > 1 && strings.EqualFold(l.MultiMatchOption, "MARKASERROR"):
			return nil, nil, errLookup("%d %s records match %s (lookup %s, multiMatchOption MARKASERROR)", len(matches), l.ObjectName, strings.Join(desc, " and "), target)
		default:
			out[target] = matches[0].fields[l.LookupField]
		}
	}
	return out, consumed, nil
}

// metricInput is one entry of metricsAssociation.
type metricInput struct {
	metricID        string
	base, target    *float64
	actual          []ActualValue
	hasBase, hasTgt bool
	hasActual       bool
}

// resolved is a record after validation: the fields to store and the
// metric changes.
type resolved struct {
	set          map[string]any
	assoc        []metricInput
	dissoc       []string
	statusByName bool
}

var entityTypes = map[string]bool{"COMPANY": true, "RELATIONSHIP": true, "OPPORTUNITY": true, "GLOBAL": true}

// resolveRecord validates a goal or template record (lookups applied) into
// the fields to store. Errors are CSGoalException-style (HTTP 500
// "Invalid ...") except lookup errors (8008).
func (t *tenant) resolveRecord(category string, rec map[string]any, lookups map[string]lookupSpec) (*resolved, *apiError) {
	looked, consumed, e := t.applyLookups(rec, lookups)
	if e != nil {
		return nil, e
	}
	r := &resolved{set: map[string]any{}}
	var invalid []string
	str := func(k string, v any, nullable bool) (string, *apiError) {
		if v == nil && nullable {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", exceptionf("Invalid %s provided in request - a string is expected", k)
		}
		return s, nil
	}
	for _, k := range slices.Sorted(maps.Keys(rec)) {
		v := rec[k]
		if consumed[k] || k == "Gsid" {
			continue
		}
		switch {
		case k == "Name":
			s, e := str(k, v, false)
			if e != nil {
				return nil, e
			}
			if strings.TrimSpace(s) == "" {
				return nil, exceptionf("Invalid Name provided in request - Name cannot be empty")
			}
			r.set[k] = s
		case k == "Description" || k == "CurrencyIsoCode" || k == "RelationshipTypeId":
			s, e := str(k, v, true)
			if e != nil {
				return nil, e
			}
			r.set[k] = nilIfEmpty(v, s)
		case k == "DueDate" && category == CategoryTemplate:
			n, ok := toInt(v)
			if !ok || n < 0 {
				return nil, exceptionf("Invalid DueDate provided in request - a template's DueDate is a whole number of days")
			}
			r.set[k] = n
		case k == "DueDate":
			if v == nil {
				r.set[k] = nil
				continue
			}
			s, ok := v.(string)
			if _, err := time.Parse(time.DateOnly, s); !ok || err != nil {
				return nil, exceptionf("Invalid DueDate provided in request - the format is YYYY-MM-DD")
			}
			r.set[k] = s
		case k == "StatusName":
			s, _ := v.(string)
			st := byName(t.statuses, s)
			if st == nil || !st.active {
				return nil, exceptionf("Invalid StatusName provided in request")
			}
			if id, ok := rec["StatusId"]; ok && id != st.gsid {
				return nil, exceptionf("Invalid StatusName provided in request - it does not match StatusId")
			}
			r.set["StatusId"], r.statusByName = st.gsid, true
		case k == "StatusId":
			s, _ := v.(string)
			if st := t.status(s); st == nil || !st.active {
				return nil, exceptionf("Invalid StatusId provided in request")
			}
			r.set[k] = s
		case k == "GoalTypeName" && category == CategoryGoal && !t.acceptGoalTypeName:
			// The spec documents GoalTypeName for templates only.
			invalid = append(invalid, k)
		case k == "GoalTypeName":
			s, _ := v.(string)
			gt := byName(t.goalTypes, s)
			if gt == nil || !gt.active {
				return nil, exceptionf("Invalid GoalTypeName provided in request")
			}
			if id, ok := rec["GoalTypeId"]; ok && id != gt.gsid {
				return nil, exceptionf("Invalid GoalTypeName provided in request - it does not match GoalTypeId")
			}
			r.set["GoalTypeId"] = gt.gsid
		case k == "GoalTypeId":
			s, _ := v.(string)
			if gt := t.goalType(s); gt == nil || !gt.active {
				return nil, exceptionf("Invalid GoalTypeId provided in request")
			}
			r.set[k] = s
		case k == "EntityType":
			s, _ := v.(string)
			if !entityTypes[s] {
				return nil, exceptionf("Invalid EntityType provided in request - %q is not COMPANY, RELATIONSHIP, OPPORTUNITY or GLOBAL", fmt.Sprint(v))
			}
			r.set[k] = s
		case k == "CompanyName" || k == "RelationshipName" || k == "OpportunityName":
			id := strings.TrimSuffix(k, "Name") + "Id"
			return nil, errLookup("%s must be resolved by a lookup: add lookups.%s with fields {%q: \"Name\"}", k, id, k)
		case k == "CompanyId" || k == "RelationshipId" || k == "OpportunityId" || k == "OwnerId":
			s, e := str(k, v, true)
			if e != nil {
				return nil, e
			}
			kind := map[string]string{"CompanyId": ObjectCompany, "RelationshipId": ObjectRelationship,
				"OpportunityId": ObjectOpportunity, "OwnerId": ObjectUser}[k]
			if s != "" && t.object(kind, s) == nil {
				return nil, exceptionf("Invalid %s provided in request", k)
			}
			r.set[k] = nilIfEmpty(v, s)
		case k == "TemplateId" && category == CategoryGoal:
			s, _ := v.(string)
			if g := t.goals[s]; g == nil || g.category != CategoryTemplate {
				return nil, exceptionf("Invalid TemplateId provided in request")
			}
			r.set[k] = s
		case k == "AssociatedWork":
			ids, ok := toStrings(v)
			if !ok {
				return nil, exceptionf("Invalid AssociatedWork provided in request - a list of Gsids is expected")
			}
			r.set[k] = ids
		case k == "metricsAssociation":
			in, e := parseMetricsAssociation(v)
			if e != nil {
				return nil, e
			}
			for _, m := range in {
				if t.metric(m.metricID) == nil {
					return nil, exceptionf("Invalid metricId provided in request - %s", m.metricID)
				}
			}
			r.assoc = in
		case k == "metricsDissociation":
			ids, e := parseMetricIDs(v)
			if e != nil {
				return nil, e
			}
			r.dissoc = ids
		case readOnlyFields[k]:
			invalid = append(invalid, k+" (read-only)")
		case t.customFields[k]:
			switch v.(type) {
			case nil, string, json.Number, bool:
				r.set[k] = v
			default:
				return nil, exceptionf("Invalid value provided in request for %s - a scalar is expected", k)
			}
		default:
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return nil, exceptionf("Invalid fields in request - %s", strings.Join(invalid, ", "))
	}
	for k, v := range looked {
		r.set[k] = v
	}
	return r, nil
}

func nilIfEmpty(v any, s string) any {
	if v == nil {
		return nil
	}
	return s
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case float64:
		return int64(x), x == float64(int64(x))
	case int64:
		return x, true
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func toStrings(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, it := range list {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// parseMetricsAssociation reads [{metricId, baseValue, targetValue,
// actualValue: [{value, timestamp}]}].
func parseMetricsAssociation(v any) ([]metricInput, *apiError) {
	bad := func(why string) *apiError {
		return exceptionf("Invalid metricsAssociation provided in request - %s", why)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, bad("a list is expected")
	}
	var out []metricInput
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, bad("each entry is an object with metricId")
		}
		var in metricInput
		for k, val := range m {
			switch k {
			case "metricId":
				in.metricID, _ = val.(string)
			case "baseValue", "targetValue":
				var p *float64
				if val != nil {
					f, ok := toFloat(val)
					if !ok {
						return nil, bad(k + " must be a number")
					}
					p = &f
				}
				if k == "baseValue" {
					in.base, in.hasBase = p, true
				} else {
					in.target, in.hasTgt = p, true
				}
			case "actualValue":
				pts, ok := val.([]any)
				if !ok {
					return nil, bad("actualValue must be a list of {value, timestamp}")
				}
				in.hasActual = true
				for _, p := range pts {
					pm, ok := p.(map[string]any)
					if !ok {
						return nil, bad("actualValue must be a list of {value, timestamp}")
					}
					f, okv := toFloat(pm["value"])
					ts, okt := pm["timestamp"].(string)
					if _, err := time.Parse(time.DateOnly, ts); !okv || !okt || err != nil {
						return nil, bad("actualValue entries need a numeric value and a YYYY-MM-DD timestamp")
					}
					in.actual = append(in.actual, ActualValue{Value: f, Timestamp: ts})
				}
			default:
				return nil, bad("unknown member " + k)
			}
		}
		if in.metricID == "" {
			return nil, bad("metricId is mandatory")
		}
		out = append(out, in)
	}
	return out, nil
}

// parseMetricIDs reads metricsDissociation: a list of Gsids (goal update
// sample) or of {metricId} objects (template update sample).
func parseMetricIDs(v any) ([]string, *apiError) {
	list, ok := v.([]any)
	if !ok {
		return nil, exceptionf("Invalid metricsDissociation provided in request - a list is expected")
	}
	var out []string
	for _, it := range list {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			id, _ := x["metricId"].(string)
			if id == "" {
				return nil, exceptionf("Invalid metricsDissociation provided in request - metricId is mandatory")
			}
			out = append(out, id)
		default:
			return nil, exceptionf("Invalid metricsDissociation provided in request - Gsids or {metricId} objects are expected")
		}
	}
	return out, nil
}

// applyMetrics dissociates, then associates (upserting values), checking
// each associated metric is linked to the goal type.
func (t *tenant) applyMetrics(g *goalRec, r *resolved, typ string) *apiError {
	for _, in := range r.assoc {
		m := t.metric(in.metricID)
		if !slices.Contains(m.goalTypes, typ) {
			return exceptionf("Invalid metricId provided in request - %s is not linked to goal type %s", in.metricID, typ)
		}
	}
	for _, id := range r.dissoc {
		g.metrics = slices.DeleteFunc(g.metrics, func(mv *metricValue) bool { return mv.metricID == id })
	}
	for _, in := range r.assoc {
		var mv *metricValue
		for _, x := range g.metrics {
			if x.metricID == in.metricID {
				mv = x
			}
		}
		if mv == nil {
			mv = &metricValue{gsid: t.id(prefixPicklist), metricID: in.metricID}
			g.metrics = append(g.metrics, mv)
		}
		if in.hasBase {
			mv.baseValue = in.base
		}
		if in.hasTgt {
			mv.target = in.target
		}
		for _, p := range in.actual {
			i := slices.IndexFunc(mv.actual, func(a ActualValue) bool { return a.Timestamp == p.Timestamp })
			if i >= 0 {
				mv.actual[i] = p
			} else {
				mv.actual = append(mv.actual, p)
			}
		}
		slices.SortFunc(mv.actual, func(a, b ActualValue) int { return strings.Compare(a.Timestamp, b.Timestamp) })
	}
	return nil
}
