package queue_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/queue"
)

// printSQS stands in for *sqs.Client.
type printSQS struct{}

func (printSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	for _, e := range in.Entries {
		fmt.Printf("group=%s dedup=%s type=%s\n", aws.ToString(e.MessageGroupId), aws.ToString(e.MessageDeduplicationId),
			aws.ToString(e.MessageAttributes[queue.AttrEventType].StringValue))
	}
	return allOK(in), nil
}

func ExamplePublisher_Publish() {
	p := queue.NewPublisher(printSQS{}, "https://sqs.eu-west-1.amazonaws.com/123456789012/goalrelay-events.fifo")
	if err := p.Publish(context.Background(), eventList(2)); err != nil {
		fmt.Println(err)
	}
	// Output:
	// group=hubspot/portal/62515:0 dedup=hubspot:62515:deal:0:1764237600000 type=goal.upserted
	// group=hubspot/portal/62515:1 dedup=hubspot:62515:deal:1:1764237600000 type=goal.upserted
}
