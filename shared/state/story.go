package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// An event record also tells the event's story: which record it is for,
// its CRM change time, and what its last attempt came to (outcome, Gsid,
// error code, Gainsight request id). The story rides on the writes that end
// an attempt (Complete, Release), so it costs no DynamoDB call of its own;
// only an event refused before it was ever claimed (a name the picklist
// does not know, say) needs one write (NoteEvent).
//
// The sparse global secondary index RecordIndex holds the event records
// that carry a story, by record key and CRM time, so that a record's
// history is one Query, never a Scan. It projects the story attributes
// (RecordIndexAttributes) but not the lease, so that the heartbeat's lease
// renewals do not write the index.

// RecordIndex is the state table's global secondary index of event records
// by record: partition key RecordKeyAttribute (String), sort key
// EventTimeAttribute (Number).
const RecordIndex = "record-events"

// Key attributes of RecordIndex.
const (
	// RecordKeyAttribute is the record the event is for: the goal record's
	// key (its pk without "goal#").
	RecordKeyAttribute = "recordKey"
	// EventTimeAttribute is the event's CRM change time, nanoseconds since
	// the epoch, as goal versions are stored.
	EventTimeAttribute = "eventTime"
)

// Attributes of an event record's story: the index keys above, and one
// Map attribute with the rest (members eventId, source, type, outcome,
// gsid, errorCode, requestId, detail; empty ones left out), so that a story
// is one clause of the update that carries it.
const (
	attrStory     = "story"
	attrCompleted = "completedAttempt"
)

// Members of the story Map.
const (
	storyEventID   = "eventId"
	storySource    = "source"
	storyType      = "type"
	storyOutcome   = "outcome"
	storyGsid      = "gsid"
	storyErrorCode = "errorCode"
	storyRequestID = "requestId"
	storyDetail    = "detail"
)

// RecordIndexAttributes are the non-key attributes RecordIndex projects
// (INCLUDE), besides the table's and the index's keys. The SAM template
// declares the same list.
var RecordIndexAttributes = []string{attrStatus, attrAttempt, attrCompleted, attrUpdatedAt, TTLAttribute, attrStory}

// Story is what an event record keeps of an event and of its last
// attempt. The consumer bounds its strings (for ids of ordinary length the
// record stays under 1 KB, one write unit).
type Story struct {
	// RecordKey is the record's key in the state table (GetGoal's key).
	RecordKey string `json:"recordKey"`
	// EventID and Source are the event's CloudEvents id and source.
	EventID string `json:"eventId"`
	Source  string `json:"source"`
	// Type is the event type (goal.upserted, ...).
	Type string `json:"type"`
	// Time is the event's CRM change time: the version it gives its
	// record when applied. It is kept only with a RecordKey (the two are
	// RecordIndex's keys).
	Time time.Time `json:"time"`
	// Outcome is what the last attempt came to, in the apply function's
	// words: done, stale, ignored, retry or permanent (sent to the DLQ).
	Outcome string `json:"outcome"`
	// Gsid is the Gainsight object the event was applied to.
	Gsid string `json:"gsid,omitempty"`
	// ErrorCode is the DLQ's error_code for a permanent failure, or the
	// Gainsight code (HTTP_<status> without one) of a retried failure.
	ErrorCode string `json:"errorCode,omitempty"`
	// RequestID is Gainsight's requestId of the call that decided the
	// outcome (its answer, or its error).
	RequestID string `json:"requestId,omitempty"`
	// Detail says more: the error, or the version a stale event lost to.
	Detail string `json:"detail,omitempty"`
}

// storyUpdate is the SET and REMOVE clauses that write st, with their
// names and values added to names and values. A story without an outcome
// writes nothing; otherwise it replaces the stored one whole, so that a
// completion after a retry does not keep the retry's error.
func storyUpdate(st Story, names map[string]string, values map[string]types.AttributeValue) (sets, removes []string) {
	if st.Outcome == "" {
		return nil, nil
	}
	names["#story"], names["#rk"], names["#et"] = attrStory, RecordKeyAttribute, EventTimeAttribute
	m := map[string]types.AttributeValue{}
	for k, v := range map[string]string{storyEventID: st.EventID, storySource: st.Source, storyType: st.Type, storyOutcome: st.Outcome,
		storyGsid: st.Gsid, storyErrorCode: st.ErrorCode, storyRequestID: st.RequestID, storyDetail: st.Detail} {
		if v != "" {
			m[k] = str(v)
		}
	}
	values[":story"] = &types.AttributeValueMemberM{Value: m}
	sets = append(sets, "#story = :story")
	if st.RecordKey == "" || st.Time.IsZero() {
		// Not in the index: both of its keys or neither.
		return sets, []string{"#rk", "#et"}
	}
	values[":rk"], values[":et"] = str(st.RecordKey), versionNumber(st.Time)
	return append(sets, "#rk = :rk", "#et = :et"), nil
}

// updateExpression joins SET and REMOVE clauses.
func updateExpression(sets, removes []string) string {
	var b strings.Builder
	if len(sets) > 0 {
		b.WriteString("SET ")
		b.WriteString(strings.Join(sets, ", "))
	}
	if len(removes) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("REMOVE ")
		b.WriteString(strings.Join(removes, ", "))
	}
	return b.String()
}

// NoteEvent records the story of an event that was never claimed: one the
// consumer refused before claiming it (a status name the picklist does not
// know, a relay-owned field, a time too far ahead) and sent to the DLQ.
// The record is left free to claim (RELEASED), so a redrive applies the
// event, and expires like a completed one. An event that is claimed or
// complete keeps its record as it is: that is not an error.
func (s *Store) NoteEvent(ctx context.Context, eventID string, st Story) error {
	if eventID == "" || st.Outcome == "" {
		return errors.New("state: NoteEvent needs an event id and an outcome")
	}
	now := s.opts.Now()
	names := map[string]string{"#st": attrStatus}
	values := map[string]types.AttributeValue{
		":released": str(StatusReleased),
		":exp":      num(now.Add(s.opts.CompleteTTL).Unix()),
		":now":      num(now.UnixMilli()),
	}
	sets, removes := storyUpdate(st, names, values)
	sets = append(sets, "#st = :released", TTLAttribute+" = :exp", attrUpdatedAt+" = :now")
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       eventKey(eventID),
		UpdateExpression:          aws.String(updateExpression(sets, removes)),
		ConditionExpression:       aws.String("attribute_not_exists(" + KeyAttribute + ") OR #st = :released"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if _, failed := conditionFailed(err); err == nil || failed {
		return nil
	}
	return fmt.Errorf("state: note event %s: %w", eventID, err)
}

// EventRecord is an event record as goalctl shows it: the claim's state
// and the event's story.
type EventRecord struct {
	// Key is the record's key without "event#": "<source>:<id>", the
	// source escaped (events.Event.Identity).
	Key string `json:"key"`
	// Status is IN_PROGRESS, RELEASED or COMPLETE.
	Status string `json:"status"`
	// Attempt counts the claims so far; CompletedAttempt is the one that
	// completed it (zero until then).
	Attempt          int `json:"attempts"`
	CompletedAttempt int `json:"completedAttempt,omitempty"`
	// UpdatedAt is when the record was last written: for a story, when
	// the outcome was recorded.
	UpdatedAt time.Time `json:"updatedAt"`
	// ExpiresAt is when DynamoDB's TTL may delete the record.
	ExpiresAt time.Time `json:"expiresAt"`
	// LeaseUntil is when an IN_PROGRESS claim's lease ends.
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
	Story
}

func decodeEvent(item map[string]types.AttributeValue) EventRecord {
	story, _ := item[attrStory].(*types.AttributeValueMemberM)
	var m map[string]types.AttributeValue
	if story != nil {
		m = story.Value
	}
	e := EventRecord{
		Key:        strings.TrimPrefix(getStr(item, KeyAttribute), EventPrefix),
		Status:     getStr(item, attrStatus),
		UpdatedAt:  getMillis(item, attrUpdatedAt),
		LeaseUntil: getMillis(item, attrLeaseUntil),
		Story: Story{
			RecordKey: getStr(item, RecordKeyAttribute),
			EventID:   getStr(m, storyEventID),
			Source:    getStr(m, storySource),
			Type:      getStr(m, storyType),
			Outcome:   getStr(m, storyOutcome),
			Gsid:      getStr(m, storyGsid),
			ErrorCode: getStr(m, storyErrorCode),
			RequestID: getStr(m, storyRequestID),
			Detail:    getStr(m, storyDetail),
		},
	}
	if n, ok := getNum(item, attrAttempt); ok {
		e.Attempt = int(n)
	}
	if n, ok := getNum(item, attrCompleted); ok {
		e.CompletedAttempt = int(n)
	}
	if n, ok := getNum(item, TTLAttribute); ok {
		e.ExpiresAt = time.Unix(n, 0).UTC()
	}
	if t, ok := getVersion(item, EventTimeAttribute); ok {
		e.Time = t
	}
	if e.Status != StatusInProgress {
		e.LeaseUntil = time.Time{}
	}
	return e
}

// GetEvent reads one event record (strongly consistent) by the event's
// identity, "<source>:<id>" (events.Event.Identity). ok is false when
// there is none: never seen, or expired.
func (s *Store) GetEvent(ctx context.Context, eventID string) (e EventRecord, ok bool, err error) {
	if eventID == "" {
		return EventRecord{}, false, errors.New("state: empty event id")
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            eventKey(eventID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return EventRecord{}, false, fmt.Errorf("state: get event %s: %w", eventID, err)
	}
	if len(out.Item) == 0 {
		return EventRecord{}, false, nil
	}
	return decodeEvent(out.Item), true, nil
}

// MaxRecordEvents is the most events RecordEvents returns.
const MaxRecordEvents = 1000

// RecordEvents returns the stories of a record's events, oldest CRM time
// first: the newest limit of them (MaxRecordEvents when limit is 0 or
// more than that). It is a Query on
// RecordIndex, which is eventually consistent: an outcome recorded a
// moment ago may not be there yet. Event records expire (DefaultCompleteTTL
// after their outcome), so the history covers the last days, not the
// record's life; the goal record (GetGoal) keeps the last applied event.
func (s *Store) RecordEvents(ctx context.Context, recordKey string, limit int) ([]EventRecord, error) {
	if recordKey == "" {
		return nil, errors.New("state: empty record key")
	}
	if limit <= 0 || limit > MaxRecordEvents {
		limit = MaxRecordEvents
	}
	var out []EventRecord
	var start map[string]types.AttributeValue
	for len(out) < limit {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			IndexName:                 aws.String(RecordIndex),
			KeyConditionExpression:    aws.String("#rk = :rk"),
			ExpressionAttributeNames:  map[string]string{"#rk": RecordKeyAttribute},
			ExpressionAttributeValues: map[string]types.AttributeValue{":rk": str(recordKey)},
			ScanIndexForward:          aws.Bool(false), // newest first, so that limit keeps the newest
			ExclusiveStartKey:         start,
			Limit:                     aws.Int32(int32(limit - len(out))),
		}
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("state: query the events of %s: %w", recordKey, err)
		}
		for _, item := range page.Items {
			out = append(out, decodeEvent(item))
		}
		start = page.LastEvaluatedKey
		if len(start) == 0 {
			break
		}
	}
	slices.Reverse(out)
	return out, nil
}
