package apply

import (
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/state"
)

// fetchSelect is what resolveGoal's Fetch reads: the Gsid, and the Name
// and status an update must repeat (fillUpdate).
var fetchSelect = []string{"Gsid", "Name", "StatusId"}

// fillUpdate completes the record of a goal update: the spec says Name and
// StatusName cannot be left empty on update, while a CRM property change
// carries one field. A field the event does not mention at all is taken
// from the state (what goalrelay last sent, state.Goal.Kept), else from
// the Fetch that resolved the goal in this attempt; when neither has it
// the update goes without it and Gainsight answers. A field the event
// mentions, even empty, is left as the event has it. The status counts as
// mentioned when the event has StatusName or StatusId. It also notes the
// Gsid being updated (for recovering) and what the update keeps.
func fillUpdate(w *work, rec *gainsight.GoalRecord) {
	w.updating = rec.Gsid
	if rec.Fields == nil {
		rec.Fields = map[string]any{}
	}
	f := rec.Fields
	kept, fetched := w.goal.Kept, w.fetched
	if _, ok := f["Name"]; !ok && rec.Name == "" {
		if v := first(kept.Name, fetched.Name); v != "" {
			f["Name"] = v
		}
	}
	_, hasName := f["StatusName"]
	_, hasID := f["StatusId"]
	if !hasName && !hasID && rec.StatusName == "" && rec.StatusID == "" {
		switch {
		case kept.StatusName != "" || kept.StatusID != "":
			setStatus(f, kept)
		default:
			setStatus(f, fetched)
		}
	}
	noteKept(w, rec)
}

func setStatus(f map[string]any, k state.Kept) {
	switch {
	case k.StatusName != "":
		f["StatusName"] = k.StatusName
	case k.StatusID != "":
		f["StatusId"] = k.StatusID
	}
}

// noteKept records the Name and status a create or update sends, for the
// state write that follows its success (state.Store.PutGoalApplied).
func noteKept(w *work, rec *gainsight.GoalRecord) {
	str := func(set, k string) string {
		if set != "" {
			return set
		}
		s, _ := rec.Fields[k].(string)
		return s
	}
	w.kept = state.Kept{Name: str(rec.Name, "Name"), StatusName: str(rec.StatusName, "StatusName"),
		StatusID: str(rec.StatusID, "StatusId")}
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
