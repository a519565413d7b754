package apply

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/quota"
)

// Retrying at once. A Gainsight call that fails transiently (a 5xx without
// Retry-After, a connection dropped or reset, no answer within
// GAINSIGHT_TIMEOUT) mostly succeeds when made again a moment later. Sent
// back to the queue, the message would wait out its backoff (5 s and
// more, visibility.go) and hold its whole message group meanwhile; so
// applyUnit first tries the unit again in the same invocation, under the
// same claims and record lock, and so in FIFO order:
//
//   - at most Service.InlineRetries (DefaultInlineRetries, 2) more
//     attempts per unit, after 250 ms and 500 ms (equal jitter: half
//     fixed, half random);
//   - at most InlineRetryBudget (5) per batch, so that a Gainsight that is
//     down costs a batch of ten at most fifteen calls, not thirty;
//   - only for transient failures: a 429 or an answer with Retry-After
//     holds every consumer back through the quota instead (call.go), and a
//     quota refusal, a lost lease or a refusal of the content is not
//     helped by trying again now;
//   - only while the call deadline (the Lambda deadline less the margin)
//     leaves time for the wait.
//
// Each attempt reads the record afresh under the lock, as a redelivery
// would (LockGoal by the same owner re-reads and renews it): a create whose
// answer was lost has left its create marker, so the attempt looks the
// goal up by its external id before creating it, and an update whose
// answer was lost is sent again with the same values. Every attempt takes
// its unit of quota. When the attempts are spent, the unit fails as before
// and its messages get their backoff.
const (
	DefaultInlineRetries = 2
	InlineRetryBudget    = 5
	inlineRetryBase      = 250 * time.Millisecond
)

// transient reports a failure worth trying again at once: a Gainsight
// error that is retryable and names no wait of its own. The call's own
// time-out is one (a *TransportError); the end of the caller's context is
// not.
func transient(ctx context.Context, err error) bool {
	var rl *gainsight.RateLimitError
	var le *quota.LimitError
	switch {
	case err == nil, ctx.Err() != nil:
		return false
	case errors.As(err, &rl), errors.As(err, &le):
		return false
	case gainsight.RetryAfter(err) > 0:
		return false
	}
	return gainsight.IsRetryable(err)
}

// inlineDelay is the wait before inline attempt n (1-based): 250 ms ×
// 2^(n−1), equal jitter.
func (s *Service) inlineDelay(n int) time.Duration {
	b := inlineRetryBase << (n - 1)
	r := rand.Float64
	if s.Rand != nil {
		r = s.Rand
	}
	return b/2 + time.Duration(r()*float64(b/2))
}

// retryInline reports whether the unit that failed with err on its
// attempt n (1-based) is tried again now, and waits for it. It takes one
// from the batch's budget when it says yes.
func (s *Service) retryInline(ctx context.Context, key string, n int, err error) bool {
	if n > s.inlineRetries() || s.inlineLeft == nil || !transient(ctx, err) {
		return false
	}
	d := s.inlineDelay(n)
	if s.timeLeft(ctx) <= d || s.inlineLeft.Add(-1) < 0 {
		return false
	}
	s.logger().InfoContext(ctx, "transient Gainsight failure; trying again in this invocation",
		"record_key", logbound.Cut(key, logbound.MaxValue), "attempt", n+1,
		"wait_ms", d.Milliseconds(), "error", logbound.Cut(err.Error(), logbound.MaxError))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *Service) inlineRetries() int {
	switch {
	case s.InlineRetries < 0:
		return 0
	case s.InlineRetries == 0:
		return DefaultInlineRetries
	}
	return s.InlineRetries
}
