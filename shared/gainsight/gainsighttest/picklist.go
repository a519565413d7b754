package gainsighttest

import (
	"bytes"
	"slices"
	"strings"
)

type picklistRequest struct {
	EntityIDs            []string `json:"entityIds"`
	Active               bool     `json:"active"`
	IncludeMetrics       bool     `json:"includeMetrics"`
	IncludeChildPicklist bool     `json:"includeChildPicklist"`
	PicklistCategory     string   `json:"picklistCategory"`
}

func picklistJSON(p *picklistItem, children map[string]any) map[string]any {
	ids := p.entityIDs
	if len(ids) == 0 {
		ids = []string{"ALL_ENTITY"}
	}
	m := map[string]any{
		"gsid": p.gsid, "name": p.name, "color": p.color, "picklistCategory": p.category,
		"displayOrder": p.displayOrder, "active": p.active, "openStatusType": p.open, "recurring": false,
		"systemDefined": p.systemDefined,
		"associationDetails": map[string]any{"autoAssignFutureAssociationIds": true,
			"associationCategory": "ENTITY", "associationIds": slices.Clone(ids)},
		"childPicklistIds": children,
	}
	if p.systemName != "" {
		m["systemName"] = p.systemName
	}
	return m
}

// picklist serves the admin picklist (GET with a JSON body): goal types
// (default) or goal statuses. For goal types, entityIds keeps the types
// offered on any of those entities (ALL_ENTITY types always match; asking
// for ALL_ENTITY returns every type). The answer has the shape of the
// spec's sample: every entry's childPicklistIds is {}, childPicklists is []
// and metrics null, whatever the flags. With Options.PicklistDetails (a
// guess the spec does not show), includeChildPicklist adds each type's
// statuses as childPicklistIds {"GOAL_STATUS": [...]} and the status
// picklists as childPicklists, and includeMetrics adds the metrics linked
// to the returned types, each with goalTypeIds.
func (s *Server) picklist(c *call) reply {
	var req picklistRequest
	if len(bytes.TrimSpace(c.body)) > 0 {
		if e := decodeStrict(c.body, &req); e != nil {
			return e.render(c)
		}
	}
	category := strings.ToUpper(req.PicklistCategory)
	if category == "" {
		category = "GOAL_TYPE"
	}
	if category != "GOAL_TYPE" && category != "GOAL_STATUS" {
		return errBadRequest("Invalid picklistCategory %q: GOAL_TYPE or GOAL_STATUS", req.PicklistCategory).render(c)
	}
	details := s.o.PicklistDetails
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	var statusIDs []string
	childList := []any{}
	for _, st := range t.statuses {
		if st.active {
			statusIDs = append(statusIDs, st.gsid)
			childList = append(childList, picklistJSON(st, map[string]any{}))
		}
	}
	picklists := []any{}
	var typeIDs []string
	if category == "GOAL_STATUS" {
		for _, st := range t.statuses {
			if !req.Active || st.active {
				picklists = append(picklists, picklistJSON(st, map[string]any{}))
			}
		}
	} else {
		all := len(req.EntityIDs) == 0 || slices.Contains(req.EntityIDs, "ALL_ENTITY")
		for _, gt := range t.goalTypes {
			if req.Active && !gt.active {
				continue
			}
			if !all && !slices.Contains(gt.entityIDs, "ALL_ENTITY") &&
				!slices.ContainsFunc(req.EntityIDs, func(id string) bool { return slices.Contains(gt.entityIDs, id) }) {
				continue
			}
			children := map[string]any{}
			if details && req.IncludeChildPicklist {
				children["GOAL_STATUS"] = slices.Clone(statusIDs)
			}
			picklists = append(picklists, picklistJSON(gt, children))
			typeIDs = append(typeIDs, gt.gsid)
		}
	}
	data := map[string]any{"picklists": picklists, "childPicklists": []any{}, "metrics": nil}
	if details && req.IncludeChildPicklist && category == "GOAL_TYPE" {
		data["childPicklists"] = childList
	}
	if details && req.IncludeMetrics {
		metrics := []any{}
		for _, m := range t.metrics {
			var linked []string
			for _, id := range m.goalTypes {
				if category == "GOAL_STATUS" || slices.Contains(typeIDs, id) {
					linked = append(linked, id)
				}
			}
			if len(linked) == 0 && category == "GOAL_TYPE" {
				continue
			}
			mj := metricJSON(m, false)
			mj["goalTypeIds"] = append([]string{}, linked...)
			metrics = append(metrics, mj)
		}
		data["metrics"] = metrics
	}
	return ok(c, data)
}
