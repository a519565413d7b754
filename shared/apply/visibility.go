package apply

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

// How long a message stays invisible, from receive to retry.
//
// In flight: the queue's own visibility time-out stays long (720 s, six
// times the function time-out, as Lambda's event source mapping asks),
// but Handle sets its batch's visibility to InFlight (60 s) as it starts
// and extends it by InFlight every InFlight/3 (20 s) while it works
// (heartbeat). A batch whose invocation dies (killed, out of memory, timed
// out) therefore comes back at most InFlight after the death, not after
// the queue's 720 s. The claims and record locks the batch holds have a
// lease of 2/3 × InFlight (40 s), renewed on the same beat: they run out
// before the dead batch's messages come back, so the redelivery is not
// refused as busy.
//
// After a failure: a message that failed with a retryable outcome is made
// visible again after a backoff, 5 s × 2^(failures−1) with equal jitter
// (half of it fixed, half random; failures: the event's failed attempts,
// not its receives, see backoff), capped at 15 minutes and at the
// queue's visibility time-out; a message refused as busy (another claim's
// lease, another record lock) waits at least until that lease ends.
// Messages that wait for the quota keep their longer deferral (defer.go).
// A message group's later messages, failed because of an earlier one,
// get that one's visibility, so the group comes back together and in
// order.
//
// Every change is best effort: if SQS refuses it, the message keeps the
// visibility it had (the in-flight one, else the queue's), which only
// delays it; nothing is lost.

// DefaultInFlight is the visibility of a batch while Handle works on it.
const DefaultInFlight = 60 * time.Second

// minInFlight is the shortest InFlight allowed (the beat is a third).
const minInFlight = 3 * time.Second

const (
	backoffBase = 5 * time.Second
	maxBackoff  = 15 * time.Minute
)

func (s *Service) inFlight() time.Duration {
	if s.InFlight >= minInFlight {
		return s.InFlight
	}
	return DefaultInFlight
}

// queueInfo is what Handle knows of a queue.
type queueInfo struct {
	url        string
	visibility time.Duration // 0 when unknown
}

var queues sync.Map // queue ARN → queueInfo

// queue resolves a queue's URL and visibility time-out once per process.
// A visibility it cannot read is 0 and resolved again next time.
func (s *Service) queue(ctx context.Context, arn string) (queueInfo, error) {
	if q, ok := queues.Load(arn); ok {
		return q.(queueInfo), nil
	}
	url, err := s.queueURL(ctx, arn)
	if err != nil {
		return queueInfo{}, err
	}
	q := queueInfo{url: url}
	out, err := s.Defer.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout}})
	if err == nil {
		if n, perr := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)]); perr == nil && n > 0 {
			q.visibility = time.Duration(n) * time.Second
			queues.Store(arn, q)
			return q, nil
		}
	}
	s.logger().WarnContext(ctx, "cannot read the queue's visibility timeout; backoffs are capped at 15 minutes", "queue_arn", arn)
	return q, nil
}

// batchQueues resolves the queues of a batch's messages (those with a
// receipt handle and a queue ARN); nil without a Deferrer.
func (s *Service) batchQueues(ctx context.Context, msgs []*message) map[string]queueInfo {
	if s.Defer == nil {
		return nil
	}
	qs := map[string]queueInfo{}
	for _, m := range msgs {
		arn := m.rec.EventSourceARN
		if _, done := qs[arn]; done || arn == "" || m.rec.ReceiptHandle == "" {
			continue
		}
		q, err := s.queue(ctx, arn)
		if err != nil {
			s.logger().WarnContext(ctx, "cannot resolve the queue; its messages keep the queue's visibility timeout", "queue_arn", arn, "error", err.Error())
			continue
		}
		qs[arn] = q
	}
	return qs
}

// setVisibility changes the visibility of messages, ten at a time, and
// logs what SQS refused (the message then keeps its visibility).
func (s *Service) setVisibility(ctx context.Context, what string, qs map[string]queueInfo, vis map[*message]time.Duration, order []*message) {
	byQueue := map[string][]types.ChangeMessageVisibilityBatchRequestEntry{}
	var arns []string
	for _, m := range order {
		d, ok := vis[m]
		if !ok {
			continue
		}
		arn := m.rec.EventSourceARN
		if _, known := qs[arn]; !known || m.rec.ReceiptHandle == "" {
			continue
		}
		if _, seen := byQueue[arn]; !seen {
			arns = append(arns, arn)
		}
		byQueue[arn] = append(byQueue[arn], types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                aws.String(m.rec.MessageId),
			ReceiptHandle:     aws.String(m.rec.ReceiptHandle),
			VisibilityTimeout: seconds(d),
		})
	}
	for _, arn := range arns {
		entries := byQueue[arn]
		for len(entries) > 0 {
			n := min(len(entries), 10)
			out, err := s.Defer.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
				QueueUrl: aws.String(qs[arn].url), Entries: entries[:n],
			})
			switch {
			case err != nil:
				s.logger().WarnContext(ctx, "cannot "+what, "queue_arn", arn, "messages", n, "error", err.Error())
			case len(out.Failed) > 0:
				s.logger().WarnContext(ctx, "cannot "+what, "queue_arn", arn, "messages", len(out.Failed),
					"message_id", aws.ToString(out.Failed[0].Id), "error", aws.ToString(out.Failed[0].Code)+": "+aws.ToString(out.Failed[0].Message))
			}
			entries = entries[n:]
		}
	}
}

// seconds rounds d up to whole seconds, within SQS's limits.
func seconds(d time.Duration) int32 {
	d = min(max(d, 0), maxVisibility)
	return int32((d + time.Second - 1) / time.Second)
}

// settle sets the visibility of every failed message: its deferral when
// it waits for the quota, else its backoff; a group's later failed
// messages take the visibility of its first.
func (s *Service) settle(ctx context.Context, qs map[string]queueInfo, msgs []*message) {
	if len(qs) == 0 {
		return
	}
	var spent *quota.LimitError
	for _, m := range msgs {
		var le *quota.LimitError
		if m.outcome == retry && errors.As(m.err, &le) && le.Limit == quota.LimitDaySpent {
			spent = le
			break
		}
	}
	vis := map[*message]time.Duration{}
	first := map[string]time.Duration{} // group → visibility of its first failed message
	for _, m := range msgs {
		if m.outcome != retry {
			continue
		}
		d, ok := first[m.group]
		if !ok {
			d = s.deferral(m, spent)
			if d == 0 {
				d = s.backoff(m, qs[m.rec.EventSourceARN].visibility)
			}
			first[m.group] = d
		}
		vis[m] = d
	}
	s.setVisibility(ctx, "set the visibility of failed messages; they come back when the in-flight visibility runs out", qs, vis, msgs)
}

// backoff is how long a retried message stays invisible: 5 s ×
// 2^(failures−1), equal jitter, at least until a lease that refused it
// ends, at most 15 minutes and the queue's visibility time-out. failures
// counts the event's attempts that failed, this one included (its claim's
// Released + 1): a receive whose consumer died, or that never got to the
// event because an earlier message of its group failed, is no failure of
// the event to back off from. A message that failed before it claimed its
// event counts its receives.
func (s *Service) backoff(m *message, queueVis time.Duration) time.Duration {
	n, _ := strconv.Atoi(m.rec.Attributes["ApproximateReceiveCount"])
	if m.claim != nil {
		n = m.claim.Released + 1
	}
	n = min(max(n, 1), 20)
	b := min(backoffBase<<(n-1), maxBackoff)
	r := rand.Float64
	if s.Rand != nil {
		r = s.Rand
	}
	d := b/2 + time.Duration(r()*float64(b/2))
	var busy *state.BusyError
	var locked *state.LockedError
	var crl *crm.RateLimitError
	switch {
	case errors.As(m.err, &crl):
		// A CRM read-back's 429: not before its Retry-After.
		d = max(d, crl.RetryAfter)
	case errors.As(m.err, &busy):
		d = max(d, busy.Until.Sub(s.now())+time.Second)
	case errors.As(m.err, &locked):
		d = max(d, locked.Until.Sub(s.now())+time.Second)
	}
	limit := maxBackoff
	if queueVis > 0 {
		limit = min(limit, queueVis)
	}
	return min(max(d, time.Second), limit)
}

// heartbeat keeps a batch's messages invisible, and its claims and record
// locks leased, while Handle works on it.
type heartbeat struct {
	s        *Service // the batch's service (its lease length)
	store    Store
	qs       map[string]queueInfo
	msgs     []*message
	inFlight time.Duration
	cancel   context.CancelCauseFunc // ends the batch's work
	stopc    chan struct{}
	done     chan struct{}

	mu     sync.Mutex
	claims map[string]state.Claim // event id → claim
	locks  map[string]string      // record key → owner
}

// errLeaseLost ends a batch's work when the heartbeat could not keep one
// of its leases: another consumer may take the event or the record over.
var errLeaseLost = errors.New("a claim or record lock could not be renewed")

// beat is the heartbeat's period.
func (h *heartbeat) beat() time.Duration { return h.inFlight / 3 }

func (h *heartbeat) run(ctx context.Context) {
	defer close(h.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-h.stopc:
			cancel()
		case <-ctx.Done():
		}
	}()
	h.extend(ctx)
	t := time.NewTicker(h.beat())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.renew(ctx)
		h.extend(ctx)
	}
}

// stop ends the heartbeat and waits for it: no extension comes after.
func (h *heartbeat) stop() {
	close(h.stopc)
	<-h.done
}

// extend sets the batch's visibility to InFlight from now.
func (h *heartbeat) extend(ctx context.Context) {
	if len(h.qs) == 0 || ctx.Err() != nil {
		return
	}
	vis := make(map[*message]time.Duration, len(h.msgs))
	for _, m := range h.msgs {
		vis[m] = h.inFlight
	}
	h.s.setVisibility(ctx, "extend the batch's visibility; it may come back while in progress", h.qs, vis, h.msgs)
}

// renew extends the leases of the claims and locks the batch holds. One
// that is lost, or that runs out before the next beat could renew it,
// ends the batch's work.
func (h *heartbeat) renew(ctx context.Context) {
	h.mu.Lock()
	claims := make([]state.Claim, 0, len(h.claims))
	for _, c := range h.claims {
		claims = append(claims, c)
	}
	locks := make(map[string]string, len(h.locks))
	for k, o := range h.locks {
		locks[k] = o
	}
	h.mu.Unlock()
	lease := h.s.lease(ctx)
	soon := h.s.now().Add(h.beat() + time.Second)
	for _, c := range claims {
		n, err := h.store.Extend(ctx, c, lease)
		h.mu.Lock()
		_, held := h.claims[c.EventID]
		if err == nil && held {
			h.claims[c.EventID] = n
		}
		h.mu.Unlock()
		if err != nil && held && ctx.Err() == nil && (errors.Is(err, state.ErrLeaseLost) || c.LeaseUntil.Before(soon)) {
			h.lost(ctx, err)
		} else if err != nil && held && ctx.Err() == nil {
			h.s.logger().WarnContext(ctx, "cannot renew a claim's lease; trying again at the next beat", "claim_id", c.EventID, "error", err.Error())
		}
	}
	for k, o := range locks {
		err := h.store.ExtendLock(ctx, k, o, lease)
		h.mu.Lock()
		held := h.locks[k] == o
		h.mu.Unlock()
		if err != nil && held && ctx.Err() == nil {
			// A lock's expiry is not tracked: any failure to renew it
			// ends the work (the lease outlasts one missed beat, but the
			// next unit would meet the same trouble).
			h.lost(ctx, err)
		}
	}
}

func (h *heartbeat) lost(ctx context.Context, err error) {
	h.s.logger().WarnContext(ctx, "stopping the batch: a lease could not be renewed and another consumer may take over", "error", err.Error())
	h.cancel(fmt.Errorf("%w: %w", errLeaseLost, err))
}

// heldStore is the batch's Store: it tells the heartbeat which claims and
// locks the batch holds.
type heldStore struct {
	Store
	h *heartbeat
}

func (hs *heldStore) Begin(ctx context.Context, eventID string, lease time.Duration) (state.Claim, error) {
	c, err := hs.Store.Begin(ctx, eventID, lease)
	if err == nil {
		hs.h.mu.Lock()
		hs.h.claims[eventID] = c
		hs.h.mu.Unlock()
	}
	return c, err
}

func (hs *heldStore) drop(eventID string) {
	hs.h.mu.Lock()
	delete(hs.h.claims, eventID)
	hs.h.mu.Unlock()
}

func (hs *heldStore) Complete(ctx context.Context, c state.Claim, ttl time.Duration, st state.Story) error {
	hs.drop(c.EventID)
	return hs.Store.Complete(ctx, c, ttl, st)
}

func (hs *heldStore) Release(ctx context.Context, c state.Claim, st state.Story) error {
	hs.drop(c.EventID)
	return hs.Store.Release(ctx, c, st)
}

func (hs *heldStore) LockGoal(ctx context.Context, recordKey, owner string, lease time.Duration) (state.Goal, bool, error) {
	g, ok, err := hs.Store.LockGoal(ctx, recordKey, owner, lease)
	if err == nil {
		hs.h.mu.Lock()
		hs.h.locks[recordKey] = owner
		hs.h.mu.Unlock()
	}
	return g, ok, err
}

func (hs *heldStore) UnlockGoal(ctx context.Context, recordKey, owner string) error {
	hs.h.mu.Lock()
	if hs.h.locks[recordKey] == owner {
		delete(hs.h.locks, recordKey)
	}
	hs.h.mu.Unlock()
	return hs.Store.UnlockGoal(ctx, recordKey, owner)
}
