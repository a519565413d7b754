package localesm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

type queue interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Invoker runs the function with a payload (rie.Function satisfies it).
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Poller is one event source mapping: one queue, one function.
type Poller struct {
	SQS      queue
	QueueURL string
	// QueueARN is put into each record's eventSourceARN.
	QueueARN  string
	Region    string
	Function  Invoker
	BatchSize int32 // 1..10; 0 means 10
	// WaitSeconds is the long-poll wait of each receive (0..20).
	WaitSeconds int32
}

// Result is what one Poll did.
type Result struct {
	Received, Deleted, Failed int
	// InvokeErr is set when the whole batch failed (handler error, time-out,
	// crash, or a malformed response); then nothing was deleted.
	InvokeErr error
}

// Poll receives one batch, invokes the function and deletes what
// succeeded. An empty receive returns a zero Result. The returned error is
// about SQS itself; a failed invocation is reported in Result.InvokeErr.
func (p *Poller) Poll(ctx context.Context) (Result, error) {
	size := p.BatchSize
	if size <= 0 || size > 10 {
		size = 10
	}
	out, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(p.QueueURL),
		MaxNumberOfMessages:         size,
		WaitTimeSeconds:             p.WaitSeconds,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return Result{}, fmt.Errorf("localesm: receive: %w", err)
	}
	if len(out.Messages) == 0 {
		return Result{}, nil
	}
	res := Result{Received: len(out.Messages)}
	evt := p.event(out.Messages)
	payload, err := json.Marshal(evt)
	if err != nil {
		return res, err
	}
	raw, err := p.Function.Invoke(ctx, payload)
	if err != nil {
		res.InvokeErr = err
		res.Failed = len(out.Messages)
		return res, nil
	}
	failed, err := failures(raw, out.Messages)
	if err != nil {
		res.InvokeErr = err
		res.Failed = len(out.Messages)
		return res, nil
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range out.Messages {
		if failed[aws.ToString(m.MessageId)] {
			res.Failed++
			continue
		}
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
	}
	if len(del) > 0 {
		dout, err := p.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: del})
		if err != nil {
			return res, fmt.Errorf("localesm: delete: %w", err)
		}
		if len(dout.Failed) > 0 {
			return res, fmt.Errorf("localesm: delete: %d entries failed: %s", len(dout.Failed), aws.ToString(dout.Failed[0].Message))
		}
		res.Deleted = len(dout.Successful)
	}
	return res, nil
}

// Run polls until ctx ends, calling report (if not nil) after each non-empty
// poll. SQS errors end the run.
func (p *Poller) Run(ctx context.Context, report func(Result)) error {
	for {
		res, err := p.Poll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if report != nil && res.Received > 0 {
			report(res)
		}
		if res.Received == 0 && p.WaitSeconds == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-timeAfter(pollIdle):
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (p *Poller) event(msgs []types.Message) events.SQSEvent {
	recs := make([]events.SQSMessage, 0, len(msgs))
	for _, m := range msgs {
		attrs := make(map[string]string, len(m.Attributes))
		for k, v := range m.Attributes {
			attrs[k] = v
		}
		mattrs := make(map[string]events.SQSMessageAttribute, len(m.MessageAttributes))
		for k, v := range m.MessageAttributes {
			mattrs[k] = events.SQSMessageAttribute{
				StringValue: v.StringValue, BinaryValue: v.BinaryValue,
				StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues,
				DataType: aws.ToString(v.DataType),
			}
		}
		recs = append(recs, events.SQSMessage{
			MessageId:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Md5OfBody:              aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             attrs,
			MessageAttributes:      mattrs,
			EventSourceARN:         p.QueueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              p.Region,
		})
	}
	return events.SQSEvent{Records: recs}
}

// ErrBadResponse is wrapped when the function's response would make Lambda
// fail the whole batch (unknown or empty item identifiers, invalid JSON).
var ErrBadResponse = errors.New("invalid partial batch response")

// failures reads a partial batch response the way Lambda does: a null or
// empty response means success; an identifier that is empty or not in the
// batch fails the whole batch.
func failures(raw []byte, msgs []types.Message) (map[string]bool, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, nil
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	known := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		known[aws.ToString(m.MessageId)] = true
	}
	failed := make(map[string]bool, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == "" || !known[f.ItemIdentifier] {
			return nil, fmt.Errorf("%w: item identifier %q is not in the batch", ErrBadResponse, f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}
