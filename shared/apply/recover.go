package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/state"
)

// recovering runs a goal write (upsertGoal, deleteGoal) and, when
// Gainsight answered "Invalid Gsid" to the update of the Gsid the state
// held, the goal was deleted in Gainsight: the state forgets that Gsid and
// the write runs once more in the same attempt, under the same record lock
// and so in FIFO order. That run resolves the goal afresh (a Fetch by
// external id) and updates the goal it finds, creates one when the event
// can, or ends as the write would for a goal that never existed
// (CANNOT_CREATE for a thin upsert, ignored for a delete). Every call
// takes its unit of quota (Service.call); the second run at most costs a
// Fetch and a create or an update, and it is never followed by a third:
// an "Invalid Gsid" for a Gsid the Fetch found is final. An "Invalid Gsid"
// that is about something else than the goal (a reference field, say)
// costs the Fetch and a second update before it goes to the DLQ as before.
// A Gsid taken from the batch Fetch (prefetchGoals) counts as one the state
// held: that Fetch may be older than the goal's deletion, so its "Invalid
// Gsid" is not final either, and the second run makes its own Fetch.
func (s *Service) recovering(ctx context.Context, w *work, write func(context.Context, *work) (outcome, error)) (outcome, error) {
	o, err := write(ctx, w)
	stored := w.goal.Gsid
	if stored == "" {
		// A Gsid the batch Fetch gave is as old as that Fetch: the goal
		// may have been deleted since, like a stored one.
		stored = w.hinted
	}
	if stored == "" || w.updating != stored || !invalidGsid(err) {
		return o, err
	}
	if ferr := s.Store.ForgetGsid(ctx, w.key, stored); ferr != nil {
		// Retried (not Gainsight's validation error, which would send the
		// event to the DLQ): the redelivery updates, fails and forgets
		// again.
		return retry, fmt.Errorf("goal %s was deleted in Gainsight (%v); forget its gsid %s: %w", w.key, err, stored, ferr)
	}
	w.goal.Gsid, w.updating, w.fetched, w.hint, w.hinted = "", "", state.Kept{}, nil, ""
	return write(ctx, w)
}

// invalidGsid reports Gainsight's answer to an update of a Gsid it does
// not know: a validation error "Invalid Gsid provided in request" (the
// spec spells it "Invalid GSID" too).
func invalidGsid(err error) bool {
	var api *gainsight.APIError
	return errors.As(err, &api) && api.Validation() &&
		strings.HasPrefix(strings.ToLower(api.Message), "invalid gsid")
}
