package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/tracing"
)

// SQS limits.
const (
	// MaxBatchEntries is the most entries one SendMessageBatch takes.
	MaxBatchEntries = 10
	// DefaultMaxBytes is the SQS limit on one message and on the payload of
	// one batch: 1 MiB.
	DefaultMaxBytes = 1 << 20
	// maxIDLen is the longest MessageGroupId and MessageDeduplicationId.
	maxIDLen = 128
)

// Message attribute names set on every message.
const (
	AttrEventType = "event_type"
	AttrSource    = "source"
)

// ErrTooLarge is wrapped by the error Publish returns when one event does
// not fit in a message. Nothing is sent then.
var ErrTooLarge = errors.New("event larger than the queue message limit")

// sender is the one method of the SQS client that Publisher uses.
type sender interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Default retry policy of a Publisher: a failed entry is sent at most
// three times in all, with a backoff of 50ms doubling up to 400ms between
// attempts, so that a retrying Publish stays well inside the CRMs'
// 5-second answer deadline.
const (
	DefaultAttempts  = 3
	DefaultBaseDelay = 50 * time.Millisecond
	DefaultMaxDelay  = 400 * time.Millisecond
)

// Options configure a Publisher. Zero values take the defaults.
type Options struct {
	// MaxBytes is the size limit of one message and of one batch's
	// payload; DefaultMaxBytes when zero. Size is counted as SQS does: the
	// body plus each message attribute's name, type and value.
	MaxBytes int

	// Attempts is how often a failed entry is sent in all;
	// DefaultAttempts when zero, at least 1.
	Attempts int
	// BaseDelay is the backoff before the second attempt, doubling with
	// each further one; DefaultBaseDelay when zero.
	BaseDelay time.Duration
	// MaxDelay bounds the backoff; DefaultMaxDelay when zero.
	MaxDelay time.Duration

	// Wait is the backoff wait (a timer that honours the context when
	// nil); tests set it to record waits instead of sleeping. It must
	// return ctx.Err() when ctx ends first.
	Wait func(ctx context.Context, d time.Duration) error
}

// Publisher sends canonical events to an SQS FIFO queue. It is safe for
// concurrent use.
type Publisher struct {
	client   sender
	queueURL string
	o        Options
}

// NewPublisher returns a Publisher for the FIFO queue at queueURL. client is
// usually *sqs.Client built once at init from the function's aws.Config.
func NewPublisher(client sender, queueURL string, optFns ...func(*Options)) *Publisher {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Attempts == 0 {
		o.Attempts = DefaultAttempts
	}
	o.Attempts = max(o.Attempts, 1)
	if o.BaseDelay == 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.MaxDelay == 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.Wait == nil {
		o.Wait = sleep
	}
	return &Publisher{client: client, queueURL: queueURL, o: o}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// PublishError says which events are not known to be on the queue after
// Publish gave up. The caller answers the CRM so that it retries (5xx): FIFO
// deduplication makes the resend of the events that did get through
// harmless within five minutes, and the apply side's idempotency after that.
type PublishError struct {
	// NotSent lists the ids of the events that are not known to be queued,
	// in the order given to Publish.
	NotSent []string
	// Codes holds the SQS error code of each failed entry, by event id,
	// where SQS gave one.
	Codes map[string]string
	// Err is the last error of a SendMessageBatch call, if one failed as a
	// whole, or the context's error.
	Err error
}

func (e *PublishError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "queue: %d event(s) not queued: ", len(e.NotSent))
	for i, id := range e.NotSent {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(id)
		if c := e.Codes[id]; c != "" {
			b.WriteString(" (" + c + ")")
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *PublishError) Unwrap() error { return e.Err }

type entry struct {
	id    string // event id
	entry types.SendMessageBatchRequestEntry
	size  int
}

// Publish sends evs to the queue, in order, in batches of at most ten
// entries and at most the byte limit. Every event is validated and sized
// first: if one is invalid (events.ErrInvalid) or too large (ErrTooLarge),
// nothing is sent. Each entry of each batch result is checked; failed
// entries are sent again with backoff, except those SQS blames on the
// sender. When an entry still fails, Publish stops and returns a
// *PublishError listing the events not queued.
func (p *Publisher) Publish(ctx context.Context, evs []events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	entries := make([]entry, 0, len(evs))
	var problems []error
	trace := tracing.Header(ctx)
	for i := range evs {
		en, err := p.prepare(&evs[i], trace)
		if err != nil {
			problems = append(problems, fmt.Errorf("event %d (%s): %w", i, evs[i].ID, err))
			continue
		}
		entries = append(entries, en)
	}
	if len(problems) > 0 {
		return fmt.Errorf("queue: nothing sent: %w", errors.Join(problems...))
	}
	for start := 0; start < len(entries); {
		end, bytes := start, 0
		for end < len(entries) && end-start < MaxBatchEntries && bytes+entries[end].size <= p.o.MaxBytes {
			bytes += entries[end].size
			end++
		}
		if err := p.sendBatch(ctx, entries[start:end]); err != nil {
			var pe *PublishError
			if errors.As(err, &pe) {
				for _, en := range entries[end:] {
					pe.NotSent = append(pe.NotSent, en.id)
				}
			}
			return err
		}
		start = end
	}
	return nil
}

// prepare validates, encodes and sizes one event. trace, when not empty,
// goes on the message as its AWSTraceHeader system attribute, which SQS
// counts neither in the message size nor among the attributes.
func (p *Publisher) prepare(e *events.Event, trace string) (entry, error) {
	if err := e.Validate(); err != nil {
		return entry{}, err
	}
	body, err := json.Marshal(e)
	if err != nil {
		return entry{}, fmt.Errorf("marshal: %w", err)
	}
	typ, src := string(e.Type), e.Source
	size := len(body) +
		len(AttrEventType) + len("String") + len(typ) +
		len(AttrSource) + len("String") + len(src)
	if size > p.o.MaxBytes {
		return entry{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, size, p.o.MaxBytes)
	}
	en := entry{
		id:   e.ID,
		size: size,
		entry: types.SendMessageBatchRequestEntry{
			MessageBody:            aws.String(string(body)),
			MessageGroupId:         aws.String(FIFOID(e.RecordKey())),
			MessageDeduplicationId: aws.String(FIFOID(e.ID)),
			MessageAttributes: map[string]types.MessageAttributeValue{
				AttrEventType: {DataType: aws.String("String"), StringValue: aws.String(typ)},
				AttrSource:    {DataType: aws.String("String"), StringValue: aws.String(src)},
			},
		},
	}
	if trace != "" {
		en.entry.MessageSystemAttributes = map[string]types.MessageSystemAttributeValue{
			tracing.SQSAttribute: {DataType: aws.String("String"), StringValue: aws.String(trace)},
		}
	}
	return en, nil
}

// sendBatch sends one batch, retrying what fails.
func (p *Publisher) sendBatch(ctx context.Context, batch []entry) error {
	pending := make(map[string]entry, len(batch)) // batch entry id → entry
	order := make([]string, 0, len(batch))
	for i, en := range batch {
		bid := "m" + strconv.Itoa(i)
		en.entry.Id = aws.String(bid)
		pending[bid] = en
		order = append(order, bid)
	}
	codes := map[string]string{}
	var permanent []string // batch ids SQS blamed on us
	var lastErr error
	for attempt := 1; ; attempt++ {
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.queueURL)}
		for _, bid := range order {
			if en, ok := pending[bid]; ok {
				in.Entries = append(in.Entries, en.entry)
			}
		}
		out, err := p.client.SendMessageBatch(ctx, in)
		retryable := true
		if err != nil {
			lastErr = err
			retryable = callRetryable(ctx, err)
		} else {
			lastErr = nil
			for _, ok := range out.Successful {
				delete(pending, aws.ToString(ok.Id))
			}
			for _, f := range out.Failed {
				bid := aws.ToString(f.Id)
				en, known := pending[bid]
				if !known {
					continue
				}
				codes[en.id] = aws.ToString(f.Code)
				if f.SenderFault {
					permanent = append(permanent, bid)
					delete(pending, bid)
				}
			}
			// An entry SQS reports neither way is not known to be queued:
			// it stays pending and is sent again (dedup makes that safe).
		}
		if len(pending) == 0 && len(permanent) == 0 {
			return nil
		}
		if len(pending) == 0 || !retryable || attempt >= p.o.Attempts {
			break
		}
		if werr := p.o.Wait(ctx, p.backoff(attempt)); werr != nil {
			lastErr = werr
			break
		}
	}
	pe := &PublishError{Err: lastErr}
	for i, bid := range order {
		en := batch[i]
		if _, still := pending[bid]; still || slices.Contains(permanent, bid) {
			pe.NotSent = append(pe.NotSent, en.id)
			if c := codes[en.id]; c != "" {
				if pe.Codes == nil {
					pe.Codes = map[string]string{}
				}
				pe.Codes[en.id] = c
			}
		}
	}
	return pe
}

func (p *Publisher) backoff(attempt int) time.Duration {
	d := p.o.BaseDelay << (attempt - 1)
	if d > p.o.MaxDelay || d <= 0 {
		d = p.o.MaxDelay
	}
	return d
}

// callRetryable decides whether a SendMessageBatch call that failed as a
// whole is worth repeating. The SDK's retryer has already retried transient
// failures; a client fault (bad queue URL, access denied, bad request) will
// not get better.
func callRetryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorFault() == smithy.FaultClient {
		switch api.ErrorCode() {
		case "ThrottlingException", "RequestThrottled", "AWS.SimpleQueueService.RequestThrottled":
			return true
		}
		return false
	}
	return true
}

// FIFOID makes s usable as a MessageGroupId or MessageDeduplicationId: s
// itself when it is at most 128 characters of printable ASCII (what SQS
// allows); otherwise a deterministic id of the same length limit: s with
// disallowed characters replaced by '_', cut to 63 characters, then '~'
// and the hex SHA-256 of s. Equal inputs give equal ids; different inputs
// give different ids.
func FIFOID(s string) string {
	if s != "" && len(s) <= maxIDLen && allowed(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < maxIDLen-1-2*sha256.Size; i++ {
		c := s[i]
		if c < '!' || c > '~' {
			c = '_'
		}
		b.WriteByte(c)
	}
	b.WriteByte('~')
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

func allowed(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}
