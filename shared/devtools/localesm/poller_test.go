package localesm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/localesm"
)

// fn is an in-process function: it fails every record whose body starts
// with "fail", and the whole batch when a body is "crash".
type fn struct{ seen []events.SQSMessage }

func (f *fn) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var e events.SQSEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, err
	}
	var resp events.SQSEventResponse
	for _, r := range e.Records {
		f.seen = append(f.seen, r)
		if r.Body == "crash" {
			return nil, errors.New("crashed")
		}
		if strings.HasPrefix(r.Body, "fail") {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return json.Marshal(resp)
}

func TestPollerDeletesSuccessesAndRedrivesFailures(t *testing.T) {
	m := awstest.NewMoto(t)
	c := sqs.NewFromConfig(awstest.Config(t, m))
	ctx := t.Context()
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dlq.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	dlqARN := "arn:aws:sqs:us-east-1:" + awstest.AccountID + ":dlq.fifo"
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("in.fifo"), Attributes: map[string]string{
		"FifoQueue": "true", "VisibilityTimeout": "1",
		"RedrivePolicy": fmt.Sprintf(`{"maxReceiveCount":"2","deadLetterTargetArn":%q}`, dlqARN),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{"ok-1", "fail-2", "ok-3"} {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: q.QueueUrl, MessageBody: aws.String(body),
			MessageGroupId: aws.String(fmt.Sprint("g", i)), MessageDeduplicationId: aws.String(body),
			MessageAttributes: map[string]sqstypesAttr{"event_type": strAttr("goal.upserted")},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	f := &fn{}
	p := &localesm.Poller{SQS: c, QueueURL: *q.QueueUrl, QueueARN: "arn:aws:sqs:us-east-1:" + awstest.AccountID + ":in.fifo", Region: "us-east-1", Function: f}
	res, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Received != 3 || res.Deleted != 2 || res.Failed != 1 || res.InvokeErr != nil {
		t.Fatalf("first poll = %+v", res)
	}
	r0 := f.seen[0]
	if r0.Attributes["MessageGroupId"] != "g0" || r0.Attributes["ApproximateReceiveCount"] != "1" || r0.EventSourceARN == "" {
		t.Errorf("record attributes = %v, source %q", r0.Attributes, r0.EventSourceARN)
	}
	if v := r0.MessageAttributes["event_type"].StringValue; v == nil || *v != "goal.upserted" {
		t.Errorf("message attribute event_type = %v", v)
	}

	// The failed message comes back after its visibility timeout, fails
	// again, and then the redrive policy moves it to the DLQ.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 0})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 1 && *out.Messages[0].Body == "fail-2" {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatal("the failing message never reached the DLQ")
}

func TestPollerKeepsBatchOnInvokeError(t *testing.T) {
	m := awstest.NewMoto(t)
	c := sqs.NewFromConfig(awstest.Config(t, m))
	ctx := t.Context()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("in.fifo"), Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"ok", "crash"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body), MessageGroupId: aws.String(body), MessageDeduplicationId: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	p := &localesm.Poller{SQS: c, QueueURL: *q.QueueUrl, Function: &fn{}}
	res, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.InvokeErr == nil || res.Deleted != 0 || res.Failed != 2 {
		t.Errorf("poll = %+v, want whole batch failed", res)
	}
}

type badFn struct{}

func (badFn) Invoke(context.Context, []byte) ([]byte, error) {
	return []byte(`{"batchItemFailures":[{"itemIdentifier":"not-in-batch"}]}`), nil
}

func TestPollerRejectsUnknownIdentifier(t *testing.T) {
	m := awstest.NewMoto(t)
	c := sqs.NewFromConfig(awstest.Config(t, m))
	ctx := t.Context()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("in.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	p := &localesm.Poller{SQS: c, QueueURL: *q.QueueUrl, Function: badFn{}}
	res, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.InvokeErr, localesm.ErrBadResponse) || res.Deleted != 0 {
		t.Errorf("poll = %+v, want ErrBadResponse and nothing deleted", res)
	}
}

type sqstypesAttr = sqstypes.MessageAttributeValue

func strAttr(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}
