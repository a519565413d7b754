package apply

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/state"
)

func msg(id, group string, receives int, o outcome, err error) *message {
	return &message{rec: events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, EventSourceARN: "arn:aws:sqs:us-east-1:1:q.fifo",
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receives)}}, group: group, outcome: o, err: err}
}

func TestBackoffSchedule(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		receives int
		r        float64
		queueVis time.Duration
		err      error
		want     time.Duration
	}{
		{1, 0, 720 * time.Second, errors.New("503"), 2500 * time.Millisecond},
		{1, 0.999999, 720 * time.Second, errors.New("503"), 5 * time.Second},
		{2, 0.5, 720 * time.Second, errors.New("503"), 7500 * time.Millisecond},
		{8, 0, 720 * time.Second, errors.New("503"), 320 * time.Second},
		{9, 1, 720 * time.Second, errors.New("503"), 720 * time.Second},     // capped by the queue
		{12, 1, 12 * time.Hour, errors.New("503"), 15 * time.Minute},        // capped at 15 minutes
		{1, 0, 3 * time.Second, errors.New("503"), 2500 * time.Millisecond}, // a small queue
		{2, 0, 3 * time.Second, errors.New("503"), 3 * time.Second},         // capped by it
		{1, 0, 720 * time.Second, &state.BusyError{Until: now.Add(30 * time.Second)}, 31 * time.Second},
		{1, 0, 720 * time.Second, &state.LockedError{Until: now.Add(12 * time.Second)}, 13 * time.Second},
	} {
		s := &Service{Rand: func() float64 { return c.r }, Now: func() time.Time { return now }}
		if got := s.backoff(msg("m", "g", c.receives, retry, c.err), c.queueVis); got.Round(time.Millisecond) != c.want {
			t.Errorf("receive %d, r %.2f, queue %s, %v: backoff %s, want %s", c.receives, c.r, c.queueVis, c.err, got, c.want)
		}
	}
}

// TestBackoffCountsTheEventsFailures: the exponent is the event's failed
// attempts (its claim's Released + 1), not the message's receives; a
// receive that ended in a crash leaves the first failure at the first step.
// A message that failed before it claimed its event counts its receives.
func TestBackoffCountsTheEventsFailures(t *testing.T) {
	s := &Service{Rand: func() float64 { return 0 }}
	for _, c := range []struct {
		name     string
		receives int
		claim    *state.Claim
		want     time.Duration
	}{
		{"first failure after a crash", 2, &state.Claim{Attempt: 2, Resumed: true}, 2500 * time.Millisecond},
		{"first failure, third receive", 3, &state.Claim{Attempt: 1}, 2500 * time.Millisecond},
		{"third failure", 3, &state.Claim{Attempt: 3, Released: 2}, 10 * time.Second},
		{"not claimed", 3, nil, 10 * time.Second},
	} {
		m := msg("m", "g", c.receives, retry, errors.New("503"))
		m.claim = c.claim
		if got := s.backoff(m, 720*time.Second); got != c.want {
			t.Errorf("%s: backoff %s, want %s", c.name, got, c.want)
		}
	}
}

type visLog struct{ got map[string]int32 }

func (v *visLog) GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	return nil, errors.New("unused")
}
func (v *visLog) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return nil, errors.New("unused")
}
func (v *visLog) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	if len(in.Entries) > 10 {
		return nil, errors.New("more than 10 entries")
	}
	for _, e := range in.Entries {
		v.got[aws.ToString(e.Id)] = e.VisibilityTimeout
	}
	return &sqs.ChangeMessageVisibilityBatchOutput{}, nil
}

// TestSettleGivesAGroupItsFirstFailuresVisibility: a group's later
// failed messages come back with its first failed one; acknowledged ones
// are left alone.
func TestSettleGivesAGroupItsFirstFailuresVisibility(t *testing.T) {
	v := &visLog{got: map[string]int32{}}
	s := &Service{Defer: v, Rand: func() float64 { return 0 }}
	qs := map[string]queueInfo{"arn:aws:sqs:us-east-1:1:q.fifo": {url: "u", visibility: 720 * time.Second}}
	msgs := []*message{
		msg("a1", "a", 3, done, nil),
		msg("a2", "a", 3, retry, errors.New("503")), // 10 s × ½
		msg("a3", "a", 1, retry, errors.New("an earlier message of group a failed")),
		msg("b1", "b", 1, retry, errors.New("503")), // 2.5 s → 3 s
		msg("c1", "c", 1, stale, nil),
	}
	for i := range 12 { // more than one batch call
		msgs = append(msgs, msg("d"+strconv.Itoa(i), "d", 2, retry, errors.New("not attempted")))
	}
	s.settle(t.Context(), qs, msgs)
	want := map[string]int32{"a2": 10, "a3": 10, "b1": 3}
	for i := range 12 {
		want["d"+strconv.Itoa(i)] = 5
	}
	if len(v.got) != len(want) {
		t.Errorf("visibility set for %v, want %v", v.got, want)
	}
	for id, w := range want {
		if v.got[id] != w {
			t.Errorf("%s: visibility %d s, want %d s", id, v.got[id], w)
		}
	}
}
