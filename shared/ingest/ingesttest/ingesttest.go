package ingesttest

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
)

// Stack is a moto_server with the ingest function's queue and secret.
type Stack struct {
	Moto           *awstest.Moto
	Config         aws.Config
	SQS            *sqs.Client
	SecretsManager *secretsmanager.Client
	// QueueURL and SecretID are the function's QUEUE_URL and WEBHOOK_SECRETS_ID.
	QueueURL string
	SecretID string
}

// NewStack starts a moto_server (stopped in t.Cleanup), creates the FIFO
// queue goalrelay-events.fifo and the secret goalrelay/webhook-secrets with
// secretValue as its SecretString.
func NewStack(t testing.TB, secretValue []byte) *Stack {
	t.Helper()
	m := awstest.NewMoto(t)
	cfg := awstest.Config(t, m)
	s := &Stack{Moto: m, Config: cfg, SQS: sqs.NewFromConfig(cfg), SecretsManager: secretsmanager.NewFromConfig(cfg)}
	s.QueueURL = s.NewQueue(t, "goalrelay-events.fifo")
	s.SecretID = "goalrelay/webhook-secrets"
	s.PutSecret(t, s.SecretID, secretValue)
	return s
}

// NewQueue creates a FIFO queue (no content-based deduplication: the
// publisher sets MessageDeduplicationId) and returns its URL.
func (s *Stack) NewQueue(t testing.TB, name string) string {
	t.Helper()
	out, err := s.SQS.CreateQueue(t.Context(), &sqs.CreateQueueInput{
		QueueName: aws.String(name),
		Attributes: map[string]string{
			"FifoQueue":                 "true",
			"ContentBasedDeduplication": "false",
			"VisibilityTimeout":         "30",
		},
	})
	if err != nil {
		t.Fatalf("ingesttest: create queue %s: %v", name, err)
	}
	return *out.QueueUrl
}

// PutSecret creates the secret id with value as its SecretString.
func (s *Stack) PutSecret(t testing.TB, id string, value []byte) {
	t.Helper()
	if _, err := s.SecretsManager.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
		Name: aws.String(id), SecretString: aws.String(string(value)),
	}); err != nil {
		t.Fatalf("ingesttest: create secret %s: %v", id, err)
	}
}

// Env is the environment of a bootstrap reaching the stack through the
// SDK's own settings, with QUEUE_URL and WEBHOOK_SECRETS_ID set.
func (s *Stack) Env() []string {
	return append(s.Moto.Env(), "QUEUE_URL="+s.QueueURL, "WEBHOOK_SECRETS_ID="+s.SecretID)
}

// Message is one received message with its decoded event.
type Message struct {
	types.Message
	Event goalevents.Event
}

// Drain receives and deletes every message of the queue at url, with the
// FIFO system attributes and the message attributes, until a receive
// comes back empty. A body that is not one canonical event fails t.
func (s *Stack) Drain(t testing.TB, url string) []Message {
	t.Helper()
	var out []Message
	for range 1000 {
		r, err := s.SQS.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			t.Fatalf("ingesttest: receive: %v", err)
		}
		if len(r.Messages) == 0 {
			return out
		}
		var del []types.DeleteMessageBatchRequestEntry
		for i, msg := range r.Messages {
			var ev goalevents.Event
			if err := json.Unmarshal([]byte(aws.ToString(msg.Body)), &ev); err != nil {
				t.Errorf("ingesttest: message %s is not an event: %v", aws.ToString(msg.MessageId), err)
			}
			out = append(out, Message{Message: msg, Event: ev})
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: msg.ReceiptHandle})
		}
		if _, err := s.SQS.DeleteMessageBatch(t.Context(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del}); err != nil {
			t.Fatalf("ingesttest: delete: %v", err)
		}
	}
	t.Fatal("ingesttest: the queue does not drain")
	return nil
}
