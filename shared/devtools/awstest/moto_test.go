package awstest_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
)

func TestMotoServesSQS(t *testing.T) {
	m := awstest.NewMoto(t)
	c := sqs.NewFromConfig(awstest.Config(t, m))
	out, err := c.CreateQueue(t.Context(), &sqs.CreateQueueInput{
		QueueName:  aws.String("probe.fifo"),
		Attributes: map[string]string{"FifoQueue": "true"},
	})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	if got := aws.ToString(out.QueueUrl); got != m.Endpoint+"/"+awstest.AccountID+"/probe.fifo" {
		t.Errorf("queue url = %q", got)
	}
	if err := m.Reset(t.Context()); err != nil {
		t.Fatalf("Reset: %v", err)
	}
}
