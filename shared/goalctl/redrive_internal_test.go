package goalctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
)

// fakeSQS is an in-memory DLQ and queue for the redrive logic, with
// switchable failures.
type fakeSQS struct {
	mu        sync.Mutex
	dlq       []types.Message // visible messages
	inFlight  map[string]types.Message
	sent      []*sqs.SendMessageInput
	deleted   []string
	released  []string
	startErr  error
	tasks     []types.ListMessageMoveTasksResultEntry // returned one per call
	taskCalls int
	sendFail  map[int]error // by send number, from 1
	delFail   map[string]error
	sends     int
	started   *sqs.StartMessageMoveTaskInput
	// leaky returns the messages in flight again with every receive, as
	// SQS does once their visibility time-out runs out.
	leaky bool
}

func newFakeSQS(n int) *fakeSQS {
	f := &fakeSQS{inFlight: map[string]types.Message{}, sendFail: map[int]error{}, delFail: map[string]error{}}
	for i := range n {
		id := "m" + strconv.Itoa(i)
		f.dlq = append(f.dlq, types.Message{
			MessageId: aws.String(id), Body: aws.String(`{"n":` + strconv.Itoa(i) + `}`),
			Attributes:        map[string]string{"MessageGroupId": "g" + strconv.Itoa(i%2)},
			MessageAttributes: map[string]types.MessageAttributeValue{"error_code": {DataType: aws.String("String"), StringValue: aws.String("8001")}},
		})
	}
	return f
}

func (f *fakeSQS) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	name := aws.ToString(in.QueueUrl)[strings.LastIndexByte(aws.ToString(in.QueueUrl), '/')+1:]
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{
		"QueueArn": "arn:aws:sqs:us-east-1:123456789012:" + name, "FifoQueue": "true",
	}}, nil
}

func (f *fakeSQS) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := min(int(in.MaxNumberOfMessages), len(f.dlq))
	out := &sqs.ReceiveMessageOutput{}
	if f.leaky {
		for h, m := range f.inFlight {
			delete(f.inFlight, h)
			m.ReceiptHandle = aws.String(h + "'")
			f.inFlight[aws.ToString(m.ReceiptHandle)] = m
			out.Messages = append(out.Messages, m)
		}
	}
	for _, m := range f.dlq[:n] {
		m.ReceiptHandle = aws.String("rh-" + aws.ToString(m.MessageId))
		f.inFlight[aws.ToString(m.ReceiptHandle)] = m
		out.Messages = append(out.Messages, m)
	}
	f.dlq = f.dlq[n:]
	return out, nil
}

func (f *fakeSQS) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var back []types.Message
	for _, e := range in.Entries {
		h := aws.ToString(e.ReceiptHandle)
		f.released = append(f.released, h)
		if m, ok := f.inFlight[h]; ok {
			delete(f.inFlight, h)
			m.ReceiptHandle = nil
			back = append(back, m)
		}
	}
	f.dlq = append(back, f.dlq...)
	return &sqs.ChangeMessageVisibilityBatchOutput{}, nil
}

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends++
	if err := f.sendFail[f.sends]; err != nil {
		return nil, err
	}
	f.sent = append(f.sent, in)
	return &sqs.SendMessageOutput{MessageId: aws.String("new")}, nil
}

func (f *fakeSQS) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := aws.ToString(in.ReceiptHandle)
	if err := f.delFail[h]; err != nil {
		return nil, err
	}
	delete(f.inFlight, h)
	f.deleted = append(f.deleted, h)
	return &sqs.DeleteMessageOutput{}, nil
}

func (f *fakeSQS) StartMessageMoveTask(_ context.Context, in *sqs.StartMessageMoveTaskInput, _ ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error) {
	f.started = in
	if f.startErr != nil {
		return nil, f.startErr
	}
	return &sqs.StartMessageMoveTaskOutput{TaskHandle: aws.String("task-1")}, nil
}

func (f *fakeSQS) ListMessageMoveTasks(_ context.Context, in *sqs.ListMessageMoveTasksInput, _ ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error) {
	i := min(f.taskCalls, len(f.tasks)-1)
	f.taskCalls++
	return &sqs.ListMessageMoveTasksOutput{Results: []types.ListMessageMoveTasksResultEntry{f.tasks[i]}}, nil
}

func newTestRedriver(f *fakeSQS) (*redriver, *bytes.Buffer) {
	var log bytes.Buffer
	return &redriver{client: f, dlqURL: "http://sqs/123/dlq.fifo", queueURL: "http://sqs/123/events.fifo", log: &log, now: time.Now,
		taskPoll: time.Millisecond}, &log
}

func TestRedriveMoveTask(t *testing.T) {
	f := newFakeSQS(0)
	f.tasks = []types.ListMessageMoveTasksResultEntry{
		{TaskHandle: aws.String("task-1"), Status: aws.String("RUNNING"), ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: aws.Int64(7)},
		{Status: aws.String("COMPLETED"), ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: aws.Int64(7)},
	}
	r, _ := newTestRedriver(f)
	r.perSecond = 20
	res, err := r.run(t.Context(), MethodAuto, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != MethodMoveTask || res.Moved != 7 || res.TaskStatus != "COMPLETED" || res.TaskHandle != "task-1" {
		t.Errorf("result %+v", res)
	}
	if aws.ToString(f.started.SourceArn) != "arn:aws:sqs:us-east-1:123456789012:dlq.fifo" ||
		aws.ToString(f.started.DestinationArn) != "arn:aws:sqs:us-east-1:123456789012:events.fifo" ||
		aws.ToInt32(f.started.MaxNumberOfMessagesPerSecond) != 20 {
		t.Errorf("started %+v", f.started)
	}

	// A failed task is reported with its reason.
	f = newFakeSQS(0)
	f.tasks = []types.ListMessageMoveTasksResultEntry{{TaskHandle: aws.String("task-1"), Status: aws.String("FAILED"), ApproximateNumberOfMessagesMoved: 2, FailureReason: aws.String("AccessDenied")}}
	r, _ = newTestRedriver(f)
	res, err = r.run(t.Context(), MethodAuto, true)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || res.Moved != 2 {
		t.Errorf("failed task: %+v, %v", res, err)
	}

	// Without --wait only the handle is reported.
	f = newFakeSQS(0)
	r, _ = newTestRedriver(f)
	res, err = r.run(t.Context(), MethodMoveTask, false)
	if err != nil || res.TaskHandle != "task-1" || f.taskCalls != 0 {
		t.Errorf("no wait: %+v, %v, %d polls", res, err, f.taskCalls)
	}
}

func TestRedriveFallbackOnlyWhenUnsupported(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		fallback bool
	}{
		{"unknown operation", &smithy.GenericAPIError{Code: "UnknownOperationException"}, true},
		{"invalid action", &smithy.GenericAPIError{Code: "InvalidAction"}, true},
		{"http 501", responseError(501, nil), true},
		{"http 500 without an AWS error", responseError(500, nil), true},
		{"http 500 not implemented", responseError(500, &smithy.GenericAPIError{Code: "InternalFailure", Message: "The action has not been implemented"}), true},
		{"http 500 internal error", responseError(500, &smithy.GenericAPIError{Code: "InternalError", Message: "try again"}), false},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDenied", Fault: smithy.FaultClient}, false},
		{"not a DLQ", &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "Source queue must be configured as a Dead Letter Queue."}, false},
		{"network", errors.New("dial tcp: connection refused"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSQS(2)
			f.startErr = tt.err
			r, log := newTestRedriver(f)
			res, err := r.run(t.Context(), MethodAuto, true)
			if tt.fallback {
				if err != nil || res.Method != MethodReceiveSend || res.Moved != 2 {
					t.Errorf("want a receive-send move of 2: %+v, %v", res, err)
				}
				if !strings.Contains(log.String(), "no message move tasks") {
					t.Errorf("log %q", log)
				}
				return
			}
			if err == nil || !errors.Is(err, tt.err) || len(f.sent) != 0 {
				t.Errorf("want the error and nothing moved: %+v, %v, %d sent", res, err, len(f.sent))
			}
		})
	}
}

// responseError is an HTTP error as the SDK reports it, wrapping api.
func responseError(status int, api error) error {
	if api == nil {
		api = errors.New("unexpected response")
	}
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      api,
	}
}

func TestRedriveReceiveSendLosesNothing(t *testing.T) {
	// The third send fails: two messages moved and deleted, the rest back
	// in the DLQ, visible.
	f := newFakeSQS(5)
	sendErr := errors.New("throttled")
	f.sendFail[3] = sendErr
	r, _ := newTestRedriver(f)
	res, err := r.run(t.Context(), MethodReceiveSend, true)
	if !errors.Is(err, sendErr) || res.Moved != 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	if len(f.deleted) != 2 || len(f.inFlight) != 0 || len(f.dlq) != 3 {
		t.Errorf("deleted %v, in flight %d, visible %d", f.deleted, len(f.inFlight), len(f.dlq))
	}
	if aws.ToString(f.dlq[0].MessageId) != "m2" {
		t.Errorf("the failed message is not first in the DLQ again: %s", aws.ToString(f.dlq[0].MessageId))
	}

	// What was sent: same body, group and attributes; a dedup id from the
	// message id and the run's nonce.
	first := f.sent[0]
	if aws.ToString(first.MessageBody) != `{"n":0}` || aws.ToString(first.MessageGroupId) != "g0" ||
		aws.ToString(first.MessageAttributes["error_code"].StringValue) != "8001" || len(aws.ToString(first.MessageDeduplicationId)) != 64 {
		t.Errorf("sent %+v", first)
	}

	// A second run sends m2.. with other dedup ids than a first run would:
	// the nonce differs per run.
	dedup1 := map[string]bool{}
	for _, s := range f.sent {
		dedup1[aws.ToString(s.MessageDeduplicationId)] = true
	}
	g := newFakeSQS(5)
	r2, _ := newTestRedriver(g)
	if res, err := r2.run(t.Context(), MethodReceiveSend, true); err != nil || res.Moved != 5 {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	for _, s := range g.sent {
		if dedup1[aws.ToString(s.MessageDeduplicationId)] {
			t.Errorf("dedup id of %s repeats across runs", aws.ToString(s.MessageBody))
		}
	}

	// A delete failure after a good send: counted as moved, the rest given
	// back, the error reported.
	h := newFakeSQS(3)
	delErr := errors.New("receipt handle expired")
	h.delFail["rh-m1"] = delErr
	r3, _ := newTestRedriver(h)
	res, err = r3.run(t.Context(), MethodReceiveSend, true)
	if !errors.Is(err, delErr) || res.Moved != 2 || len(h.dlq) != 1 || aws.ToString(h.dlq[0].MessageId) != "m2" {
		t.Errorf("delete failure: %+v, %v, dlq %d", res, err, len(h.dlq))
	}

	// Ctrl-C between messages gives the rest back.
	k := newFakeSQS(4)
	ctx, cancel := context.WithCancel(t.Context())
	k.sendFail[2] = fmt.Errorf("interrupted: %w", context.Canceled)
	r4, _ := newTestRedriver(k)
	r4.perSecond = 1000
	cancel()
	res, err = r4.run(ctx, MethodReceiveSend, true)
	if err == nil || res.Moved != 0 || len(k.dlq) != 4 {
		t.Errorf("cancelled: %+v, %v, dlq %d", res, err, len(k.dlq))
	}
}

// deadMessage is a DLQ message as the apply function writes it.
func deadMessage(eventID, group, code string) types.Message {
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return types.Message{
		MessageId: aws.String("msg-" + eventID), Body: aws.String(`{"id":"` + eventID + `"}`),
		Attributes:        map[string]string{"MessageGroupId": group},
		MessageAttributes: map[string]types.MessageAttributeValue{"event_id": str(eventID), "error_code": str(code)},
	}
}

func TestRedriveSelectionKeepsGroupOrder(t *testing.T) {
	dlq := []types.Message{
		deadMessage("a1", "A", "8008"),
		deadMessage("a2", "A", "INVALID_STATUS_NAME"),
		deadMessage("a3", "A", "8008"),
		deadMessage("b1", "B", "8008"),
		deadMessage("c1", "C", "INVALID_STATUS_NAME"),
	}
	ids := func(msgs []types.Message) (out []string) {
		for _, m := range msgs {
			out = append(out, aws.ToString(m.MessageAttributes["event_id"].StringValue))
		}
		return out
	}
	sentIDs := func(f *fakeSQS) (out []string) {
		for _, s := range f.sent {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(s.MessageBody), `{"id":"`), `"}`))
		}
		return out
	}
	for _, leaky := range []bool{false, true} {
		t.Run(fmt.Sprintf("leaky=%v", leaky), func(t *testing.T) {
			// --error-code 8008: a1 and b1 move; a3 matches but waits
			// behind a2, which does not; a2, a3, c1 stay, visible, in order.
			f := newFakeSQS(0)
			f.dlq = slices.Clone(dlq)
			f.leaky = leaky
			r, _ := newTestRedriver(f)
			r.sel, _ = newSelection(nil, []string{"8008"})
			res, err := r.run(t.Context(), MethodReceiveSend, true)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sentIDs(f), ","); got != "a1,b1" {
				t.Errorf("sent %s, want a1,b1", got)
			}
			wantHeld := []HeldBack{{EventID: "a3", MessageID: "msg-a3", GroupID: "A", Behind: "a2"}}
			if d := cmp.Diff(wantHeld, res.HeldBack); d != "" || res.NotSelected != 2 || res.Moved != 2 || strings.Join(res.MovedIDs, ",") != "a1,b1" {
				t.Errorf("result %+v, held back diff %s", res, d)
			}
			if len(f.inFlight) != 0 || strings.Join(ids(f.dlq), ",") != "a2,a3,c1" {
				t.Errorf("DLQ after: visible %v, %d in flight; want a2,a3,c1 visible", ids(f.dlq), len(f.inFlight))
			}
			if err := res.selectionError(); err == nil || !strings.Contains(err.Error(), "1 selected message(s) held back") {
				t.Errorf("selection error %v", err)
			}

			// Then --id a2 --id a3 (and one that is not there): both move,
			// in order; c1 stays.
			f.sent = nil
			r.sel, _ = newSelection([]string{"a3", "a2", "zz"}, nil)
			res, err = r.run(t.Context(), MethodReceiveSend, true)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sentIDs(f), ","); got != "a2,a3" {
				t.Errorf("sent %s, want a2,a3", got)
			}
			if len(res.HeldBack) != 0 || res.NotSelected != 1 || strings.Join(res.NotFound, ",") != "zz" {
				t.Errorf("result %+v", res)
			}
			if strings.Join(ids(f.dlq), ",") != "c1" {
				t.Errorf("DLQ after: %v, want c1", ids(f.dlq))
			}
		})
	}
}

func TestSelectionMatch(t *testing.T) {
	m := DLQMessage{MessageID: "m-1", EventID: "e-1", ErrorCode: "INVALID_STATUS_NAME"}
	tests := []struct {
		name       string
		ids, codes []string
		want       bool
	}{
		{"event id", []string{"e-1"}, nil, true},
		{"message id", []string{"m-1"}, nil, true},
		{"other id", []string{"e-2"}, nil, false},
		{"code, any case", nil, []string{"invalid_status_name"}, true},
		{"other code", nil, []string{"8008"}, false},
		{"id and code", []string{"e-1"}, []string{"8008", "INVALID_STATUS_NAME"}, true},
		{"id but not code", []string{"e-1"}, []string{"8008"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newSelection(tt.ids, tt.codes)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := s.match(m); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
	var ue *UsageError
	if _, err := newSelection([]string{" "}, nil); !errors.As(err, &ue) {
		t.Errorf("empty --id: %v", err)
	}
}
