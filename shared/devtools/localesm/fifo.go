package localesm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// FIFORelease is an SQS client for a Poller over a FIFO queue on
// moto_server. It works around a bug of moto 5.2.1: when several in-flight
// messages of one FIFO group come back because their visibility time-out
// ran out, moto's ReceiveMessage skips the group's first messages and
// delivers the last one first, out of order, which real SQS never does
// (reproduced with three messages of one group: after the time-out moto
// returns only the last). FIFORelease ends the visibility of every
// message it received and that was not deleted, with
// ChangeMessageVisibility 0 half a second before moto's time-out would,
// oldest first, so the messages come back when they would have, in order.
//
// The apply function changes the visibility of the messages it holds (the
// heartbeat's in-flight visibility and its extensions, a failed message's
// backoff, a deferral): give it Tap as its SQS endpoint, which tells the
// FIFORelease of every such change, so that the release follows the
// function's visibility and not the queue's. Without it, FIFORelease would
// release a message the function still holds, or (for a backoff shorter
// than the queue's time-out) leave it to moto's time-out and to moto's
// out-of-order FIFO redelivery.
type FIFORelease struct {
	c    *sqs.Client
	url  string
	vis  time.Duration
	done chan struct{}
	wg   sync.WaitGroup

	mu   sync.Mutex
	held map[string]time.Time // receipt handle → when to release it
	ord  []string             // handles in receive order
}

// NewFIFORelease starts a FIFORelease for the queue at url, whose
// visibility time-out is vis; Stop ends it.
func NewFIFORelease(c *sqs.Client, url string, vis time.Duration) *FIFORelease {
	r := &FIFORelease{c: c, url: url, vis: vis, done: make(chan struct{}), held: map[string]time.Time{}}
	r.wg.Go(r.loop)
	return r
}

// ReceiveMessage receives and holds what it got until it is deleted or released.
func (r *FIFORelease) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
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

// DeleteMessageBatch deletes and stops holding the messages.
func (r *FIFORelease) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	r.mu.Lock()
	for _, e := range in.Entries {
		delete(r.held, aws.ToString(e.ReceiptHandle))
	}
	r.mu.Unlock()
	return r.c.DeleteMessageBatch(ctx, in, optFns...)
}

func (r *FIFORelease) loop() {
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

// Tap is an SQS endpoint for the functions the Poller invokes: a reverse
// proxy to moto (endpoint) that notes every visibility change a function
// makes (ChangeMessageVisibility and ...Batch, JSON protocol) that moto
// accepts.
func (r *FIFORelease) Tap(endpoint string) (http.Handler, error) {
	target, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		op := req.Header.Get("X-Amz-Target")
		if op != "AmazonSQS.ChangeMessageVisibilityBatch" && op != "AmazonSQS.ChangeMessageVisibility" {
			rp.ServeHTTP(w, req)
			return
		}
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		at := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(sw, req)
		if sw.status != http.StatusOK {
			return
		}
		type entry struct {
			ReceiptHandle     string
			VisibilityTimeout int
		}
		var in struct {
			entry
			Entries []entry
		}
		if json.Unmarshal(body, &in) != nil {
			return
		}
		if op == "AmazonSQS.ChangeMessageVisibility" {
			in.Entries = []entry{in.entry}
		}
		for _, e := range in.Entries {
			r.note(e.ReceiptHandle, at, time.Duration(e.VisibilityTimeout)*time.Second)
		}
	}), nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// note moves the release of a held message to half a second before the
// visibility set at at runs out. A handle r no longer holds (released or
// deleted) is left alone.
func (r *FIFORelease) note(handle string, at time.Time, vis time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.held[handle]; ok {
		r.held[handle] = at.Add(vis - 500*time.Millisecond)
	}
}

// Stop ends the release loop.
func (r *FIFORelease) Stop() {
	close(r.done)
	r.wg.Wait()
}
