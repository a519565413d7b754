package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/tracing"
)

const queueURL = "http://127.0.0.1:1/123456789012/goals.fifo"

func event(i int) events.Event {
	return events.Event{
		SpecVersion: "1.0", ID: fmt.Sprintf("hubspot:62515:deal:%d:1764237600000", i), Source: "hubspot/portal/62515",
		Type: events.GoalUpserted, Subject: fmt.Sprint(i), Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		DataContentType: "application/json",
		Data:            events.Data{ExternalID: fmt.Sprint(i), Fields: map[string]any{"Name": "Goal " + fmt.Sprint(i)}},
	}
}

func eventList(n int) []events.Event {
	out := make([]events.Event, n)
	for i := range out {
		out[i] = event(i)
	}
	return out
}

// fakeSQS records calls; respond decides each call's outcome.
type fakeSQS struct {
	mu      sync.Mutex
	calls   []*sqs.SendMessageBatchInput
	respond func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
}

func (f *fakeSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	n := len(f.calls)
	f.mu.Unlock()
	if f.respond == nil {
		return allOK(in), nil
	}
	return f.respond(n, in)
}

func allOK(in *sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("mid-" + *e.Id)})
	}
	return out
}

// failSome answers each entry whose body contains one of ids as failed.
func failSome(in *sqs.SendMessageBatchInput, code string, senderFault bool, ids ...string) *sqs.SendMessageBatchOutput {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		failed := false
		for _, id := range ids {
			if strings.Contains(*e.MessageBody, `"id":"`+id+`"`) {
				failed = true
			}
		}
		if failed {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String(code), SenderFault: senderFault, Message: aws.String("no")})
		} else {
			out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
		}
	}
	return out
}

func bodyIDs(in *sqs.SendMessageBatchInput) []string {
	var ids []string
	for _, e := range in.Entries {
		var ev events.Event
		if err := json.Unmarshal([]byte(*e.MessageBody), &ev); err != nil {
			panic(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// waits records backoff waits instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func TestPublishBatchesAndMessageShape(t *testing.T) {
	f := &fakeSQS{}
	p := queue.NewPublisher(f, queueURL)
	evs := eventList(25)
	if err := p.Publish(t.Context(), evs); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(f.calls) != 3 {
		t.Fatalf("%d calls, want 3", len(f.calls))
	}
	var sizes []int
	var sent []string
	for _, c := range f.calls {
		sizes = append(sizes, len(c.Entries))
		sent = append(sent, bodyIDs(c)...)
		if aws.ToString(c.QueueUrl) != queueURL {
			t.Errorf("QueueUrl = %q", aws.ToString(c.QueueUrl))
		}
	}
	if diff := cmp.Diff([]int{10, 10, 5}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
	var want []string
	for _, e := range evs {
		want = append(want, e.ID)
	}
	if diff := cmp.Diff(want, sent); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}

	e := f.calls[0].Entries[3]
	if got := aws.ToString(e.MessageGroupId); got != "hubspot/portal/62515:3" {
		t.Errorf("MessageGroupId = %q", got)
	}
	if got := aws.ToString(e.MessageDeduplicationId); got != evs[3].ID {
		t.Errorf("MessageDeduplicationId = %q", got)
	}
	attrs := map[string]string{}
	for k, v := range e.MessageAttributes {
		if aws.ToString(v.DataType) != "String" {
			t.Errorf("attribute %s has type %q", k, aws.ToString(v.DataType))
		}
		attrs[k] = aws.ToString(v.StringValue)
	}
	if diff := cmp.Diff(map[string]string{"event_type": "goal.upserted", "source": "hubspot/portal/62515"}, attrs); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if err := eventstest.ValidateJSON([]byte(*e.MessageBody)); err != nil {
		t.Errorf("body breaks the schema: %v", err)
	}
	ids := map[string]bool{}
	for _, en := range f.calls[0].Entries {
		if ids[*en.Id] {
			t.Errorf("batch entry id %q repeated", *en.Id)
		}
		ids[*en.Id] = true
	}
}

func TestPublishRetriesFailedEntries(t *testing.T) {
	w := &waits{}
	f := &fakeSQS{respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		if call == 1 {
			return failSome(in, "InternalError", false, event(2).ID, event(7).ID), nil
		}
		return allOK(in), nil
	}}
	p := queue.NewPublisher(f, queueURL, func(o *queue.Options) { o.Wait = w.wait })
	if err := p.Publish(t.Context(), eventList(10)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(f.calls) != 2 {
		t.Fatalf("%d calls, want 2", len(f.calls))
	}
	if diff := cmp.Diff([]string{event(2).ID, event(7).ID}, bodyIDs(f.calls[1])); diff != "" {
		t.Errorf("retried (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{50 * time.Millisecond}, w.d); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestPublishGivesUp(t *testing.T) {
	tests := []struct {
		name        string
		respond     func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
		n           int
		wantCalls   int
		wantNotSent []string
		wantCodes   map[string]string
		wantWaits   []time.Duration
		wantErrAs   any // a pointer to the error type the chain must hold
	}{
		{
			name: "an entry fails on every attempt; later batches are not sent",
			respond: func(_ int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return failSome(in, "InternalError", false, event(4).ID), nil
			},
			n:           12,
			wantCalls:   3,
			wantNotSent: []string{event(4).ID, event(10).ID, event(11).ID},
			wantCodes:   map[string]string{event(4).ID: "InternalError"},
			wantWaits:   []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		},
		{
			name: "sender fault is not retried",
			respond: func(_ int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return failSome(in, "InvalidParameterValue", true, event(1).ID), nil
			},
			n:           3,
			wantCalls:   1,
			wantNotSent: []string{event(1).ID},
			wantCodes:   map[string]string{event(1).ID: "InvalidParameterValue"},
		},
		{
			name: "every entry fails",
			respond: func(_ int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return failSome(in, "ServiceUnavailable", false, event(0).ID, event(1).ID), nil
			},
			n:           2,
			wantCalls:   3,
			wantNotSent: []string{event(0).ID, event(1).ID},
			wantCodes:   map[string]string{event(0).ID: "ServiceUnavailable", event(1).ID: "ServiceUnavailable"},
			wantWaits:   []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		},
		{
			name: "the call fails with a server error: retried",
			respond: func(_ int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return nil, &smithy.GenericAPIError{Code: "InternalFailure", Fault: smithy.FaultServer}
			},
			n:           2,
			wantCalls:   3,
			wantNotSent: []string{event(0).ID, event(1).ID},
			wantWaits:   []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		},
		{
			name: "the call fails with a client error: not retried",
			respond: func(_ int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return nil, &types.QueueDoesNotExist{Message: aws.String("no queue")}
			},
			n:           2,
			wantCalls:   1,
			wantNotSent: []string{event(0).ID, event(1).ID},
			wantErrAs:   new(*types.QueueDoesNotExist),
		},
		{
			name: "an entry the result does not mention is sent again",
			respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				out := allOK(in)
				out.Successful = out.Successful[1:]
				return out, nil
			},
			n:           2,
			wantCalls:   3,
			wantNotSent: []string{event(0).ID},
			wantWaits:   []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &waits{}
			f := &fakeSQS{respond: tt.respond}
			p := queue.NewPublisher(f, queueURL, func(o *queue.Options) { o.Wait = w.wait })
			err := p.Publish(t.Context(), eventList(tt.n))
			var pe *queue.PublishError
			if !errors.As(err, &pe) {
				t.Fatalf("Publish = %v, want a *PublishError", err)
			}
			if len(f.calls) != tt.wantCalls {
				t.Errorf("%d calls, want %d", len(f.calls), tt.wantCalls)
			}
			if diff := cmp.Diff(tt.wantNotSent, pe.NotSent); diff != "" {
				t.Errorf("NotSent (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCodes, pe.Codes); diff != "" {
				t.Errorf("Codes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWaits, w.d); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if tt.wantErrAs != nil && !errors.As(err, tt.wantErrAs) {
				t.Errorf("error %v does not hold a %T", err, tt.wantErrAs)
			}
			for _, id := range tt.wantNotSent {
				if !strings.Contains(err.Error(), id) {
					t.Errorf("error %q does not name %s", err, id)
				}
			}
			if strings.Contains(err.Error(), "Goal ") {
				t.Errorf("error %q contains event content", err)
			}
		})
	}
}

func TestPublishHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	f := &fakeSQS{respond: func(_ int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		cancel()
		return failSome(in, "InternalError", false, event(0).ID), nil
	}}
	// The real wait: it must return at once on a cancelled context.
	p := queue.NewPublisher(f, queueURL, func(o *queue.Options) { o.Attempts, o.BaseDelay, o.MaxDelay = 5, time.Hour, time.Hour })
	start := time.Now()
	err := p.Publish(ctx, eventList(3))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish = %v, want context.Canceled", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("Publish waited %v after cancel", time.Since(start))
	}
	if len(f.calls) != 1 {
		t.Errorf("%d calls, want 1", len(f.calls))
	}
	var pe *queue.PublishError
	if !errors.As(err, &pe) || len(pe.NotSent) != 1 || pe.NotSent[0] != event(0).ID {
		t.Errorf("NotSent = %+v", pe)
	}

	// A call that fails because the context ended is not retried.
	ctx2, cancel2 := context.WithCancel(t.Context())
	cancel2()
	f2 := &fakeSQS{respond: func(_ int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		return nil, fmt.Errorf("send: %w", context.Canceled)
	}}
	err = queue.NewPublisher(f2, queueURL).Publish(ctx2, eventList(1))
	if !errors.Is(err, context.Canceled) || len(f2.calls) != 1 {
		t.Errorf("Publish = %v after %d calls; want context.Canceled after 1", err, len(f2.calls))
	}
}

func TestPublishSizes(t *testing.T) {
	big := func(i, n int) events.Event {
		e := event(i)
		e.Data.Fields["Description"] = strings.Repeat("x", n)
		return e
	}
	t.Run("too large: nothing sent", func(t *testing.T) {
		f := &fakeSQS{}
		p := queue.NewPublisher(f, queueURL, func(o *queue.Options) { o.MaxBytes = 4096 })
		err := p.Publish(t.Context(), []events.Event{event(0), big(1, 5000), event(2)})
		if !errors.Is(err, queue.ErrTooLarge) {
			t.Fatalf("Publish = %v, want ErrTooLarge", err)
		}
		if len(f.calls) != 0 {
			t.Errorf("%d calls, want none", len(f.calls))
		}
		if !strings.Contains(err.Error(), event(1).ID) {
			t.Errorf("error %q does not name the event", err)
		}
	})
	t.Run("default limit is 1 MiB", func(t *testing.T) {
		f := &fakeSQS{}
		p := queue.NewPublisher(f, queueURL)
		if err := p.Publish(t.Context(), []events.Event{big(0, 1<<20)}); !errors.Is(err, queue.ErrTooLarge) {
			t.Errorf("1 MiB description: %v, want ErrTooLarge", err)
		}
		if err := p.Publish(t.Context(), []events.Event{big(0, 1<<20-1000)}); err != nil {
			t.Errorf("just under 1 MiB: %v", err)
		}
	})
	t.Run("batches split by bytes", func(t *testing.T) {
		f := &fakeSQS{}
		p := queue.NewPublisher(f, queueURL, func(o *queue.Options) { o.MaxBytes = 10000 })
		// ~3,300 bytes each: three fit in 10,000, four do not.
		var evs []events.Event
		for i := range 7 {
			evs = append(evs, big(i, 3000))
		}
		if err := p.Publish(t.Context(), evs); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		var sizes []int
		for _, c := range f.calls {
			sizes = append(sizes, len(c.Entries))
			total := 0
			for _, e := range c.Entries {
				total += len(*e.MessageBody)
			}
			if total > 10000 {
				t.Errorf("batch of %d bytes", total)
			}
		}
		if diff := cmp.Diff([]int{3, 3, 1}, sizes); diff != "" {
			t.Errorf("batch sizes (-want +got):\n%s", diff)
		}
	})
	t.Run("invalid event: nothing sent", func(t *testing.T) {
		f := &fakeSQS{}
		bad := event(1)
		bad.Data.ExternalID = ""
		err := queue.NewPublisher(f, queueURL).Publish(t.Context(), []events.Event{event(0), bad})
		if !errors.Is(err, events.ErrInvalid) || len(f.calls) != 0 {
			t.Errorf("Publish = %v after %d calls; want events.ErrInvalid and no call", err, len(f.calls))
		}
	})
	t.Run("no events: no call", func(t *testing.T) {
		f := &fakeSQS{}
		if err := queue.NewPublisher(f, queueURL).Publish(t.Context(), nil); err != nil || len(f.calls) != 0 {
			t.Errorf("Publish(nil) = %v after %d calls", err, len(f.calls))
		}
	})
}

func TestFIFOID(t *testing.T) {
	long := "hubspot/portal/62515:" + strings.Repeat("9", 200)
	tests := []struct {
		in       string
		same     bool
		wantPref string
	}{
		{in: "hubspot/portal/62515:901", same: true},
		{in: "a!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~z", same: true},
		{in: strings.Repeat("a", 128), same: true},
		{in: strings.Repeat("a", 129), wantPref: strings.Repeat("a", 63) + "~"},
		{in: long, wantPref: long[:63] + "~"},
		{in: "dynamics/org/contoso:Acme Ltd", wantPref: "dynamics/org/contoso:Acme_Ltd~"},
		{in: "salesforce/org/x:é", wantPref: "salesforce/org/x:__~"},
		{in: "", wantPref: "~"},
	}
	for _, tt := range tests {
		got := queue.FIFOID(tt.in)
		if tt.same {
			if got != tt.in {
				t.Errorf("FIFOID(%q) = %q, want it unchanged", tt.in, got)
			}
			continue
		}
		if !strings.HasPrefix(got, tt.wantPref) || len(got) > 128 || len(got) != len(tt.wantPref)+64 {
			t.Errorf("FIFOID(%q) = %q (len %d), want prefix %q and 64 hex digits", tt.in, got, len(got), tt.wantPref)
		}
		if queue.FIFOID(tt.in) != got {
			t.Errorf("FIFOID(%q) is not deterministic", tt.in)
		}
		for _, c := range got {
			if c < '!' || c > '~' {
				t.Errorf("FIFOID(%q) = %q has %q", tt.in, got, c)
			}
		}
	}
	if queue.FIFOID(strings.Repeat("a", 129)) == queue.FIFOID(strings.Repeat("a", 130)) {
		t.Error("different long inputs give the same id")
	}
}

// TestPublishCarriesTheTraceHeader: in a traced invocation every message
// carries its trace header as the AWSTraceHeader system attribute, which
// does not count against the size limit; without a trace, none.
func TestPublishCarriesTheTraceHeader(t *testing.T) {
	t.Setenv(tracing.EnvHeader, "")
	const header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"traced", tracing.WithHeader(t.Context(), header), header},
		{"untraced", t.Context(), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSQS{}
			// Exactly one event's bytes per batch: the header must not count.
			size := len(mustJSON(t, event(0))) + len(queue.AttrEventType+"String"+string(events.GoalUpserted)) +
				len(queue.AttrSource+"String"+event(0).Source)
			p := queue.NewPublisher(f, queueURL, func(o *queue.Options) { o.MaxBytes = size + 1 })
			if err := p.Publish(tt.ctx, eventList(3)); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, call := range f.calls {
				for _, e := range call.Entries {
					n++
					got := e.MessageSystemAttributes[tracing.SQSAttribute]
					if aws.ToString(got.StringValue) != tt.want || (tt.want != "" && aws.ToString(got.DataType) != "String") {
						t.Errorf("entry %s: AWSTraceHeader %+v, want %q", aws.ToString(e.Id), got, tt.want)
					}
					if tt.want == "" && e.MessageSystemAttributes != nil {
						t.Errorf("entry %s: system attributes %v without a trace", aws.ToString(e.Id), e.MessageSystemAttributes)
					}
				}
			}
			if n != 3 {
				t.Errorf("%d entries sent, want 3", n)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
