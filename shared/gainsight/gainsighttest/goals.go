package gainsighttest

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// workSet is an association or dissociation of CTAs and Success Plans; the
// pointers tell an absent set from an empty one (8001/8002).
type workSet struct {
	CTA *[]string `json:"CTA"`
	SP  *[]string `json:"SP"`
}

type goalRequest struct {
	Record       map[string]any `json:"record"`
	Association  *workSet       `json:"association"`
	Dissociation *workSet       `json:"dissociation"`
}

type goalUpsertRequest struct {
	Requests []goalRequest         `json:"requests"`
	Lookups  map[string]lookupSpec `json:"lookups"`
}

// checkWorkSet validates a CTA/SP set: present but empty is 8001/8002, an
// unknown Gsid an "Invalid ..." CSGoalException.
func (t *tenant) checkWorkSet(ws *workSet) *apiError {
	if ws == nil {
		return nil
	}
	if ws.CTA != nil {
		if len(*ws.CTA) == 0 {
			return errCTAEmpty()
		}
		for _, id := range *ws.CTA {
			if t.work(true, id) == nil {
				return exceptionf("Invalid CTA Gsid provided in request - %s", id)
			}
		}
	}
	if ws.SP != nil {
		if len(*ws.SP) == 0 {
			return errSPEmpty()
		}
		for _, id := range *ws.SP {
			if t.work(false, id) == nil {
				return exceptionf("Invalid Success Plan Gsid provided in request - %s", id)
			}
		}
	}
	return nil
}

func applyWork(list []string, add, remove *[]string) []string {
	if remove != nil {
		list = slices.DeleteFunc(list, func(id string) bool { return slices.Contains(*remove, id) })
	}
	if add != nil {
		for _, id := range *add {
			if !slices.Contains(list, id) {
				list = append(list, id)
			}
		}
	}
	return list
}

// checkEntity checks that the entity fields agree with EntityType and fills
// in what follows from them (a relationship's company and type).
func (t *tenant) checkEntity(f map[string]any) *apiError {
	et := fieldString(f["EntityType"])
	gt := t.goalType(fieldString(f["GoalTypeId"]))
	allowed := func(id string) bool {
		return gt == nil || slices.Contains(gt.entityIDs, "ALL_ENTITY") || slices.Contains(gt.entityIDs, id)
	}
	switch et {
	case "":
		return exceptionf("Invalid EntityType provided in request - EntityType is mandatory")
	case "COMPANY":
		if fieldString(f["CompanyId"]) == "" {
			return exceptionf("Invalid CompanyId provided in request - a COMPANY goal needs CompanyName resolved by a lookup on CompanyId")
		}
		if !allowed("COMPANY") {
			return exceptionf("Invalid GoalTypeId provided in request - goal type %s is not available for COMPANY goals", gt.name)
		}
	case "RELATIONSHIP":
		rel := t.object(ObjectRelationship, fieldString(f["RelationshipId"]))
		if rel == nil {
			return exceptionf("Invalid RelationshipId provided in request - a RELATIONSHIP goal needs RelationshipName resolved by a lookup on RelationshipId")
		}
		f["CompanyId"] = rel.fields["CompanyId"]
		if rt := rel.fields["TypeId"]; rt != "" {
			f["RelationshipTypeId"] = rt
			if !allowed(rt) {
				return exceptionf("Invalid GoalTypeId provided in request - goal type %s is not available for this relationship type", gt.name)
			}
		}
	case "OPPORTUNITY":
		opp := t.object(ObjectOpportunity, fieldString(f["OpportunityId"]))
		if opp == nil {
			return exceptionf("Invalid OpportunityId provided in request - an OPPORTUNITY goal needs OpportunityName resolved by a lookup on OpportunityId")
		}
		f["CompanyId"] = opp.fields["CompanyId"]
	}
	return nil
}

func (s *Server) goalCreate(c *call) reply {
	var req goalUpsertRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return e.render(c)
	}
	if len(req.Requests) != 1 {
		return exceptionf("Invalid request - a create carries exactly one goal (got %d); bulk creation of customer goals is not supported", len(req.Requests)).render(c)
	}
	r := req.Requests[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	if e := t.validateLookups(req.Lookups); e != nil {
		return e.render(c)
	}
	if r.Record == nil {
		return exceptionf("Invalid request - record is mandatory").render(c)
	}
	if _, has := r.Record["Gsid"]; has {
		return exceptionf("Invalid Gsid provided in request - a create must not carry a Gsid").render(c)
	}
	res, e := t.resolveRecord(CategoryGoal, r.Record, req.Lookups)
	if e != nil {
		return e.render(c)
	}
	fields := map[string]any{}
	var tplMetrics []*metricValue
	if tid, ok := res.set["TemplateId"].(string); ok {
		tpl := t.goals[tid]
		for k, v := range tpl.fields {
			switch k {
			case "Gsid", "GoalCategory", "CreatedDate", "ModifiedDate", "CreatedById", "ModifiedById":
			case "DueDate":
				if days, _ := v.(int64); days > 0 {
					fields[k] = c.now.UTC().AddDate(0, 0, int(days)).Format(time.DateOnly)
				}
			default:
				fields[k] = v
			}
		}
		for _, m := range tpl.metrics {
			cp := *m
			cp.gsid = t.id(prefixPicklist)
			cp.actual = slices.Clone(m.actual)
			tplMetrics = append(tplMetrics, &cp)
		}
	}
	maps.Copy(fields, res.set)
	if fields["GoalTypeId"] == nil {
		fields["GoalTypeId"] = t.goalTypes[0].gsid
	}
	if fieldString(fields["Name"]) == "" {
		return exceptionf("Invalid Name provided in request - Name is mandatory").render(c)
	}
	if fields["StatusId"] == nil {
		return exceptionf("Invalid StatusName provided in request - StatusName or StatusId is mandatory").render(c)
	}
	if e := t.checkEntity(fields); e != nil {
		return e.render(c)
	}
	if e := t.checkWorkSet(r.Association); e != nil {
		return e.render(c)
	}
	if e := t.checkWorkSet(r.Dissociation); e != nil {
		return e.render(c)
	}
	g := &goalRec{metrics: tplMetrics}
	if e := t.applyMetrics(g, res, fieldString(fields["GoalTypeId"])); e != nil {
		return e.render(c)
	}
	metrics := g.metrics
	g = t.insert("", CategoryGoal, fields)
	g.metrics = metrics
	if r.Association != nil {
		g.ctas = applyWork(nil, r.Association.CTA, nil)
		g.sps = applyWork(nil, r.Association.SP, nil)
	}
	return ok(c, map[string]any{
		"goal":     t.goalJSON(g),
		"userInfo": map[string]any{t.userID: map[string]any{"gsid": t.userID, "name": t.userName, "profilePicture": nil}},
	})
}

func (s *Server) goalUpdate(c *call) reply {
	var req goalUpsertRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return e.render(c)
	}
	if len(req.Requests) != 1 {
		return exceptionf("Invalid request - an update carries exactly one goal (got %d)", len(req.Requests)).render(c)
	}
	r := req.Requests[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	if e := t.validateLookups(req.Lookups); e != nil {
		return e.render(c)
	}
	gsid, _ := r.Record["Gsid"].(string)
	if gsid == "" {
		return exceptionf("Invalid Gsid provided in request - Gsid is mandatory").render(c)
	}
	g := t.goals[gsid]
	if g == nil || g.category != CategoryGoal {
		return exceptionf("Invalid Gsid provided in request - no goal %s", gsid).render(c)
	}
	res, e := t.resolveRecord(CategoryGoal, r.Record, req.Lookups)
	if e != nil {
		return e.render(c)
	}
	if !s.o.LenientUpdate {
		// The spec: Name "cannot be left empty"; StatusName "need to be
		// filled with relevant status".
		if _, has := res.set["Name"]; !has {
			return exceptionf("Invalid Name provided in request - Name cannot be left empty on update").render(c)
		}
		if _, has := res.set["StatusId"]; !has {
			return exceptionf("Invalid StatusName provided in request - StatusName or StatusId must be filled on update").render(c)
		}
	}
	if _, has := res.set["TemplateId"]; has {
		return exceptionf("Invalid TemplateId provided in request - a goal's template cannot change").render(c)
	}
	fields := deepCopyFields(g.fields)
	maps.Copy(fields, res.set)
	if e := t.checkEntity(fields); e != nil {
		return e.render(c)
	}
	if e := t.checkWorkSet(r.Association); e != nil {
		return e.render(c)
	}
	if e := t.checkWorkSet(r.Dissociation); e != nil {
		return e.render(c)
	}
	scratch := &goalRec{metrics: cloneMetrics(g.metrics)}
	if e := t.applyMetrics(scratch, res, fieldString(fields["GoalTypeId"])); e != nil {
		return e.render(c)
	}
	// Everything is valid: commit.
	fields["ModifiedDate"], fields["ModifiedById"] = c.now.UnixMilli(), t.userID
	g.fields = fields
	g.metrics = scratch.metrics
	var dCTA, dSP, aCTA, aSP *[]string
	if r.Dissociation != nil {
		dCTA, dSP = r.Dissociation.CTA, r.Dissociation.SP
	}
	if r.Association != nil {
		aCTA, aSP = r.Association.CTA, r.Association.SP
	}
	g.ctas = applyWork(g.ctas, aCTA, dCTA)
	g.sps = applyWork(g.sps, aSP, dSP)

	rec := map[string]any{}
	for k := range res.set {
		if v := fields[k]; v != nil {
			rec[k] = v
		}
	}
	for _, k := range []string{"Gsid", "GoalCategory", "ModifiedById", "ModifiedDate", "StatusId"} {
		rec[k] = fields[k]
	}
	if len(res.assoc) > 0 || len(res.dissoc) > 0 {
		rec["MetricValues"] = metricValuesJSON(g)
	}
	return ok(c, map[string]any{"record": rec, "updatedGoals": nil, "properties": map[string]any{}})
}

func cloneMetrics(ms []*metricValue) []*metricValue {
	out := make([]*metricValue, 0, len(ms))
	for _, m := range ms {
		cp := *m
		cp.actual = slices.Clone(m.actual)
		out = append(out, &cp)
	}
	return out
}

// goalJSON is a goal as create answers it: every non-null field plus the
// __gr name expansions and MetricValues.
func (t *tenant) goalJSON(g *goalRec) map[string]any {
	out := map[string]any{}
	for k, v := range g.fields {
		if v != nil {
			out[k] = v
		}
	}
	user := map[string]any{"Name": t.userName}
	out["CreatedById__gr"], out["ModifiedById__gr"] = user, user
	if st := t.status(fieldString(g.fields["StatusId"])); st != nil {
		out["StatusId__gr"] = map[string]any{"Name": st.name}
	}
	if len(g.metrics) > 0 {
		out["MetricValues"] = metricValuesJSON(g)
	}
	return out
}

func metricValuesJSON(g *goalRec) []any {
	out := []any{}
	for _, m := range g.metrics {
		actual := []any{}
		for _, a := range m.actual {
			actual = append(actual, map[string]any{"gsid": nil, "value": a.Value, "timestamp": a.Timestamp})
		}
		out = append(out, map[string]any{"metricId": m.metricID, "goalId": g.gsid, "baseValue": m.baseValue,
			"actualValue": actual, "targetValue": m.target, "gsid": m.gsid})
	}
	return out
}

// ---- fetch -------------------------------------------------------------

type fetchRequest struct {
	Select     []string        `json:"select"`
	Where      *whereClause    `json:"where"`
	PageSize   json.RawMessage `json:"pageSize"`
	PageNumber json.RawMessage `json:"pageNumber"`
}

type whereClause struct {
	Conditions []condition `json:"conditions"`
	Expression string      `json:"expression"`
}

type condition struct {
	FieldName string          `json:"fieldName"`
	Value     json.RawMessage `json:"value"`
	Alias     string          `json:"alias"`
	Operator  string          `json:"operator"`
}

// Page size bounds and defaults of fetch.
const (
	DefaultPageSize = 100
	MaxPageSize     = 5000
)

func pageParam(raw json.RawMessage, name string, def, max int) (int, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return def, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, errPage(name + " must be a whole number")
	}
	v, err := n.Int64()
	if err != nil || v < 1 || (max > 0 && v > int64(max)) {
		if max > 0 {
			return 0, errPage(name + " must be between 1 and " + itoa(max))
		}
		return 0, errPage(name + " must be 1 or more")
	}
	return int(v), nil
}

// fetch runs a fetch over goals or templates; it returns the page of
// matching records in creation order.
func (s *Server) fetch(c *call, category string) ([]*goalRec, []string, *apiError) {
	var req fetchRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return nil, nil, e
	}
	size, e := pageParam(req.PageSize, "pageSize", DefaultPageSize, MaxPageSize)
	if e != nil {
		return nil, nil, e
	}
	number, e := pageParam(req.PageNumber, "pageNumber", 1, 0)
	if e != nil {
		return nil, nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	if len(req.Select) == 0 {
		return nil, nil, exceptionf("Invalid fields in select clause - select names no field")
	}
	var bad []string
	for _, f := range req.Select {
		if !t.isField(f) {
			bad = append(bad, f)
		}
	}
	if len(bad) > 0 {
		return nil, nil, exceptionf("Invalid fields in select clause - %s", strings.Join(bad, ", "))
	}
	match, e := t.compileWhere(req.Where)
	if e != nil {
		return nil, nil, e
	}
	var all []*goalRec
	for _, g := range t.sortedGoals(category) {
		if match(g.fields) {
			all = append(all, g)
		}
	}
	start := (number - 1) * size
	if start >= len(all) || start < 0 {
		return nil, req.Select, nil
	}
	end := min(start+size, len(all))
	// Copy the records so the answer is encoded outside the lock safely.
	page := make([]*goalRec, 0, end-start)
	for _, g := range all[start:end] {
		cp := *g
		cp.fields = deepCopyFields(g.fields)
		cp.ctas, cp.sps = slices.Clone(g.ctas), slices.Clone(g.sps)
		page = append(page, &cp)
	}
	return page, req.Select, nil
}

func selectFields(g *goalRec, sel []string) map[string]any {
	out := map[string]any{}
	for _, f := range sel {
		if v, ok := g.fields[f]; ok && v != nil {
			out[f] = v
		}
	}
	return out
}

func (s *Server) goalFetch(c *call) reply {
	page, sel, e := s.fetch(c, CategoryGoal)
	if e != nil {
		return e.render(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []any{}
	for _, g := range page {
		list = append(list, map[string]any{
			"dataList":       selectFields(g, sel),
			"associatedCTAs": s.t.workJSON(true, g.ctas),
			"associatedSPs":  s.t.workJSON(false, g.sps),
		})
	}
	return ok(c, map[string]any{"recordList": list})
}

func (t *tenant) workJSON(cta bool, ids []string) []any {
	out := []any{}
	for _, id := range ids {
		w := t.work(cta, id)
		if w == nil {
			continue
		}
		m := map[string]any{"gsid": w.gsid, "name": w.name, "entityType": w.entityType, "ownerId": w.ownerID,
			"statusId": w.statusID, "dueDate": w.dueDate}
		if !cta {
			m["closedCtaCount"] = nil
		}
		out = append(out, m)
	}
	return out
}
