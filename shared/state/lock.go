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

// Attributes of a goal record's lock.
const (
	attrLockOwner = "lockOwner"
	attrLockUntil = "lockUntil" // epoch milliseconds
)

// ErrLocked is returned (inside a *LockedError) by LockGoal when another
// owner holds an unexpired lock on the record.
var ErrLocked = errors.New("state: goal record locked by another consumer")

// LockedError tells who holds a record's lock and until when.
// errors.Is(err, ErrLocked) is true for it.
type LockedError struct {
	RecordKey string
	Owner     string
	Until     time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("state: goal %s is locked by %s until %s", e.RecordKey, e.Owner, e.Until.Format(time.RFC3339Nano))
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// LockGoal takes the record's lock for owner under a lease and returns the
// record as it stands (ok false when it was never seen before). Only one
// consumer at a time reads a record's version, calls Gainsight for it and
// records the outcome: SQS FIFO already delivers one message group to one
// consumer at a time, but not when processing outlives the visibility
// timeout, nor across a DLQ redrive racing the live stream; without the
// lock two consumers could both create the goal, or write an older value
// over a newer one. The lock is a conditional write that succeeds when
// nobody holds it, the holder's lease has expired (a killed consumer), or
// owner holds it already; otherwise it returns a *LockedError. The lease
// must outlast the caller's work (give it the time left before the Lambda
// deadline).
func (s *Store) LockGoal(ctx context.Context, recordKey, owner string, lease time.Duration) (g Goal, ok bool, err error) {
	if recordKey == "" || owner == "" {
		return Goal{}, false, errors.New("state: LockGoal needs a record key and an owner")
	}
	if lease <= 0 {
		return Goal{}, false, fmt.Errorf("state: goal %s: lease must be positive, got %s", recordKey, lease)
	}
	now := s.opts.Now()
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table),
		Key:              goalKey(recordKey),
		UpdateExpression: aws.String("SET " + attrLockOwner + " = :o, " + attrLockUntil + " = :until"),
		ConditionExpression: aws.String("attribute_not_exists(" + attrLockUntil + ") OR " + attrLockUntil + " <= :now OR " +
			attrLockOwner + " = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":o":     str(owner),
			":until": num(now.Add(lease).UnixMilli()),
			":now":   num(now.UnixMilli()),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		if old, failed := conditionFailed(err); failed {
			return Goal{}, false, &LockedError{RecordKey: recordKey, Owner: getStr(old, attrLockOwner), Until: getMillis(old, attrLockUntil)}
		}
		return Goal{}, false, fmt.Errorf("state: lock goal %s: %w", recordKey, err)
	}
	g = decodeGoal(recordKey, out.Attributes)
	// A record that holds nothing but the lock was never seen before.
	ok = g.Gsid != "" || !g.Version.IsZero() || g.CreatePending
	return g, ok, nil
}

// UnlockGoal releases owner's lock on the record. A lock that owner no
// longer holds (its lease expired and another consumer took it) is left
// alone, and that is not an error.
func (s *Store) UnlockGoal(ctx context.Context, recordKey, owner string) error {
	if recordKey == "" || owner == "" {
		return errors.New("state: UnlockGoal needs a record key and an owner")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       goalKey(recordKey),
		UpdateExpression:          aws.String("REMOVE " + attrLockOwner + ", " + attrLockUntil),
		ConditionExpression:       aws.String(attrLockOwner + " = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": str(owner)},
	})
	if _, failed := conditionFailed(err); err == nil || failed {
		return nil
	}
	return fmt.Errorf("state: unlock goal %s: %w", recordKey, err)
}
