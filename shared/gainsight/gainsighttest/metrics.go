package gainsighttest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

type metricRequest struct {
	Record                  map[string]any `json:"record"`
	AssociateGoalTypes      []string       `json:"associateGoalTypes"`
	AssociateGoalTypeNames  []string       `json:"associateGoalTypeNames"`
	DissociateGoalTypes     []string       `json:"dissociateGoalTypes"`
	DissociateGoalTypeNames []string       `json:"dissociateGoalTypeNames"`
}

type metricUpsertRequest struct {
	Requests []metricRequest `json:"requests"`
}

var units = map[string]bool{"DECIMAL": true, "PERCENTAGE": true, "CURRENCY": true}

func metricJSON(m *metric, deleted bool) map[string]any {
	return map[string]any{
		"createdAt": m.createdAt, "deleted": deleted, "modifiedAt": m.modifiedAt,
		"createdBy": m.createdBy, "modifiedBy": m.modifiedBy, "name": m.name,
		"description": m.description, "unitOfMeasure": m.unit, "displayOrder": m.displayOrder,
		"externalId": nil, "active": m.active, "systemDefined": m.systemDefined, "gsid": m.gsid,
	}
}

func vcError(msg string) *apiError {
	return codeError(http.StatusBadRequest, "VC_1002", "", msg)
}

func (s *Server) metricCreate(c *call) reply { return s.metricUpsert(c, false) }
func (s *Server) metricUpdate(c *call) reply { return s.metricUpsert(c, true) }

// metricUpsert creates or updates metrics. A record that fails goes to
// failureList; when every record fails the answer is the spec's VC_1002
// error envelope (HTTP 400) with the first reason.
func (s *Server) metricUpsert(c *call, update bool) reply {
	verb := "create"
	if update {
		verb = "update"
	}
	var req metricUpsertRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return e.render(c)
	}
	if len(req.Requests) == 0 {
		return vcError(fmt.Sprintf("Unexpected error processing %s metric: requests is empty", verb)).render(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	success, failures := []any{}, []any{}
	var first string
	for i, r := range req.Requests {
		m, err := s.metricOne(c, r, update)
		if err != nil {
			if first == "" {
				first = err.Error()
			}
			failures = append(failures, map[string]any{"index": i, "record": r.Record, "errorCode": "VC_1002",
				"message": fmt.Sprintf("Unexpected error processing %s metric: %v", verb, err)})
			continue
		}
		success = append(success, metricJSON(m, false))
	}
	if len(success) == 0 {
		return vcError(fmt.Sprintf("Unexpected error processing %s metric: %s", verb, first)).render(c)
	}
	return ok(c, map[string]any{"successList": success, "failureList": failures})
}

func (s *Server) metricOne(c *call, r metricRequest, update bool) (*metric, error) {
	t := s.t
	if r.Record == nil {
		return nil, fmt.Errorf("record is mandatory")
	}
	for k := range r.Record {
		switch k {
		case "gsid", "name", "description", "unitOfMeasure", "externalId", "active":
		default:
			return nil, fmt.Errorf("unknown field %s in record", k)
		}
	}
	str := func(k string) (string, bool, error) {
		v, has := r.Record[k]
		if !has || v == nil {
			return "", has, nil
		}
		sv, isStr := v.(string)
		if !isStr {
			return "", true, fmt.Errorf("%s must be a string", k)
		}
		return sv, true, nil
	}
	gsid, _, err := str("gsid")
	if err != nil {
		return nil, err
	}
	name, hasName, err := str("name")
	if err != nil {
		return nil, err
	}
	desc, hasDesc, err := str("description")
	if err != nil {
		return nil, err
	}
	unit, hasUnit, err := str("unitOfMeasure")
	if err != nil {
		return nil, err
	}
	if hasUnit && !units[unit] {
		return nil, fmt.Errorf("unitOfMeasure %q is not DECIMAL, PERCENTAGE or CURRENCY", unit)
	}
	var m *metric
	if update {
		if gsid == "" {
			return nil, fmt.Errorf("gsid is mandatory")
		}
		if m = t.metric(gsid); m == nil {
			return nil, fmt.Errorf("no metric %s", gsid)
		}
		if hasName && strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("name cannot be empty")
		}
	} else {
		if gsid != "" {
			return nil, fmt.Errorf("gsid must not be set on create")
		}
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("name is mandatory")
		}
	}
	if hasName {
		for _, o := range t.metrics {
			if o != m && strings.EqualFold(o.name, name) {
				return nil, fmt.Errorf("a metric named %q exists", name)
			}
		}
	}
	resolve := func(ids, names []string) ([]string, error) {
		var out []string
		for _, id := range ids {
			if t.goalType(id) == nil {
				return nil, fmt.Errorf("no goal type %s", id)
			}
			out = append(out, id)
		}
		for _, n := range names {
			gt := byName(t.goalTypes, n)
			if gt == nil {
				return nil, fmt.Errorf("no goal type named %q", n)
			}
			out = append(out, gt.gsid)
		}
		return out, nil
	}
	add, err := resolve(r.AssociateGoalTypes, r.AssociateGoalTypeNames)
	if err != nil {
		return nil, err
	}
	remove, err := resolve(r.DissociateGoalTypes, r.DissociateGoalTypeNames)
	if err != nil {
		return nil, err
	}
	if !update && len(remove) > 0 {
		return nil, fmt.Errorf("a new metric has no goal types to dissociate")
	}
	// Valid: apply.
	if m == nil {
		if unit == "" {
			unit = "DECIMAL"
		}
		m = t.addMetric("", name, unit, desc)
	} else {
		if hasName {
			m.name = name
		}
		if hasDesc {
			m.description = desc
		}
		if hasUnit {
			m.unit = unit
		}
		m.modifiedAt, m.modifiedBy = c.now.UnixMilli(), t.userID
	}
	m.goalTypes = slices.DeleteFunc(m.goalTypes, func(id string) bool { return slices.Contains(remove, id) })
	for _, id := range add {
		if !slices.Contains(m.goalTypes, id) {
			m.goalTypes = append(m.goalTypes, id)
		}
	}
	return m, nil
}

// metricDelete deletes metrics, all or none: any metric still used by a
// goal or template refuses the whole request with VC_8026 and its usage.
func (s *Server) metricDelete(c *call) reply {
	var req recordIDsRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return e.render(c)
	}
	if len(req.RecordIDs) == 0 {
		return vcError("Unexpected error processing delete metric: recordIds is empty").render(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	layouts, goals := []string{}, []any{}
	for _, id := range req.RecordIDs {
		m := t.metric(id)
		if m == nil {
			return vcError(fmt.Sprintf("Unexpected error processing delete metric: no metric %s", id)).render(c)
		}
		used := false
		for _, category := range []string{CategoryGoal, CategoryTemplate} {
			for _, g := range t.sortedGoals(category) {
				if slices.ContainsFunc(g.metrics, func(mv *metricValue) bool { return mv.metricID == id }) {
					used = true
					goals = append(goals, map[string]any{"gsid": g.gsid, "name": fieldString(g.fields["Name"])})
				}
			}
		}
		if used {
			for _, gt := range m.goalTypes {
				if p := t.goalType(gt); p != nil && !slices.Contains(layouts, p.name) {
					layouts = append(layouts, p.name)
				}
			}
		}
	}
	if len(goals) > 0 {
		e := codeError(http.StatusBadRequest, "VC_8026", "", "Metric is used in some goals or templates. Cannot delete the metric.")
		e.info = map[string]any{"usageInLayouts": layouts, "usageInGoals": goals, "hasUsage": true}
		return e.render(c)
	}
	deleted := []any{}
	for _, id := range req.RecordIDs {
		m := t.metric(id)
		if m == nil {
			continue // listed twice
		}
		m.modifiedAt, m.modifiedBy = c.now.UnixMilli(), t.userID
		deleted = append(deleted, metricJSON(m, true))
		t.metrics = slices.DeleteFunc(t.metrics, func(x *metric) bool { return x == m })
	}
	return ok(c, map[string]any{"deletedMetrics": deleted})
}
