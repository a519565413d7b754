package apply

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

// A merged write whose outcome is unknown. Consecutive upserts of a goal
// are merged into one call (merge.go). When that call's answer is lost
// (or its version cannot be recorded), Gainsight may already hold the
// merged values, the newest event's included, while the state's version
// does not say so; every event of the unit goes back to the queue. SQS
// FIFO brings them back in order but not always in one batch: a batch
// that ends inside the group would apply the first events alone and
// write an older value over the newer one the lost write set, until the
// newer event is applied again.
//
// So before the unit fails, the merged event is kept on the goal record
// (state.PendingWrite, at most state.MaxPendingEvent bytes; a larger one
// is not kept, and the brief regression stays possible). A later unit of
// the record whose version the pending write is ahead of sends the merged
// values again instead of an older part of them: the pending event comes
// first, the unit's events it carries are left out (their values are in
// it), and the unit's newer events are merged over it. Its events older
// than the pending write that it does not carry (a late delivery) are
// merged under it, so the pending values win, as they would had its
// version been recorded. Recording the version (PutGoalApplied) removes
// the pending write.

// withPending returns the events to merge for the unit's fresh messages,
// with the record's pending write when there is one to honour, and the ids
// of the events the merged write carries.
func (s *Service) withPending(ctx context.Context, g state.Goal, fresh []*message) ([]*goalevents.Event, []string) {
	var pending *goalevents.Event
	p := g.Pending
	if p != nil && p.Version.After(g.Version) && allUpserts(fresh) {
		var ev goalevents.Event
		if err := json.Unmarshal(p.Event, &ev); err != nil {
			s.logger().WarnContext(ctx, "a pending write cannot be read; the unit goes on without it",
				"record_key", logbound.Cut(g.RecordKey, logbound.MaxValue), "error", logbound.Cut(err.Error(), logbound.MaxError))
		} else {
			pending = &ev
		}
	}
	var evs []*goalevents.Event
	var ids []string
	if pending != nil {
		evs = append(evs, pending)
		ids = append(ids, p.EventIDs...)
	}
	for _, m := range fresh {
		if pending != nil && slices.Contains(p.EventIDs, m.ev.ID) {
			continue
		}
		evs = append(evs, m.ev)
		ids = append(ids, m.ev.ID)
	}
	return evs, ids
}

func allUpserts(msgs []*message) bool {
	for _, m := range msgs {
		if m.ev.Type != goalevents.GoalUpserted {
			return false
		}
	}
	return true
}

// mayHaveWritten reports whether an attempt that sent a create or update
// (work.sent) and ended with err may have changed the goal in Gainsight:
// not when the write itself was refused unapplied (a 429) or the attempt
// ended on the quota, a busy claim or a locked record, which a
// quota-starved backlog meets on every attempt and which needs no pending
// write. A nil err is a write Gainsight took whose version could not be
// recorded. applyUnit asks it after every attempt of a unit: a write an
// earlier attempt may have made stays possible whatever the later
// attempts meet.
func mayHaveWritten(err error) bool {
	var rl *gainsight.RateLimitError
	var le *quota.LimitError
	switch {
	case err == nil:
		return true
	case errors.As(err, &rl), errors.As(err, &le), errors.Is(err, state.ErrBusy), errors.Is(err, state.ErrLocked):
		return false
	}
	return true
}

// keepPending keeps the unit's merged event on the record before the unit
// fails, while owner still holds the record's lock; best effort: without
// it, the unit fails as before.
func (s *Service) keepPending(ctx context.Context, key, owner string, ev *goalevents.Event, ids []string) {
	b, err := json.Marshal(ev)
	if err == nil {
		err = s.Store.PutPendingWrite(ctx, key, owner, state.PendingWrite{Version: ev.Time, EventIDs: ids, Event: b})
	}
	if err != nil {
		s.logger().WarnContext(ctx, "cannot keep a merged write whose outcome is unknown",
			"record_key", logbound.Cut(key, logbound.MaxValue), "error", logbound.Cut(err.Error(), logbound.MaxError))
	}
}
