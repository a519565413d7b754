package apply

import (
	"context"
	"strings"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/state"
)

// CodeAmbiguousExternalID is the DLQ error code of an event whose record
// has more than one goal in Gainsight (the Fetch by external id found
// several): goalrelay cannot tell which one to write, so it writes none.
const CodeAmbiguousExternalID = "AMBIGUOUS_EXTERNAL_ID"

// maxNamedGsids bounds the Gsids an AMBIGUOUS_EXTERNAL_ID message names;
// the Fetch asks for one more, to tell whether there are others.
const maxNamedGsids = 5

// foundGoal settles the goals a Fetch by external id found: none (""), one
// (its Gsid, recorded in the state, with its Name and status kept in
// w.fetched for fillUpdate), or several: a permanent
// AMBIGUOUS_EXTERNAL_ID error naming up to maxNamedGsids of them, and no
// write.
func (s *Service) foundGoal(ctx context.Context, w *work, goals []gainsight.Goal) (string, error) {
	switch len(goals) {
	case 0:
		return "", nil
	case 1:
	default:
		var ids []string
		for _, g := range goals[:min(len(goals), maxNamedGsids)] {
			ids = append(ids, g.Gsid)
		}
		more := ""
		if len(goals) > maxNamedGsids {
			more = " and more"
		}
		return "", permanentf(CodeAmbiguousExternalID, "goal %s: Gainsight holds several goals with %s = %s: %s%s; none was written",
			w.key, s.externalIDField(), w.key, strings.Join(ids, ", "), more)
	}
	g := goals[0]
	gsid, err := s.adoptGsid(ctx, w.key, g.Gsid)
	if err == nil && gsid == g.Gsid {
		w.fetched = state.Kept{Name: g.Name, StatusName: g.StatusName()}
		if w.fetched.StatusName == "" {
			w.fetched.StatusID = g.StatusID
		}
	}
	return gsid, err
}
