package apply

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/quota"
)

// Deferrer is the part of the SQS client used to set the visibility of
// the batch's messages: short while in flight (visibility.go), a backoff
// after a retryable failure, and until the quota frees up for messages
// that wait for it.
type Deferrer interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// maxVisibility is SQS's limit on a message's visibility timeout.
const maxVisibility = 12 * time.Hour

// minDefer is the shortest wait worth a deferral; shorter ones are left
// to the queue's own visibility timeout.
const minDefer = time.Minute

// deferral says how long a failed message should stay invisible: until the
// quota frees up when it failed because the day's budget is spent or a
// Retry-After runs; zero otherwise. Without it such a message would come
// back every visibility timeout and reach the DLQ after maxReceiveCount
// receives although nothing is wrong with it.
//
// A day spent by others (quota.LimitDaySpent) is waited for until the next
// probe at first, then until the day resets (daySpentWait). spent is that
// mark when some message of the batch met it: a message that failed
// earlier in the batch on a 429 without Retry-After (the first strike)
// waits with the others.
func (s *Service) deferral(m *message, spent *quota.LimitError) time.Duration {
	if m.outcome != retry {
		return 0
	}
	// A CRM read-back refused for the CRM's limits waits out its
	// Retry-After (the day's reset for a spent daily budget).
	var crl *crm.RateLimitError
	if errors.As(m.err, &crl) {
		if crl.RetryAfter < minDefer {
			return 0
		}
		return min(crl.RetryAfter, maxVisibility)
	}
	var le *quota.LimitError
	if !errors.As(m.err, &le) {
		var rl *gainsight.RateLimitError
		if spent == nil || !errors.As(m.err, &rl) || rl.RetryAfter > 0 {
			return 0
		}
		le = spent
	}
	if le.Limit == "minute" {
		return 0
	}
	d := le.Resets.Sub(s.now())
	if le.Limit == quota.LimitDaySpent {
		d = s.daySpentWait(m, le)
	}
	if d < minDefer {
		return 0
	}
	return min(d, maxVisibility)
}

var queueURLs sync.Map // queue ARN → URL

// queueURL resolves arn:aws:sqs:<region>:<account>:<name> to its URL once
// per process.
func (s *Service) queueURL(ctx context.Context, arn string) (string, error) {
	if u, ok := queueURLs.Load(arn); ok {
		return u.(string), nil
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[2] != "sqs" {
		return "", errors.New("not an SQS queue ARN")
	}
	out, err := s.Defer.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
	if err != nil {
		return "", err
	}
	u := aws.ToString(out.QueueUrl)
	queueURLs.Store(arn, u)
	return u, nil
}
