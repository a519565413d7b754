package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/state"
)

// A merged write whose outcome is unknown. Consecutive upserts of a goal
// are merged into one call (merge.go). When that call's answer is lost,
// or its version cannot be recorded, or its consumer dies or loses the
// record lock while the call is out, Gainsight may already hold the
// merged values, the newest event's included, while the state's version
// does not say so; every event of the unit comes back from the queue. SQS
// FIFO brings them back in order but not always in one batch: a batch
// that ends inside the group would apply the first events alone and
// write an older value over the newer one the lost write set, until the
// newer event is applied again.
//
// So the merged event is kept on the goal record before it is sent
// (writeAhead: state.PendingWrite, written under the record lock, at most
// state.MaxPendingEvent bytes; a larger one is not kept, and the brief
// regression stays possible). Nothing that runs after the call is needed
// for it, so a SIGKILL, an out-of-memory end or a lost lock leaves it in
// place as surely as a lost answer. Recording the version (PutGoalApplied)
// removes it; a write Gainsight refuses for good puts back what the record
// held before (restorePending), so that refused values are not sent again
// (so does a unit that ends with nothing to write).
// A later unit of the record whose version the pending write is ahead of
// sends the merged values again instead of an older part of them: the
// pending event comes first, the unit's events it carries are left out
// (their values are in it), and the unit's newer events are merged over
// it. Its events older than the pending write that it does not carry (a
// late delivery) are merged under it, so the pending values win, as they
// would had its version been recorded. Should the write never have
// reached Gainsight (a quota refusal, a 429), the pending values are
// still those of the record's own queued events, which the next unit
// sends merged, as it would had they come in one batch.

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

// writeAhead keeps the unit's merged event ev (carrying the events ids)
// on the record g before it is sent, while owner holds the record's lock.
// A unit of one event needs none (no older part of it can be sent alone),
// nor one whose write the record already keeps (an earlier attempt's).
// It reports whether it changed the record's pending write; an error
// means the unit must not write (the lock was lost, DynamoDB failed).
func (s *Service) writeAhead(ctx context.Context, g state.Goal, owner string, ev *goalevents.Event, ids []string) (bool, error) {
	if len(ids) < 2 {
		return false, nil
	}
	if p := g.Pending; p != nil && p.Version.Equal(ev.Time) && sameIDs(p.EventIDs, ids) {
		return false, nil
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return false, err
	}
	if len(b) > state.MaxPendingEvent {
		s.logger().WarnContext(ctx, "merged write too large to keep before it is sent; a lost answer may briefly let an older version through",
			"record_key", logbound.Cut(g.RecordKey, logbound.MaxValue), "bytes", len(b))
		return false, nil
	}
	if err := s.Store.PutPendingWrite(ctx, g.RecordKey, owner, state.PendingWrite{Version: ev.Time, EventIDs: ids, Event: b}); err != nil {
		return false, fmt.Errorf("keep the merged write before sending it: %w", err)
	}
	return true, nil
}

// restorePending puts back the pending write the record held before
// writeAhead replaced it (none: removes it), once the unit ended without
// writing: Gainsight refused the write for good, or there was nothing to
// write. Best effort.
func (s *Service) restorePending(ctx context.Context, key, owner string, prev *state.PendingWrite) {
	var err error
	if prev != nil {
		err = s.Store.PutPendingWrite(ctx, key, owner, *prev)
	} else {
		err = s.Store.ClearPendingWrite(ctx, key, owner)
	}
	if err != nil {
		s.logger().WarnContext(ctx, "cannot put back the pending write after a refused merged write",
			"record_key", logbound.Cut(key, logbound.MaxValue), "error", logbound.Cut(err.Error(), logbound.MaxError))
	}
}

func sameIDs(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
