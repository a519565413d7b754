package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/state"
)

// stateKey is the state-table record of the Gainsight object an event is
// about: the record key for goals, prefixed by the entity for templates
// and metrics (one CRM record may feed a goal and a template). A goal
// whose source is itself an entity name ("metric", say: a record key
// "metric:x:y") is prefixed with "goal:" so that it cannot share a key
// with a metric; record keys are unambiguous, so every key is.
func stateKey(ev *goalevents.Event) string {
	if e := ev.Type.Entity(); e != "goal" {
		return e + ":" + ev.RecordKey()
	}
	switch goalevents.KeySource(ev.Source) {
	case "goal", "goaltemplate", "metric":
		return "goal:" + ev.RecordKey()
	}
	return ev.RecordKey()
}

func (s *Service) externalIDField() string {
	if s.ExternalIDField != "" {
		return s.ExternalIDField
	}
	return DefaultExternalIDField
}

// apply makes the Gainsight calls of one (merged) event.
func (s *Service) apply(ctx context.Context, w *work) (outcome, error) {
	switch w.ev.Type {
	case goalevents.GoalUpserted:
		return s.recovering(ctx, w, s.upsertGoal)
	case goalevents.GoalDeleted:
		return s.recovering(ctx, w, s.deleteGoal)
	case goalevents.GoalTemplateUpserted:
		return s.upsertTemplate(ctx, w)
	case goalevents.GoalTemplateDeleted:
		return s.deleteTemplate(ctx, w)
	case goalevents.MetricUpserted:
		return s.upsertMetric(ctx, w)
	case goalevents.MetricDeleted:
		return s.deleteMetric(ctx, w)
	}
	return permanent, permanentf("INVALID_EVENT", "unknown event type %q", w.ev.Type)
}

// resolveGoal finds the goal's Gsid: from the state, else from the batch
// Fetch's answer (w.hint, see prefetchGoals), else by a Fetch on the
// external-id field (which also settles a create whose outcome was
// unknown). It returns "" when Gainsight has no such goal, and an
// AMBIGUOUS_EXTERNAL_ID error when it has several (foundGoal).
func (s *Service) resolveGoal(ctx context.Context, w *work) (string, error) {
	if w.goal.Gsid != "" {
		return w.goal.Gsid, nil
	}
	if h := w.hint; h != nil {
		w.hint = nil
		gsid, err := s.foundGoal(ctx, w, h.goals)
		w.hinted = gsid
		return gsid, err
	}
	var resp *gainsight.FetchGoalsResponse
	err := s.call(ctx, func(ctx context.Context) error {
		var err error
		resp, err = s.Gainsight.FetchGoals(ctx, &gainsight.FetchGoalsRequest{
			Select:   fetchSelect,
			Where:    gainsight.Where(gainsight.Cond(s.externalIDField(), gainsight.OpEQ, w.key)),
			PageSize: maxNamedGsids + 1,
		})
		return err
	})
	if err != nil {
		return "", err
	}
	return s.foundGoal(ctx, w, resp.Goals)
}

// adoptGsid records a Gsid found by a Fetch; when another writer recorded
// a different one first, that one wins.
func (s *Service) adoptGsid(ctx context.Context, key, gsid string) (string, error) {
	err := s.Store.SetGsid(ctx, key, gsid)
	var conflict *state.GsidConflictError
	if errors.As(err, &conflict) && conflict.Stored != "" {
		return conflict.Stored, nil
	}
	return gsid, err
}

func (s *Service) upsertGoal(ctx context.Context, w *work) (outcome, error) {
	gsid, err := s.resolveGoal(ctx, w)
	if err != nil {
		return retry, err
	}
	if gsid == "" {
		if len(missingForCreate(w.ev.Data.Fields)) > 0 {
			// Completed from the CRM when its source can be read back
			// (readback.go).
			if o, err, handled := s.completeFromCRM(ctx, w); handled {
				return o, err
			}
		}
		if missing := missingForCreate(w.ev.Data.Fields); len(missing) > 0 {
			return permanent, permanentf("CANNOT_CREATE",
				"goal %s does not exist in Gainsight and the event lacks %s to create it%s", w.key, strings.Join(missing, ", "), w.readBackNote)
		}
		err := s.Store.MarkCreating(ctx, w.key, w.ev.ID)
		var conflict *state.GsidConflictError
		switch {
		case errors.As(err, &conflict) && conflict.Stored != "":
			gsid = conflict.Stored // created meanwhile: update it
		case err != nil:
			return retry, err
		default:
			return s.createGoal(ctx, w)
		}
	}
	req := &gainsight.UpdateGoalRequest{
		Record:       goalRecord(w.ev, gsid),
		Association:  association(w.ev.Data.Associate),
		Dissociation: association(w.ev.Data.Dissociate),
		Lookups:      lookups(w.ev.Data.Fields),
	}
	fillUpdate(w, &req.Record)
	if err := s.goalTypeID(ctx, &req.Record); err != nil {
		return classify(err), err
	}
	if err := s.updateGoal(ctx, w, req); err != nil {
		return classify(err), err
	}
	w.gsid = gsid
	return done, nil
}

func (s *Service) createGoal(ctx context.Context, w *work) (outcome, error) {
	rec := goalRecord(w.ev, "")
	rec.Fields[s.externalIDField()] = w.key
	if err := s.goalTypeID(ctx, &rec); err != nil {
		o := classify(err)
		if o == permanent {
			_ = s.Store.ClearCreating(ctx, w.key, w.ev.ID)
		}
		return o, err
	}
	req := &gainsight.CreateGoalRequest{
		Record:      rec,
		Association: association(w.ev.Data.Associate),
		Lookups:     lookups(w.ev.Data.Fields),
	}
	noteKept(w, &req.Record)
	var resp *gainsight.CreateGoalResponse
	err := s.call(ctx, func(ctx context.Context) error {
		var err error
		resp, err = s.Gainsight.CreateGoal(ctx, req)
		return err
	})
	if err != nil {
		o := classify(err)
		if o == permanent {
			// Refused: nothing was created.
			_ = s.Store.ClearCreating(ctx, w.key, w.ev.ID)
		}
		// Otherwise the create marker stays: the retry looks the goal up
		// by its external id before creating it.
		return o, err
	}
	w.requestID = resp.RequestID
	if resp.Goal.Gsid == "" {
		return retry, fmt.Errorf("create goal %s: the answer carries no Gsid (request %s)", w.key, resp.RequestID)
	}
	w.gsid = resp.Goal.Gsid
	return done, nil
}

// updateGoal sends the update and notes Gainsight's request id.
func (s *Service) updateGoal(ctx context.Context, w *work, req *gainsight.UpdateGoalRequest) error {
	return s.call(ctx, func(ctx context.Context) error {
		resp, err := s.Gainsight.UpdateGoal(ctx, req)
		if err == nil {
			w.requestID = resp.RequestID
		}
		return err
	})
}

// deleteGoal does what the mapping configured for a CRM delete: the event
// carries the fields to set (a closing status, say), or none, and then
// there is nothing to do. Gainsight has no goal delete.
func (s *Service) deleteGoal(ctx context.Context, w *work) (outcome, error) {
	if len(w.ev.Data.Fields) == 0 {
		return ignored, nil
	}
	gsid, err := s.resolveGoal(ctx, w)
	if err != nil {
		return retry, err
	}
	if gsid == "" {
		return ignored, nil
	}
	req := &gainsight.UpdateGoalRequest{Record: goalRecord(w.ev, gsid), Lookups: lookups(w.ev.Data.Fields)}
	fillUpdate(w, &req.Record)
	if err := s.goalTypeID(ctx, &req.Record); err != nil {
		return classify(err), err
	}
	if err := s.updateGoal(ctx, w, req); err != nil {
		return classify(err), err
	}
	w.gsid = gsid
	return done, nil
}

// goalRecord is the event's fields as a goal record, with its metric
// values.
func goalRecord(ev *goalevents.Event, gsid string) gainsight.GoalRecord {
	rec := gainsight.GoalRecord{Gsid: gsid, Fields: maps.Clone(ev.Data.Fields)}
	if rec.Fields == nil {
		rec.Fields = map[string]any{}
	}
	delete(rec.Fields, "Gsid")
	for _, m := range ev.Data.Metrics {
		ma := gainsight.MetricAssociation{MetricID: m.MetricID, BaseValue: m.BaseValue, TargetValue: m.TargetValue}
		for _, p := range m.ActualValue {
			ma.ActualValue = append(ma.ActualValue, gainsight.MetricPoint{Value: p.Value, Timestamp: p.Timestamp})
		}
		rec.MetricsAssociation = append(rec.MetricsAssociation, ma)
	}
	return rec
}

// nameLookups are the goal fields Gainsight resolves by name, and where.
var nameLookups = []struct{ field, target, object string }{
	{"CompanyName", "CompanyId", "company"},
	{"RelationshipName", "RelationshipId", "relationship"},
	{"OpportunityName", "OpportunityId", "opportunity"},
}

// lookups turns the *Name fields present into the lookups block.
//
// A relationship's name is unique only within its company and type, so
// the relationship lookup also matches the goal's RelationshipTypeId and,
// when the event names the company by CompanyId, the company; and several
// matches are refused (MARKASERROR) rather than the first taken: such a
// goal goes to the DLQ with Gainsight's reason instead of landing on
// another company's relationship.
func lookups(fields map[string]any) gainsight.Lookups {
	var l gainsight.Lookups
	for _, n := range nameLookups {
		if v, ok := fields[n.field].(string); ok && v != "" {
			if l == nil {
				l = gainsight.Lookups{}
			}
			lk := gainsight.NameLookup(n.object, n.field)
			if n.target == "RelationshipId" {
				for src, dst := range map[string]string{"RelationshipTypeId": "TypeId", "CompanyId": "CompanyId"} {
					if v, _ := fields[src].(string); v != "" {
						lk.Fields[src] = dst
					}
				}
				lk.MultiMatchOption = gainsight.MultiMatchError
			}
			l[n.target] = lk
		}
	}
	return l
}

func association(a *goalevents.Associations) *gainsight.Association {
	if a.Empty() {
		return nil
	}
	return &gainsight.Association{CTA: a.CTA, SP: a.SP}
}

// missingForCreate lists what a create needs and fields lack: Name, a
// status, an entity type and, for COMPANY, RELATIONSHIP and OPPORTUNITY
// goals, the entity's name.
func missingForCreate(fields map[string]any) []string {
	has := func(k string) bool {
		v, ok := fields[k]
		if !ok || v == nil {
			return false
		}
		s, isStr := v.(string)
		return !isStr || strings.TrimSpace(s) != ""
	}
	var missing []string
	if !has("Name") {
		missing = append(missing, "Name")
	}
	if !has("StatusName") && !has("StatusId") {
		missing = append(missing, "StatusName")
	}
	et, _ := fields["EntityType"].(string)
	switch strings.ToUpper(et) {
	case "":
		missing = append(missing, "EntityType")
	case "COMPANY":
		if !has("CompanyName") && !has("CompanyId") {
			missing = append(missing, "CompanyName")
		}
	case "RELATIONSHIP":
		if !has("RelationshipName") && !has("RelationshipId") {
			missing = append(missing, "RelationshipName")
		}
		// The API requires the relationship type of a relationship goal.
		if !has("RelationshipTypeId") {
			missing = append(missing, "RelationshipTypeId")
		}
	case "OPPORTUNITY":
		if !has("OpportunityName") && !has("OpportunityId") {
			missing = append(missing, "OpportunityName")
		}
	}
	return missing
}
