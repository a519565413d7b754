package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/readback"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// readBackResult is what the CRM said about a message's record.
type readBackResult struct {
	fields map[string]any // the record's goal fields, through the mapping
	gone   bool           // deleted in the CRM
	err    error          // the read-back failed
}

// RecordGoneError: a goal upsert that could not create its goal was to be
// completed from the CRM, and the CRM no longer has the record (deleted
// before it could be read back). It is acknowledged with this reason
// (outcome gone), never dead-lettered: there is nothing left to apply.
type RecordGoneError struct {
	RecordKey string
}

func (e *RecordGoneError) Error() string {
	return "record " + e.RecordKey + " was deleted in the CRM before it could be read back; nothing to create"
}

// candidateForReadBack reports whether m's goal may need completing from
// the CRM: a goal upsert that lacks what a create needs, for a record the
// batch Fetch found no goal for, from a source that can be read back.
func (s *Service) candidateForReadBack(m *message) bool {
	return m.pending() && m.ev.Type == goalevents.GoalUpserted &&
		m.hint != nil && len(m.hint.goals) == 0 &&
		len(missingForCreate(m.ev.Data.Fields)) > 0 && s.ReadBack.Describes(m.ev.Source)
}

// readBackBatch reads back, with one Read per source (the reader batches
// by 100), the records of the batch's messages that may need completing
// (candidateForReadBack), before any unit runs, and gives each such
// message what the CRM said (message.rb). A message without an answer
// is read back on its own if its unit still needs it (completeFromCRM).
func (s *Service) readBackBatch(ctx context.Context, msgs []*message) {
	if s.ReadBack == nil || s.Mapper == nil || s.timeLeft(ctx) < s.margin() {
		return
	}
	bySource := map[string][]*message{}
	var order []string
	for _, m := range msgs {
		if !s.candidateForReadBack(m) {
			continue
		}
		if _, ok := bySource[m.ev.Source]; !ok {
			order = append(order, m.ev.Source)
		}
		bySource[m.ev.Source] = append(bySource[m.ev.Source], m)
	}
	for _, src := range order {
		s.readBackMessages(ctx, src, bySource[src])
	}
}

// readBackMessages reads the records of msgs (all of one event source)
// and sets each message's result; nothing when the source has no reader.
func (s *Service) readBackMessages(ctx context.Context, source string, msgs []*message) {
	target, err := s.ReadBack.For(ctx, source)
	if errors.Is(err, readback.ErrNoReader) {
		return
	}
	var res webhook.ReadResult
	if err == nil {
		var ids []string
		for _, m := range msgs {
			if !slices.Contains(ids, m.ev.Subject) {
				ids = append(ids, m.ev.Subject)
			}
		}
		cctx, cancel := s.callContext(ctx)
		res, err = target.Reader.Read(cctx, source, target.Object, ids)
		cancel()
		s.Metrics.Add(emf.CRMReadBacks, float64(len(ids)))
		var rl *crm.RateLimitError
		if errors.As(err, &rl) && rl.Throttled {
			s.Metrics.Inc(emf.CRMReadBack429)
		}
	}
	if err != nil {
		s.logger().WarnContext(ctx, "CRM read-back failed", slog.String("source", source), slog.Int("records", len(msgs)), slog.String("error", err.Error()))
		for _, m := range msgs {
			m.rb = &readBackResult{err: err}
		}
		return
	}
	for _, m := range msgs {
		rec, ok := res.Records[m.ev.Subject]
		switch {
		case ok:
			fields, err := readback.GoalFields(s.Mapper, rec)
			if err == nil && fields == nil {
				err = fmt.Errorf("%w: the mapping gives no goal for the read-back %s %s", webhook.ErrUnmappable, rec.Object, rec.RecordID)
			}
			m.rb = &readBackResult{fields: fields, err: err}
		case slices.Contains(res.Gone, m.ev.Subject):
			m.rb = &readBackResult{gone: true}
		}
	}
}

// completeFromCRM completes w's event from the CRM read-back of its record
// when it cannot create its goal. handled is false when there is nothing
// to do from the CRM (no reader for the source, or the CRM refused the
// read for good): the event then goes on as without read-back. With
// handled, the outcome and error say what becomes of the unit (retry for
// a failed read-back, deferred for the CRM's limits; gone for a record
// deleted in the CRM); a nil error with handled means the event's fields
// were completed and the create can go on.
func (s *Service) completeFromCRM(ctx context.Context, w *work) (out outcome, err error, handled bool) {
	if s.ReadBack == nil || s.Mapper == nil || !s.ReadBack.Describes(w.ev.Source) {
		return 0, nil, false
	}
	rb := w.rb
	if rb == nil {
		m := &message{ev: w.ev, outcome: pending}
		s.readBackMessages(ctx, w.ev.Source, []*message{m})
		rb = m.rb
	}
	switch {
	case rb == nil:
		return 0, nil, false
	case rb.gone:
		return gone, &RecordGoneError{RecordKey: w.key}, true
	case rb.err != nil:
		if errors.Is(rb.err, webhook.ErrUnmappable) {
			return permanent, permanentf("CANNOT_CREATE", "goal %s does not exist in Gainsight and its CRM record cannot be mapped: %v", w.key, rb.err), true
		}
		if o, _ := crm.Classify(rb.err); o == crm.Refused {
			w.readBackNote = "; the CRM read-back was refused: " + rb.err.Error()
			return 0, nil, false
		}
		return retry, fmt.Errorf("CRM read-back of %s: %w", w.key, rb.err), true
	}
	fields := maps.Clone(w.ev.Data.Fields)
	if fields == nil {
		fields = map[string]any{}
	}
	for k, v := range rb.fields {
		if _, ok := fields[k]; !ok {
			fields[k] = v
		}
	}
	ev := *w.ev
	ev.Data.Fields = fields
	w.ev = &ev
	w.readBackNote = " (completed from the CRM)"
	return 0, nil, false
}
