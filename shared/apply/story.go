package apply

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/state"
)

// Bounds of a story's strings: the event record stays small (under 1 KB,
// one DynamoDB write unit, for ids of ordinary length), whatever an error
// quotes.
const (
	maxStoryField  = 128
	maxStoryDetail = 256
)

// storyOf is what the event record keeps of m's attempt (state.Story):
// the event, its outcome and what decided it. A retried or permanent
// failure gives the error code the DLQ would carry (the Gainsight code, or
// HTTP_<status>; goalrelay's own code for a permanent failure it found
// itself) and the request id of Gainsight's answer; an applied event, the
// request id of the call that applied it. Gsid is the record's goal
// (m.applied, set by applyUnit): the one the event was applied to, or
// would have been.
func storyOf(m *message) state.Story {
	if m.ev == nil {
		return state.Story{}
	}
	st := m.applied
	st.RecordKey = m.key
	st.EventID, st.Source, st.Type, st.Time = m.ev.ID, m.ev.Source, string(m.ev.Type), m.ev.Time
	st.Outcome = m.outcome.String()
	if m.err != nil {
		detail := m.err.Error()
		switch m.outcome {
		case permanent:
			r := reasonOf(m.err)
			st.ErrorCode, st.RequestID, detail = r.Code, r.RequestID, r.Message
		case retry:
			st.ErrorCode, st.RequestID = retryCode(m.err)
		}
		st.Detail = cmp.Or(st.Detail, detail)
	}
	st.RecordKey = logbound.Cut(st.RecordKey, maxStoryField*2)
	st.EventID = logbound.Cut(st.EventID, maxStoryField*2)
	st.Source = logbound.Cut(st.Source, maxStoryField)
	st.Gsid = logbound.Cut(st.Gsid, maxStoryField)
	st.ErrorCode = logbound.Cut(st.ErrorCode, maxStoryField)
	st.RequestID = logbound.Cut(st.RequestID, maxStoryField)
	st.Detail = logbound.Cut(st.Detail, maxStoryDetail)
	return st
}

// retryCode names a retried failure by Gainsight's answer: its code, or
// HTTP_<status>; empty for a failure without an answer (a time-out, a
// spent quota, a busy record), which the story's detail describes.
func retryCode(err error) (code, requestID string) {
	var api *gainsight.APIError
	var rl *gainsight.RateLimitError
	switch {
	case errors.As(err, &rl):
		return "HTTP_429", rl.RequestID
	case errors.As(err, &api):
		if api.Code != "" {
			return api.Code, api.RequestID
		}
		return fmt.Sprintf("HTTP_%d", api.Status), api.RequestID
	}
	return "", ""
}
