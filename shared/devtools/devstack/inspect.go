package devstack

import (
	"context"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
)

// NewGoals returns the goals of the simulated tenant that were not part of
// its seed data, i.e. the goals goalrelay created, in creation order.
func (s *Stack) NewGoals() []gainsighttest.Goal {
	var out []gainsighttest.Goal
	for _, g := range s.Simulator.Goals() {
		if !s.seedGoals[g.Gsid] {
			out = append(out, g)
		}
	}
	return out
}

// BusiestRecord is the record key of the goal goalrelay wrote whose record
// has the most events in the state table (the first such goal on a tie),
// or "" when it wrote none or the table cannot be read.
func (s *Stack) BusiestRecord(ctx context.Context) string {
	store := state.New(dynamodb.NewFromConfig(s.AWS), s.TableName)
	best, most := "", 0
	for _, g := range s.NewGoals() {
		key, _ := g.Fields[apply.DefaultExternalIDField].(string)
		if key == "" {
			continue
		}
		evs, err := store.RecordEvents(ctx, key, 0)
		if err != nil {
			return ""
		}
		if len(evs) > most {
			best, most = key, len(evs)
		}
	}
	return best
}

// Message is a message read from a queue without consuming it.
type Message struct {
	ID, GroupID, Body string
	ReceiveCount      int
	// Attributes are the string message attributes (for the DLQ: the
	// reason, see package apply: error_code, error_message, event_id, ...).
	Attributes map[string]string
}

// Peek reads the messages of the queue at url without consuming them: it
// receives until a receive comes back empty (at most 50 receives), then
// makes every received message visible again. Each read counts as a
// receive (ApproximateReceiveCount), so use it on the DLQ, not on a queue
// with a redrive policy.
func (s *Stack) Peek(ctx context.Context, url string) ([]Message, error) {
	var out []Message
	var handles []string
	defer func() {
		// Release what was received, ten at a time.
		for len(handles) > 0 {
			n := min(10, len(handles))
			var e []types.ChangeMessageVisibilityBatchRequestEntry
			for i, h := range handles[:n] {
				e = append(e, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h), VisibilityTimeout: 0})
			}
			_, _ = s.SQS.ChangeMessageVisibilityBatch(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: e})
			handles = handles[n:]
		}
	}()
	for range 50 {
		r, err := s.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         10,
			VisibilityTimeout:           30,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return nil, err
		}
		if len(r.Messages) == 0 {
			break
		}
		for _, m := range r.Messages {
			handles = append(handles, aws.ToString(m.ReceiptHandle))
			n, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
			msg := Message{ID: aws.ToString(m.MessageId), GroupID: m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)],
				Body: aws.ToString(m.Body), ReceiveCount: n, Attributes: map[string]string{}}
			for k, v := range m.MessageAttributes {
				if v.StringValue != nil {
					msg.Attributes[k] = *v.StringValue
				}
			}
			out = append(out, msg)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Attributes["event_id"] < out[j].Attributes["event_id"] })
	return out, nil
}
