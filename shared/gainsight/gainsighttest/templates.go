package gainsighttest

import (
	"maps"
	"net/http"
)

type templateRequest struct {
	Record map[string]any `json:"record"`
}

type templateUpsertRequest struct {
	Requests []templateRequest     `json:"requests"`
	Lookups  map[string]lookupSpec `json:"lookups"`
}

// failure is an entry of a failureList.
func failure(index int, record any, e *apiError) map[string]any {
	code := e.code
	if e.exception {
		code = "CSGoalException"
	}
	return map[string]any{"index": index, "record": record, "errorCode": code, "message": e.msg}
}

// Modes of templateUpsert.
const (
	tplCreate = iota // every record is created; a Gsid is refused
	tplUpsert        // a record with a Gsid is updated, one without created
	tplUpdate        // every record needs a Gsid
)

// templateCreate serves POST .../template when template update is a PUT
// (Options.TemplateUpdateMethod): it only creates, so a record that
// carries a Gsid fails.
func (s *Server) templateCreate(c *call) reply { return s.templateUpsert(c, tplCreate) }

// templateUpsertPost serves POST .../template when template update is a
// POST (the spec's "Method POST" line): records without a Gsid are
// created, records with one are updated.
func (s *Server) templateUpsertPost(c *call) reply { return s.templateUpsert(c, tplUpsert) }

// templateUpdate serves PUT .../template: every record needs a Gsid.
func (s *Server) templateUpdate(c *call) reply { return s.templateUpsert(c, tplUpdate) }

func (s *Server) templateUpsert(c *call, mode int) reply {
	var req templateUpsertRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return e.render(c)
	}
	if len(req.Requests) == 0 {
		return exceptionf("Invalid request - requests is empty").render(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	if e := t.validateLookups(req.Lookups); e != nil {
		return e.render(c)
	}
	success, failures := []any{}, []any{}
	for i, r := range req.Requests {
		var out map[string]any
		var e *apiError
		_, has := r.Record["Gsid"]
		switch {
		case has && mode == tplCreate:
			e = exceptionf("Invalid Gsid provided in request - a create must not carry a Gsid")
		case has:
			out, e = s.templateUpdateOne(c, r.Record, req.Lookups)
		case mode == tplUpdate:
			e = exceptionf("Invalid Gsid provided in request - Gsid is mandatory for a template update")
		default:
			out, e = s.templateCreateOne(r.Record, req.Lookups)
		}
		if e != nil {
			failures = append(failures, failure(i, r.Record, e))
			continue
		}
		success = append(success, out)
	}
	return ok(c, map[string]any{"successList": success, "failureList": failures})
}

func (s *Server) templateCreateOne(rec map[string]any, lookups map[string]lookupSpec) (map[string]any, *apiError) {
	t := s.t
	if rec == nil {
		return nil, exceptionf("Invalid request - record is mandatory")
	}
	res, e := t.resolveRecord(CategoryTemplate, rec, lookups)
	if e != nil {
		return nil, e
	}
	if fieldString(res.set["Name"]) == "" {
		return nil, exceptionf("Invalid Name provided in request - Name is mandatory")
	}
	fields := maps.Clone(res.set)
	if fields["GoalTypeId"] == nil {
		fields["GoalTypeId"] = t.goalTypes[0].gsid
	}
	if _, has := fields["DueDate"]; !has {
		fields["DueDate"] = int64(0)
	}
	g := &goalRec{}
	if e := t.applyMetrics(g, res, fieldString(fields["GoalTypeId"])); e != nil {
		return nil, e
	}
	metrics := g.metrics
	g = t.insert("", CategoryTemplate, fields)
	g.metrics = metrics
	out := map[string]any{}
	for k := range res.set {
		if v := fields[k]; v != nil {
			out[k] = v
		}
	}
	for _, k := range []string{"Gsid", "GoalTypeId", "StatusId", "DueDate"} {
		if v := fields[k]; v != nil {
			out[k] = v
		}
	}
	return out, nil
}

func (s *Server) templateUpdateOne(c *call, rec map[string]any, lookups map[string]lookupSpec) (map[string]any, *apiError) {
	t := s.t
	gsid, _ := rec["Gsid"].(string)
	g := t.goals[gsid]
	if g == nil || g.category != CategoryTemplate {
		return nil, exceptionf("Invalid Gsid provided in request - no goal template %s", gsid)
	}
	res, e := t.resolveRecord(CategoryTemplate, rec, lookups)
	if e != nil {
		return nil, e
	}
	fields := deepCopyFields(g.fields)
	maps.Copy(fields, res.set)
	scratch := &goalRec{metrics: cloneMetrics(g.metrics)}
	if e := t.applyMetrics(scratch, res, fieldString(fields["GoalTypeId"])); e != nil {
		return nil, e
	}
	fields["ModifiedDate"], fields["ModifiedById"] = c.now.UnixMilli(), t.userID
	g.fields, g.metrics = fields, scratch.metrics
	out := map[string]any{}
	for k := range res.set {
		if v := fields[k]; v != nil {
			out[k] = v
		}
	}
	for _, k := range []string{"Gsid", "ModifiedById", "ModifiedDate"} {
		out[k] = fields[k]
	}
	return out, nil
}

type recordIDsRequest struct {
	RecordIDs []string `json:"recordIds"`
}

func (s *Server) templateDelete(c *call) reply {
	var req recordIDsRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return e.render(c)
	}
	if len(req.RecordIDs) == 0 {
		return errBadRequest("recordIds is empty").render(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	success, failures := []any{}, []any{}
	for i, id := range req.RecordIDs {
		g := s.t.goals[id]
		if g == nil || g.category != CategoryTemplate {
			failures = append(failures, failure(i, map[string]any{"Gsid": id},
				exceptionf("Invalid Gsid provided in request - no goal template %s", id)))
			continue
		}
		delete(s.t.goals, id)
		success = append(success, map[string]any{"Deleted": true, "GoalCategory": CategoryTemplate, "Gsid": id,
			"ModifiedById": s.t.userID, "ModifiedDate": c.now.UnixMilli()})
	}
	return ok(c, map[string]any{"failureList": failures, "successList": success,
		"success": len(failures) == 0, "failCount": len(failures)})
}

// templateFetch answers with the usual envelope around {"recordList": [flat
// records]} (the spec's sample shows the bare object;
// Options.TemplateFetchBare switches to it).
func (s *Server) templateFetch(c *call) reply {
	page, sel, e := s.fetch(c, CategoryTemplate)
	if e != nil {
		return e.render(c)
	}
	list := []any{}
	for _, g := range page {
		list = append(list, selectFields(g, sel))
	}
	data := map[string]any{"recordList": list}
	if s.o.TemplateFetchBare {
		return reply{status: http.StatusOK, body: data}
	}
	return ok(c, data)
}
