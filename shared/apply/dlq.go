package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/queue"
)

// DLQ message attributes: why the message is there.
const (
	AttrErrorCode     = "error_code"
	AttrErrorMessage  = "error_message"
	AttrRequestID     = "gainsight_request_id"
	AttrAttempts      = "attempt_count"
	AttrEventID       = "event_id"
	AttrEventType     = "event_type"
	AttrSource        = "source"
	AttrOriginalMsgID = "original_message_id"
)

// deadLetter sends the message's original body to the DLQ with the reason
// as message attributes. The DLQ is FIFO: the message keeps its group, and
// its deduplication id is derived from the original message id so a
// retried send is not duplicated.
func (s *Service) deadLetter(ctx context.Context, m *message) error {
	r := reasonOf(m.err)
	attrs := map[string]types.MessageAttributeValue{}
	put := func(name, v string) {
		if v = strings.TrimSpace(v); v != "" {
			if len(v) > 1024 {
				v = strings.ToValidUTF8(v[:1024], "") // not a cut rune
			}
			attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	put(AttrErrorCode, r.Code)
	put(AttrErrorMessage, r.Message)
	put(AttrRequestID, r.RequestID)
	put(AttrAttempts, m.rec.Attributes["ApproximateReceiveCount"])
	put(AttrOriginalMsgID, m.rec.MessageId)
	if m.ev != nil {
		put(AttrEventID, m.ev.ID)
		put(AttrEventType, string(m.ev.Type))
		put(AttrSource, m.ev.Source)
	}
	sum := sha256.Sum256([]byte(m.rec.MessageId))
	_, err := s.DLQ.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:               aws.String(s.DLQURL),
		MessageBody:            aws.String(m.rec.Body),
		MessageGroupId:         aws.String(queue.FIFOID(m.group)),
		MessageDeduplicationId: aws.String(hex.EncodeToString(sum[:])),
		MessageAttributes:      attrs,
	})
	return err
}
