package queue_test

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/events/eventstest"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/tracing"
)

// TestPublishToMotoFIFO publishes to a real FIFO queue on moto_server: a
// duplicate event id is delivered once; group ids, dedup ids and attributes
// are set; bodies are schema-valid events.
func TestPublishToMotoFIFO(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (moto_server)")
	}
	m := awstest.NewMoto(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	client := sqs.NewFromConfig(awstest.Config(t, m))
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String("goals.fifo"),
		Attributes: map[string]string{
			"FifoQueue":                 "true",
			"ContentBasedDeduplication": "false",
			"MaximumMessageSize":        "1048576",
		},
	})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	url := aws.ToString(q.QueueUrl)
	p := queue.NewPublisher(client, url)

	first := eventList(12)
	if err := p.Publish(ctx, first); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	// A CRM retry of two of the changes: same ids, so SQS drops them.
	if err := p.Publish(ctx, []events.Event{first[3], first[11]}); err != nil {
		t.Fatalf("Publish retry: %v", err)
	}

	type got struct{ group, dedup, typ, src string }
	received := map[string]got{}
	counts := map[string]int{}
	for empty := 0; empty < 2; {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             1,
			VisibilityTimeout:           60,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		for _, msg := range out.Messages {
			body := []byte(aws.ToString(msg.Body))
			if err := eventstest.ValidateJSON(body); err != nil {
				t.Errorf("body breaks the schema: %v", err)
			}
			var e events.Event
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatal(err)
			}
			counts[e.ID]++
			received[e.ID] = got{
				group: msg.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)],
				dedup: msg.Attributes[string(types.MessageSystemAttributeNameMessageDeduplicationId)],
				typ:   aws.ToString(msg.MessageAttributes["event_type"].StringValue),
				src:   aws.ToString(msg.MessageAttributes["source"].StringValue),
			}
			if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msg.ReceiptHandle}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
		}
	}
	var ids []string
	for id, n := range counts {
		ids = append(ids, id)
		if n != 1 {
			t.Errorf("event %s received %d times", id, n)
		}
	}
	sort.Strings(ids)
	var want []string
	for _, e := range first {
		want = append(want, e.ID)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	for _, e := range first {
		g := received[e.ID]
		w := got{group: e.RecordKey(), dedup: e.ID, typ: "goal.upserted", src: "hubspot/portal/62515"}
		if g != w {
			t.Errorf("event %s: got %+v, want %+v", e.ID, g, w)
		}
	}

	// An event too large for a message is refused before anything is sent.
	big := event(99)
	big.Data.Fields["Description"] = string(make([]byte, 1<<20))
	if err := p.Publish(ctx, []events.Event{event(98), big}); err == nil {
		t.Error("Publish of a 1 MiB event: want ErrTooLarge")
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if n := attrs.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)]; n != "0" {
		t.Errorf("queue holds %s messages after a refused publish, want 0", n)
	}
}

// TestPublishSendsTheTraceHeaderToMoto publishes from a traced context to a
// FIFO queue on moto_server and reads the SendMessageBatch requests as they
// reached it: every entry carries the trace header as its AWSTraceHeader
// system attribute, in the wire form SQS takes. (moto 5.2.1 accepts the
// attribute but does not keep it for batch entries, so it is checked on
// the request, not on the received message.)
func TestPublishSendsTheTraceHeaderToMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (moto_server)")
	}
	const header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	m := awstest.NewMoto(t)
	rec := awstest.NewRecorder(t, m.Endpoint)
	client := sqs.NewFromConfig(awstest.Config(t, m), func(o *sqs.Options) { o.BaseEndpoint = aws.String(rec.URL) })
	q, err := client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("traced.fifo"),
		Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	evs := eventList(12)
	if err := queue.NewPublisher(client, aws.ToString(q.QueueUrl)).Publish(tracing.WithHeader(t.Context(), header), evs); err != nil {
		t.Fatal(err)
	}
	var entries int
	for _, body := range rec.Bodies("AmazonSQS.SendMessageBatch") {
		var in struct {
			Entries []struct {
				MessageSystemAttributes map[string]struct{ DataType, StringValue string }
			}
		}
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("request body: %v: %s", err, body)
		}
		for _, e := range in.Entries {
			entries++
			if a := e.MessageSystemAttributes[tracing.SQSAttribute]; a.DataType != "String" || a.StringValue != header {
				t.Errorf("entry sent with system attributes %+v, want AWSTraceHeader %q", e.MessageSystemAttributes, header)
			}
		}
	}
	if entries != len(evs) {
		t.Errorf("%d entries reached moto, want %d", entries, len(evs))
	}
	out, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) == 0 {
		t.Fatalf("receive: %v (%d messages): moto refused the traced batch?", err, len(out.Messages))
	}
	t.Logf("moto kept AWSTraceHeader on a received message: %v", out.Messages[0].Attributes[tracing.SQSAttribute] == header)
}
