package apply

import "fmt"

// Copies of one event in one batch. A CRM that retries a delivery after
// the FIFO queue's five-minute deduplication window (or a redrive that
// races the live stream) puts a second message with the same event on the
// queue, and both can arrive in one batch. Claimed one after the other, the
// second copy would find the first's claim held by this very batch, be
// refused as busy and wait out the claim's lease (visibility.go), holding
// its message group for that long. Instead the batch applies the event
// once: every later copy is set aside before processing (copied) and then
// takes the first copy's fate, a retry when it is retried (it comes back
// with it, in order), else a duplicate, acknowledged: the event was
// applied, found stale or ignored, or is in the DLQ once with its reason.
const copied outcome = -2

// setAsideCopies marks every pending message whose event an earlier
// pending message of the batch carries too.
func setAsideCopies(msgs []*message) {
	first := map[string]*message{}
	for _, m := range msgs {
		if !m.pending() {
			continue
		}
		id := m.ev.Identity()
		if f, ok := first[id]; ok {
			m.outcome, m.copyOf = copied, f
			continue
		}
		first[id] = m
	}
}

// settleCopies gives every copy its first copy's fate; call it once the
// first copies have their final outcomes.
func settleCopies(msgs []*message) {
	for _, m := range msgs {
		if m.outcome != copied {
			continue
		}
		f := m.copyOf
		if f.outcome == retry {
			m.outcome, m.err = retry, fmt.Errorf("another copy of the event in this batch (message %s) is retried: %w", f.rec.MessageId, f.err)
			continue
		}
		m.outcome, m.err = duplicate, fmt.Errorf("another copy of the event in this batch (message %s) ended %s", f.rec.MessageId, f.outcome)
	}
}
