package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attributes of a goal record's pending write.
const (
	attrPendingVersion = "pendingVersion" // the write's CRM time, as version
	attrPendingIDs     = "pendingIds"     // string set: the events it carries
	attrPendingEvent   = "pendingEvent"   // the write's event, JSON
)

// MaxPendingEvent bounds the event a pending write keeps (DynamoDB items
// hold 400 KB); PutPendingWrite refuses a larger one.
const MaxPendingEvent = 64 << 10

// PendingWrite is a write of several events merged into one whose outcome
// is not known (its answer was lost, or its version could not be
// recorded): Gainsight may hold its values while the record's version does
// not say so. A later attempt on the record whose events it carries must
// send the same merged values again, not an older part of them (see
// package apply). PutGoalApplied removes it.
type PendingWrite struct {
	// Version is the merged event's CRM time (its newest event's).
	Version time.Time
	// EventIDs are the ids of the events merged into it.
	EventIDs []string
	// Event is the merged event, JSON.
	Event []byte
}

// PutPendingWrite keeps p on the record (replacing any pending write),
// on the condition that owner holds the record's lock (LockGoal); else it
// returns a *LockedError.
func (s *Store) PutPendingWrite(ctx context.Context, recordKey, owner string, p PendingWrite) error {
	switch {
	case recordKey == "" || owner == "" || len(p.EventIDs) == 0 || len(p.Event) == 0 || p.Version.IsZero():
		return errors.New("state: PutPendingWrite needs a record key, the lock's owner, event ids, the event and its version")
	case len(p.Event) > MaxPendingEvent:
		return fmt.Errorf("state: goal %s: pending write of %d bytes, above %d", recordKey, len(p.Event), MaxPendingEvent)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 goalKey(recordKey),
		UpdateExpression:    aws.String("SET " + attrPendingVersion + " = :v, " + attrPendingIDs + " = :ids, " + attrPendingEvent + " = :e"),
		ConditionExpression: aws.String(attrLockOwner + " = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":v":   versionNumber(p.Version),
			":ids": &types.AttributeValueMemberSS{Value: p.EventIDs},
			":e":   &types.AttributeValueMemberB{Value: p.Event},
			":o":   str(owner),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		return &LockedError{RecordKey: recordKey, Owner: getStr(old, attrLockOwner), Until: getMillis(old, attrLockUntil)}
	}
	if err != nil {
		return fmt.Errorf("state: put goal %s pending write: %w", recordKey, err)
	}
	return nil
}

// ClearPendingWrite removes the record's pending write, on the condition
// that owner holds the record's lock; else it returns a *LockedError. It is
// for a write that was kept before it was sent and that Gainsight then
// refused for good: its values must not be sent again.
func (s *Store) ClearPendingWrite(ctx context.Context, recordKey, owner string) error {
	if recordKey == "" || owner == "" {
		return errors.New("state: ClearPendingWrite needs a record key and the lock's owner")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 goalKey(recordKey),
		UpdateExpression:                    aws.String("REMOVE " + attrPendingVersion + ", " + attrPendingIDs + ", " + attrPendingEvent),
		ConditionExpression:                 aws.String(attrLockOwner + " = :o"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":o": str(owner)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailed(err); failed {
		return &LockedError{RecordKey: recordKey, Owner: getStr(old, attrLockOwner), Until: getMillis(old, attrLockUntil)}
	}
	if err != nil {
		return fmt.Errorf("state: clear goal %s pending write: %w", recordKey, err)
	}
	return nil
}

func decodePending(item map[string]types.AttributeValue) *PendingWrite {
	v, ok := getVersion(item, attrPendingVersion)
	ids, _ := item[attrPendingIDs].(*types.AttributeValueMemberSS)
	ev, _ := item[attrPendingEvent].(*types.AttributeValueMemberB)
	if !ok || ids == nil || ev == nil {
		return nil
	}
	return &PendingWrite{Version: v, EventIDs: ids.Value, Event: ev.Value}
}
