package apply

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/state"
)

// applyUnit applies one unit: one event, or several upserts of one goal
// merged into one call. It claims every event, drops duplicates and events
// older than the goal's version, applies what is left, and completes or
// releases the claims. Every message of the unit ends with an outcome.
func (s *Service) applyUnit(ctx context.Context, unit []*message) {
	lease := s.lease(ctx)
	var live []*message
	for i, m := range unit {
		c, err := s.Store.Begin(ctx, m.ev.Identity(), lease)
		if err != nil {
			m.outcome, m.err = classify(err), err
			if m.outcome == retry {
				// FIFO: the unit's later events must not be applied
				// before this one; they go back to the queue with it.
				failRest(unit[i+1:], fmt.Errorf("an earlier event of the record was not claimed: %w", err))
				break
			}
			continue
		}
		m.claim = &c
		if c.Resumed {
			s.logger().InfoContext(ctx, "claim resumed: an earlier attempt ended without an outcome (its consumer died)",
				"event_id", m.ev.ID, "source", m.ev.Source,
				"record_key", m.key, "attempt", c.Attempt)
		}
		live = append(live, m)
	}
	if len(live) == 0 {
		return
	}
	key := live[0].key
	// One consumer at a time works on a record (see state.Store.LockGoal);
	// the lock comes with the record's state.
	owner := lockOwner()
	g, _, err := s.Store.LockGoal(ctx, key, owner, lease)
	if err != nil {
		s.finish(ctx, live, err)
		return
	}
	defer func() {
		// Released even when the Lambda's context is ending: otherwise the
		// record waits for the lease to expire.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = s.Store.UnlockGoal(uctx, key, owner)
	}()
	var fresh []*message
	for _, m := range live {
		m.applied.Gsid = g.Gsid // the record's goal, whatever becomes of the event
		if !g.Version.IsZero() && m.ev.Time.Before(g.Version) {
			m.err = fmt.Errorf("%w: event at %s, goal at %s", state.ErrStale, m.ev.Time.Format(time.RFC3339Nano), g.Version.Format(time.RFC3339Nano))
			m.applied.Detail = "older than the goal's version " + g.Version.Format(time.RFC3339Nano) + " (event " + g.LastEventID + ")"
			s.complete(ctx, m, stale)
			continue
		}
		fresh = append(fresh, m)
	}
	if len(fresh) == 0 {
		return
	}
	evs, ids := s.withPending(ctx, g, fresh)
	ev := merge(evs)
	if len(evs) > 1 {
		s.Metrics.Add(emf.EventsMerged, float64(len(evs)-1))
	}
	// Kept before it is sent (pending.go).
	ahead, err := s.writeAhead(ctx, g, owner, &ev, ids)
	if err != nil {
		s.finish(ctx, fresh, err)
		return
	}
	w := &work{key: key, ev: &ev, goal: g}
	if g.Gsid == "" && !g.CreatePending {
		// The batch Fetch stands for the unit's own only while the record
		// has neither a Gsid nor a pending create under the lock
		// (prefetchGoals says why).
		w.hint = fresh[0].hint
	}
	for _, m := range fresh {
		if m.rb != nil {
			w.rb = m.rb
			break
		}
	}
	cctx, cancel := s.callContext(ctx)
	out, err := s.apply(cctx, w)
	for n := 1; err != nil && s.retryInline(cctx, key, n, err); n++ {
		// The record as a redelivery would find it (inline.go). Should
		// another consumer have written it meanwhile (this attempt's lock
		// ran out and was taken), the unit goes back to the queue instead,
		// where its redelivery checks its events against that write.
		now, _, lerr := s.Store.LockGoal(ctx, key, owner, lease)
		if lerr != nil || !now.Version.Equal(g.Version) {
			break
		}
		// The CRM read-back's answer stands: no second read for the retry.
		w = &work{key: key, ev: &ev, goal: now, rb: w.rb}
		out, err = s.apply(cctx, w)
	}
	cancel()
	if err == nil {
		// Record the version (and the Gsid, and the goal's Name and status
		// as sent) before acknowledging, so a redelivery finds the goal and
		// an older event is refused.
		if w.gsid != "" || out == done {
			err = s.Store.PutGoalApplied(ctx, key, w.gsid, ev.Time, ev.ID, w.kept)
			if errors.Is(err, state.ErrStale) {
				// A newer event was recorded meanwhile: only possible
				// when this unit outlived its record lock.
				err = nil
			}
		} else if ahead {
			// Ended with nothing written (the CRM record is gone, say):
			// the kept values must not be sent later.
			s.restorePending(ctx, key, owner, g.Pending)
		}
		if err == nil && w.deleted != "" {
			err = s.Store.ForgetGsid(ctx, key, w.deleted)
		}
	}
	for _, m := range fresh {
		if gsid := cmp.Or(w.gsid, w.deleted, w.goal.Gsid); gsid != "" {
			m.applied.Gsid = gsid
		}
	}
	if err != nil {
		if ahead && classify(err) == permanent {
			s.restorePending(ctx, key, owner, g.Pending)
		}
		s.finish(ctx, fresh, err)
		return
	}
	for _, m := range fresh {
		m.applied.RequestID = w.requestID
		if len(fresh) > 1 {
			m.applied.Detail = fmt.Sprintf("merged: %d events of the record in one call", len(fresh))
		}
		s.complete(ctx, m, out)
	}
}

// work is the state of one unit while it is applied.
type work struct {
	key  string
	ev   *goalevents.Event
	goal state.Goal
	// deleted is the Gsid of a template or metric the unit deleted.
	deleted string
	// gsid is the Gainsight object the unit ended on (created, found or
	// known).
	gsid string
	// updating is the goal Gsid the last update was sent to (see
	// recovering).
	updating string
	// fetched is the Name and status of the goal a Fetch resolved; kept
	// is what the create or update sent, kept in the state when it
	// succeeds (see kept.go).
	fetched state.Kept
	kept    state.Kept
	// hint is the batch Fetch's answer for the record, used instead of
	// resolveGoal's own Fetch (once); hinted is the Gsid resolveGoal took
	// from it, which recovering forgets should Gainsight call it invalid.
	hint   *goalHint
	hinted string
	// rb is what the batch's CRM read-back said about the record (the
	// first of the unit's messages that has an answer); readBackNote
	// explains a CANNOT_CREATE after it.
	rb           *readBackResult
	readBackNote string
	// requestID is Gainsight's request id of the unit's last call that
	// succeeded, for the events' stories.
	requestID string
}

// finish ends the claims of msgs after err: retryable errors release the
// claim so that the redelivery can claim it at once (a create whose outcome
// is unknown is remembered on the goal record by MarkCreating instead).
// Permanent ones are released too, once the event is in the DLQ
// (endPermanent): when an operator has fixed the cause a redrive must
// apply it, not find it complete and drop it as a duplicate (a duplicate
// delivery meanwhile fails the same way and is dead-lettered again).
func (s *Service) finish(ctx context.Context, msgs []*message, err error) {
	o := classify(err)
	for _, m := range msgs {
		m.err = err
		switch o {
		case retry:
			m.outcome = o
			if m.claim != nil {
				_ = s.Store.Release(ctx, *m.claim, storyOf(m))
			}
		case permanent:
			m.outcome = o
		default:
			s.complete(ctx, m, o)
		}
	}
}

// endPermanent records the story of a message that was to go to the DLQ
// (m.outcome permanent, or retry when the DLQ refused it): with the
// release of its claim, or, for an event refused before it was claimed,
// with a write of its own (the only story write apply adds; never for an
// applied event).
func (s *Service) endPermanent(ctx context.Context, m *message) {
	switch {
	case m.claim != nil:
		_ = s.Store.Release(ctx, *m.claim, storyOf(m))
	case m.ev != nil && m.outcome == permanent:
		_ = s.Store.NoteEvent(ctx, m.ev.Identity(), storyOf(m))
	}
}

// complete marks the event complete with outcome o. If the completion
// cannot be recorded the message is retried: acknowledging it would let a
// later duplicate delivery apply it again.
func (s *Service) complete(ctx context.Context, m *message, o outcome) {
	m.outcome = o
	if m.claim == nil {
		return
	}
	if err := s.Store.Complete(ctx, *m.claim, 0, storyOf(m)); err != nil {
		if o == done || o == ignored {
			// Applied, but not recorded: a redelivery finds the goal's
			// version equal to this event's and applies it once more,
			// which sets the same values; safe.
			m.outcome, m.err = retry, fmt.Errorf("record completion: %w", err)
		}
	}
}

// lockOwner names one attempt at a unit, for the record lock.
func lockOwner() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
