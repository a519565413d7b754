package awstest_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
)

// fifoQueue creates a FIFO queue with a one-second visibility time-out and
// sends bodies into one message group, in order.
func fifoQueue(t *testing.T, c *sqs.Client, name string, bodies ...string) string {
	t.Helper()
	out, err := c.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name),
		Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		if _, err := c.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String(b),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(out.QueueUrl)
}

func receive(t *testing.T, c *sqs.Client, url string) []string {
	t.Helper()
	out, err := c.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range out.Messages {
		got = append(got, aws.ToString(m.Body))
	}
	return got
}

// TestFIFOGroupComesBackInOrder: messages of one group that were received
// and not deleted come back, once their visibility time-out runs out, in
// their order, as SQS returns them. moto_server 5.2.1 returned the last
// of them first (it freed the group one expired message at a time and
// delivered the first message it found with no other in flight), which
// let a consumer apply a group's newest event before its older ones;
// StartMoto runs it with that mended.
func TestFIFOGroupComesBackInOrder(t *testing.T) {
	m := awstest.NewMoto(t)
	c := sqs.NewFromConfig(awstest.Config(t, m))
	url := fifoQueue(t, c, "order.fifo", "m1", "m2", "m3")
	if got := receive(t, c, url); !slices.Equal(got, []string{"m1", "m2", "m3"}) {
		t.Fatalf("first receive: %v", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := receive(t, c, url); !slices.Equal(got, []string{"m1", "m2", "m3"}) {
		t.Errorf("after the visibility time-out: %v, want m1 m2 m3", got)
	}
}

// TestFIFOGroupInFlightHoldsTheRest: while a message of a group is in
// flight, no later message of the group is delivered; a message whose
// visibility ran out comes back first.
func TestFIFOGroupInFlightHoldsTheRest(t *testing.T) {
	m := awstest.NewMoto(t)
	c := sqs.NewFromConfig(awstest.Config(t, m))
	url := fifoQueue(t, c, "hold.fifo", "m1")
	if got := receive(t, c, url); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("first receive: %v", got)
	}
	for i := 2; i <= 3; i++ {
		b := fmt.Sprintf("m%d", i)
		if _, err := c.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := receive(t, c, url); len(got) != 0 {
		t.Errorf("while m1 is in flight: %v, want nothing", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := receive(t, c, url); !slices.Equal(got, []string{"m1", "m2", "m3"}) {
		t.Errorf("after m1's visibility time-out: %v, want m1 m2 m3", got)
	}
}
