package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/readback"
	"github.com/goalrelay/goalrelay/shared/state"
	"github.com/goalrelay/goalrelay/shared/tracing"
)

// Gainsight is the part of *gainsight.Client the consumer uses.
type Gainsight interface {
	CreateGoal(ctx context.Context, r *gainsight.CreateGoalRequest) (*gainsight.CreateGoalResponse, error)
	UpdateGoal(ctx context.Context, r *gainsight.UpdateGoalRequest) (*gainsight.UpdateGoalResponse, error)
	FetchGoals(ctx context.Context, r *gainsight.FetchGoalsRequest) (*gainsight.FetchGoalsResponse, error)
	CreateTemplates(ctx context.Context, r *gainsight.CreateTemplatesRequest) (*gainsight.CreateTemplatesResponse, error)
	UpdateTemplates(ctx context.Context, r *gainsight.UpdateTemplatesRequest) (*gainsight.UpdateTemplatesResponse, error)
	DeleteTemplates(ctx context.Context, r *gainsight.DeleteTemplatesRequest) (*gainsight.DeleteTemplatesResponse, error)
	FetchTemplates(ctx context.Context, r *gainsight.FetchTemplatesRequest) (*gainsight.FetchTemplatesResponse, error)
	CreateMetrics(ctx context.Context, r *gainsight.CreateMetricsRequest) (*gainsight.CreateMetricsResponse, error)
	UpdateMetrics(ctx context.Context, r *gainsight.UpdateMetricsRequest) (*gainsight.UpdateMetricsResponse, error)
	DeleteMetrics(ctx context.Context, r *gainsight.DeleteMetricsRequest) (*gainsight.DeleteMetricsResponse, error)
	Picklist(ctx context.Context, r *gainsight.PicklistRequest) (*gainsight.PicklistResponse, error)
}

// Store is the part of *state.Store the consumer uses.
type Store interface {
	Begin(ctx context.Context, eventID string, lease time.Duration) (state.Claim, error)
	// Complete and Release end an attempt and write the event's story
	// with it (story.go); NoteEvent writes the story of an event sent to
	// the DLQ before it was claimed.
	Complete(ctx context.Context, c state.Claim, ttl time.Duration, st state.Story) error
	Release(ctx context.Context, c state.Claim, st state.Story) error
	NoteEvent(ctx context.Context, eventID string, st state.Story) error
	LockGoal(ctx context.Context, recordKey, owner string, lease time.Duration) (state.Goal, bool, error)
	UnlockGoal(ctx context.Context, recordKey, owner string) error
	// Extend and ExtendLock renew a claim's lease and a record lock while
	// the batch works (the heartbeat, visibility.go).
	Extend(ctx context.Context, c state.Claim, lease time.Duration) (state.Claim, error)
	ExtendLock(ctx context.Context, recordKey, owner string, lease time.Duration) error
	PutGoalApplied(ctx context.Context, recordKey, gsid string, version time.Time, eventID string, kept state.Kept) error
	SetGsid(ctx context.Context, recordKey, gsid string) error
	ForgetGsid(ctx context.Context, recordKey, gsid string) error
	MarkCreating(ctx context.Context, recordKey, eventID string) error
	PutPendingWrite(ctx context.Context, recordKey, owner string, p state.PendingWrite) error
	ClearPendingWrite(ctx context.Context, recordKey, owner string) error
	ClearCreating(ctx context.Context, recordKey, eventID string) error
}

// Quota is the tenant-wide limiter (*quota.Limiter).
type Quota interface {
	Take(ctx context.Context) error
	Penalize(ctx context.Context, retryAfter time.Duration) error
}

// KeyRefresher re-reads the Gainsight access key (*secrets.AccessKey).
type KeyRefresher interface {
	Refresh(ctx context.Context) error
}

// DLQ is the part of the SQS client used to dead-letter messages.
type DLQ interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// DefaultExternalIDField is the Gainsight custom field that holds
// events.Event.RecordKey() on every goal and template goalrelay creates
// (events.DefaultExternalIDField).
const DefaultExternalIDField = goalevents.DefaultExternalIDField

// DefaultMargin is the time kept in hand before the Lambda deadline: no
// new unit of work starts with less than this left.
const DefaultMargin = 10 * time.Second

// Service applies SQS batches of events. Build it once at init.
type Service struct {
	Gainsight Gainsight
	Store     Store
	Quota     Quota
	Keys      KeyRefresher // may be nil
	DLQ       DLQ
	DLQURL    string
	// Defer sets the visibility of the batch's messages
	// (ChangeMessageVisibilityBatch): InFlight while Handle works, a
	// backoff after a retryable failure, until the quota frees up for
	// messages that wait for it (visibility.go, defer.go). nil leaves them
	// all to the queue's visibility timeout.
	Defer Deferrer
	// InFlight is the batch's visibility while Handle works on it,
	// extended every third of it, and bounds how long a batch whose
	// invocation died stays invisible; DefaultInFlight (60 s) when 0,
	// never more than the queue's visibility timeout. Claims and record
	// locks are leased for 2/3 of it and renewed on the same beat.
	InFlight time.Duration
	// Lanes is how many message groups of a batch are worked on at once
	// (lanes.go); DefaultLanes when 0, one at a time when negative.
	Lanes int
	// InlineRetries is how many more times a unit is tried in the same
	// invocation after a transient Gainsight failure (inline.go);
	// DefaultInlineRetries when 0, none when negative.
	InlineRetries int
	// Rand returns a number in [0, 1) for the backoff's jitter;
	// math/rand/v2's Float64 when nil.
	Rand func() float64
	// ExternalIDField is the custom field that identifies goals and
	// templates by record key; DefaultExternalIDField when empty.
	ExternalIDField string
	// Margin is the time kept before the deadline; DefaultMargin when 0.
	Margin time.Duration
	// MaxFutureSkew is how far ahead of now an event's CRM time may lie
	// (MAX_FUTURE_SKEW); DefaultMaxFutureSkew when 0. A later one goes to
	// the DLQ as FUTURE_EVENT_TIME.
	MaxFutureSkew time.Duration
	// Picklist caches status and goal-type names and ids; nil disables the
	// name check and sends a goal's GoalTypeName unresolved (production
	// always sets it).
	Picklist *Picklist
	// ReadBack finds the CRM reader of an event's source, and Mapper maps
	// what it reads: a goal upsert that cannot create its goal is
	// completed from the CRM before the create (readback.go). nil: never
	// read back.
	ReadBack *readback.Readers
	Mapper   readback.Mapper
	Metrics  *emf.Recorder
	Log      *slog.Logger
	Now      func() time.Time

	// batchLease is the lease of the claims and locks of one batch (set
	// on Handle's copy of the service); inlineLeft what is left of the
	// batch's inline retries (inline.go; nil: none).
	batchLease time.Duration
	inlineLeft *atomic.Int32
}

// message is one SQS record and what became of it.
type message struct {
	rec events.SQSMessage
	ev  *goalevents.Event
	// key is the event's record in the state table (stateKey), set with ev.
	key     string
	group   string
	outcome outcome
	err     error
	claim   *state.Claim
	// hint is what the batch Fetch found for the message's goal record
	// (prefetchGoals); nil when it was not asked.
	hint *goalHint
	// copyOf is the batch's first message with the same event when this
	// one is a copy of it (twins.go).
	copyOf *message
	// rb is the CRM read-back of the message's record (readBackBatch);
	// nil when it was not read back.
	rb *readBackResult
	// applied is what the unit that applied the message ended on: the
	// Gsid, Gainsight's request id and a note, for its story.
	applied state.Story
}

// Handle is the Lambda handler for SQS events. It never fails the whole
// batch: every message is acknowledged or reported in BatchItemFailures.
//
// While it works, a heartbeat keeps the batch's messages invisible for
// InFlight and renews the claims and record locks it holds
// (visibility.go); when it is done, every failed message gets its backoff
// or its deferral.
func (s *Service) Handle(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
	defer func() { _ = s.Metrics.Flush() }()
	msgs := make([]*message, len(e.Records))
	for i, r := range e.Records {
		msgs[i] = s.decode(r)
	}
	setAsideCopies(msgs)
	qs := s.batchQueues(ctx, msgs)
	inFlight := s.inFlight()
	for _, q := range qs {
		if q.visibility > 0 {
			inFlight = max(min(inFlight, q.visibility), minInFlight)
		}
	}
	// The batch runs on a copy of the service whose Store tells the
	// heartbeat what it holds and whose leases last 2/3 of InFlight. The
	// heartbeat ends the batch's work (work) when it loses a lease.
	work, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	b := *s
	b.batchLease = inFlight * 2 / 3
	b.inlineLeft = new(atomic.Int32)
	b.inlineLeft.Store(InlineRetryBudget)
	hb := &heartbeat{s: &b, store: s.Store, qs: qs, msgs: msgs, inFlight: inFlight, cancel: cancel,
		stopc: make(chan struct{}), done: make(chan struct{}), claims: map[string]state.Claim{}, locks: map[string]string{}}
	b.Store = &heldStore{Store: s.Store, h: hb}
	go hb.run(ctx)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			hb.stop()
		}
	}
	defer stop()

	// Group in order of first appearance; within a group, queue order.
	var order []string
	groups := map[string][]*message{}
	for _, m := range msgs {
		if _, ok := groups[m.group]; !ok {
			order = append(order, m.group)
		}
		groups[m.group] = append(groups[m.group], m)
	}
	// One Fetch for the batch's goals that have no Gsid yet (prefetch.go).
	s.prefetchGoals(work, msgs) // s: its Store reads goals (GoalReader); work: stops with the batch
	// One CRM read-back per source for the goals it found missing whose
	// events cannot create them (readback.go).
	s.readBackBatch(work, msgs)
	b.processLanes(work, lanes(order, groups), groups)
	// Every message has an outcome by now; should one not, it is retried
	// rather than acknowledged unapplied.
	failRest(msgs, errors.New("not processed"))

	for _, m := range msgs {
		if m.outcome == permanent {
			if err := s.deadLetter(ctx, m); err != nil {
				m.outcome, m.err = retry, fmt.Errorf("send to DLQ: %w (after: %v)", err, m.err)
			}
			// Released only now, with its story: dead-lettered, or to be
			// retried when the DLQ refused it (b: the heartbeat stops
			// renewing the claim).
			b.endPermanent(ctx, m)
		}
	}
	settleCopies(msgs)
	// No extension after this: the failed messages' backoffs must stand.
	stop()
	s.settle(ctx, qs, msgs)
	var resp events.SQSEventResponse
	for _, m := range msgs {
		s.record(ctx, m)
		if !m.outcome.acked() {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.rec.MessageId})
		}
	}
	return resp, nil
}

// decode reads the event of a record. A body that is not a valid event,
// or an event that sets a relay-owned field (checkOwned), is a permanent
// failure.
func (s *Service) decode(r events.SQSMessage) *message {
	m := &message{rec: r, group: r.Attributes["MessageGroupId"]}
	var ev goalevents.Event
	if err := json.Unmarshal([]byte(r.Body), &ev); err != nil {
		m.outcome, m.err = permanent, permanentf("INVALID_EVENT", "body is not a goal-change event: %v", err)
	} else if err := ev.Validate(); err != nil {
		m.outcome, m.err = permanent, permanentf("INVALID_EVENT", "%v", err)
	} else {
		m.ev, m.key = &ev, stateKey(&ev)
		if m.group == "" {
			m.group = ev.RecordKey()
		}
		m.outcome = pending
		if err := s.checkTime(&ev); err != nil {
			m.outcome, m.err = classify(err), err
		} else if err := s.checkOwned(&ev); err != nil {
			m.outcome, m.err = classify(err), err
		}
	}
	if m.group == "" {
		m.group = "message:" + r.MessageId
	}
	return m
}

func (m *message) pending() bool { return m.outcome == pending }

// processGroup applies one message group's messages in order. After the
// first retryable failure, every later message of the group is failed too
// (FIFO order); permanent failures do not stop the group.
func (s *Service) processGroup(ctx context.Context, msgs []*message) {
	for i := 0; i < len(msgs); {
		m := msgs[i]
		if !m.pending() {
			i++
			continue
		}
		if left := s.timeLeft(ctx); left < s.margin() {
			failRest(msgs[i:], fmt.Errorf("not attempted: %s left before the deadline", left.Round(time.Millisecond)))
			return
		}
		err := s.checkNamesBefore(ctx, m.ev)
		for n := 1; err != nil && s.retryInline(ctx, m.key, n, err); n++ {
			// The picklist's load failed transiently (inline.go).
			err = s.checkNamesBefore(ctx, m.ev)
		}
		if err != nil {
			m.outcome, m.err = classify(err), err
			if m.outcome == retry {
				failRest(msgs[i+1:], err)
				return
			}
			i++
			continue
		}
		// A unit: m and the pending, mergeable messages right after it
		// (their names checked too).
		unit := []*message{m}
		j := i + 1
		for ; j < len(msgs); j++ {
			n := msgs[j]
			if !n.pending() || !mergeable(m.ev, n.ev) {
				break
			}
			if err := s.checkNamesBefore(ctx, n.ev); err != nil {
				break
			}
			unit = append(unit, n)
		}
		s.applyUnit(ctx, unit)
		for _, u := range unit {
			if u.outcome == retry {
				failRest(msgs[j:], fmt.Errorf("an earlier message of group %s failed: %w", m.group, u.err))
				return
			}
		}
		i = j
	}
}

// checkNamesBefore is checkNames under the call deadline.
func (s *Service) checkNamesBefore(ctx context.Context, ev *goalevents.Event) error {
	cctx, cancel := s.callContext(ctx)
	defer cancel()
	return s.checkNames(cctx, ev)
}

// failRest reports every pending message as failed, unattempted.
func failRest(msgs []*message, err error) {
	for _, m := range msgs {
		if m.pending() {
			m.outcome, m.err = retry, err
		}
	}
}

func (s *Service) margin() time.Duration {
	if s.Margin > 0 {
		return s.Margin
	}
	return DefaultMargin
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// timeLeft is the time before ctx's deadline (a day when it has none).
func (s *Service) timeLeft(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 24 * time.Hour
	}
	return d.Sub(s.now())
}

// callContext is ctx with its deadline brought forward by the margin: the
// Gainsight calls (and the quota waits before them) stop in time for the
// claims, DLQ sends and the batch response, which keep ctx itself.
func (s *Service) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-s.margin()))
	}
	return context.WithCancel(ctx)
}

// lease is how long a claim or a record lock holds an event or a record
// before the heartbeat renews it: 2/3 of the batch's in-flight visibility
// (40 s), so that a dead consumer's hold ends before its batch comes back,
// and never much past the Lambda deadline.
func (s *Service) lease(ctx context.Context) time.Duration {
	l := s.batchLease
	if l <= 0 {
		l = s.inFlight() * 2 / 3
	}
	return max(min(s.timeLeft(ctx)+5*time.Second, l), time.Second)
}

func (s *Service) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// LogMessageTraceID is the key of the X-Ray trace id that a message's
// AWSTraceHeader names (the producer's trace) on its event line.
const LogMessageTraceID = "message_trace_id"

// record logs the message's outcome and counts it.
func (s *Service) record(ctx context.Context, m *message) {
	attrs := []any{slog.String("message_id", m.rec.MessageId), slog.String("outcome", m.outcome.String())}
	// The trace of the invocation that queued the event (the webhook's),
	// which SQS carries in AWSTraceHeader; the line's own traceId is this
	// invocation's.
	if f, ok := tracing.Parse(m.rec.Attributes[tracing.SQSAttribute]); ok {
		attrs = append(attrs, slog.String(LogMessageTraceID, f.Root))
	}
	if m.ev != nil {
		attrs = append(attrs, slog.String("event_id", m.ev.ID), slog.String("event_type", string(m.ev.Type)), slog.String("source", m.ev.Source),
			slog.String("record_key", m.key))
	}
	if m.err != nil {
		attrs = append(attrs, slog.String("error", logbound.Cut(m.err.Error(), logbound.MaxError)))
		var api *gainsight.APIError
		if errors.As(m.err, &api) && api.RequestID != "" {
			attrs = append(attrs, slog.String("gainsight_request_id", logbound.Cut(api.RequestID, logbound.MaxValue)))
		}
	}
	switch m.outcome {
	case done:
		s.Metrics.Inc(emf.EventsApplied)
	case stale:
		s.Metrics.Inc(emf.StaleSkipped)
	case permanent:
		s.Metrics.Inc(emf.SentToDLQ)
	}
	level := slog.LevelInfo
	switch m.outcome {
	case retry:
		level = slog.LevelWarn
	case permanent:
		level = slog.LevelError
	}
	s.logger().Log(ctx, level, "event "+m.outcome.String(), attrs...)
}
