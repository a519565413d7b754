package chaos

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// fifoRelease is the pollers' SQS client. It works around a bug of
// moto 5.2.1 (the same work-around as the apply package's queue tests):
// when several in-flight messages of one FIFO group come back because
// their visibility time-out ran out, moto's ReceiveMessage skips the
// group's first messages and delivers the last one first, out of order,
// which real SQS never does. fifoRelease ends the visibility of every
// message it received and that was not deleted, with
// ChangeMessageVisibility 0 half a second before moto's time-out would,
// oldest first, so the messages come back when they would have, in order.
type fifoRelease struct {
	c    *sqs.Client
	url  string
	vis  time.Duration
	done chan struct{}
	wg   sync.WaitGroup

	mu   sync.Mutex
	held map[string]time.Time // receipt handle → when to release it
	ord  []string             // handles in receive order
}

func newFIFORelease(c *sqs.Client, url string, vis time.Duration) *fifoRelease {
	r := &fifoRelease{c: c, url: url, vis: vis, done: make(chan struct{}), held: map[string]time.Time{}}
	r.wg.Go(r.loop)
	return r
}

func (r *fifoRelease) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	start := time.Now()
	out, err := r.c.ReceiveMessage(ctx, in, optFns...)
	if err != nil {
		return out, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range out.Messages {
		h := aws.ToString(m.ReceiptHandle)
		r.held[h] = start.Add(r.vis - 500*time.Millisecond)
		r.ord = append(r.ord, h)
	}
	return out, nil
}

func (r *fifoRelease) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	r.mu.Lock()
	for _, e := range in.Entries {
		delete(r.held, aws.ToString(e.ReceiptHandle))
	}
	r.mu.Unlock()
	return r.c.DeleteMessageBatch(ctx, in, optFns...)
}

func (r *fifoRelease) loop() {
	for {
		select {
		case <-r.done:
			return
		case <-time.After(50 * time.Millisecond):
		}
		now := time.Now()
		var due []string
		r.mu.Lock()
		keep := r.ord[:0]
		for _, h := range r.ord {
			at, ok := r.held[h]
			switch {
			case !ok:
			case !now.Before(at):
				due = append(due, h)
				delete(r.held, h)
			default:
				keep = append(keep, h)
			}
		}
		r.ord = keep
		r.mu.Unlock()
		for _, h := range due {
			// Fails harmlessly for a message deleted meanwhile.
			_, _ = r.c.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(r.url),
				ReceiptHandle: aws.String(h), VisibilityTimeout: 0})
		}
	}
}

func (r *fifoRelease) stop() {
	close(r.done)
	r.wg.Wait()
}
