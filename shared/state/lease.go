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

// Short leases, renewed. A consumer that holds a claim (Begin) or a
// record lock (LockGoal) for longer than one lease renews it with Extend
// or ExtendLock while it works, so that the lease can be short: when the
// consumer dies, the event and the record are free again within one lease,
// not at the end of the Lambda's time-out.

// Extend renews the claim's lease to now + lease. It fails with
// ErrLeaseLost when the claim no longer holds the event: the event was
// completed or released, or its lease expired and another attempt took it
// over. A claim whose lease expired but that nobody took over is renewed.
func (s *Store) Extend(ctx context.Context, c Claim, lease time.Duration) (Claim, error) {
	if c.EventID == "" {
		return c, errors.New("state: Extend needs a claim")
	}
	if lease <= 0 {
		return c, fmt.Errorf("state: event %s: lease must be positive, got %s", c.EventID, lease)
	}
	until := s.opts.Now().Add(lease)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      eventKey(c.EventID),
		UpdateExpression:         aws.String("SET " + attrLeaseUntil + " = :until"),
		ConditionExpression:      aws.String("#st = :inprog AND " + attrAttempt + " = :attempt"),
		ExpressionAttributeNames: map[string]string{"#st": attrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until":   num(until.UnixMilli()),
			":inprog":  str(StatusInProgress),
			":attempt": num(int64(c.Attempt)),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		c.LeaseUntil = time.UnixMilli(until.UnixMilli()).UTC()
		return c, nil
	}
	old, ok := conditionFailed(err)
	if !ok {
		return c, fmt.Errorf("state: extend event %s: %w", c.EventID, err)
	}
	attempt, _ := getNum(old, attrAttempt)
	return c, fmt.Errorf("%w: event %s is %s at attempt %d, claim was attempt %d", ErrLeaseLost, c.EventID,
		getStr(old, attrStatus), attempt, c.Attempt)
}

// ErrLockLost is returned by ExtendLock when owner no longer holds the
// record's lock (it was unlocked, or it expired and another owner took it).
var ErrLockLost = errors.New("state: record lock no longer held")

// ExtendLock renews owner's lock on the record to now + lease. Unlike
// LockGoal it never takes a lock that owner does not hold: a renewal that
// races with UnlockGoal leaves the record unlocked.
func (s *Store) ExtendLock(ctx context.Context, recordKey, owner string, lease time.Duration) error {
	if recordKey == "" || owner == "" {
		return errors.New("state: ExtendLock needs a record key and an owner")
	}
	if lease <= 0 {
		return fmt.Errorf("state: goal %s: lease must be positive, got %s", recordKey, lease)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       goalKey(recordKey),
		UpdateExpression:          aws.String("SET " + attrLockUntil + " = :until"),
		ConditionExpression:       aws.String(attrLockOwner + " = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": str(owner), ":until": num(s.opts.Now().Add(lease).UnixMilli())},
	})
	if err == nil {
		return nil
	}
	if _, failed := conditionFailed(err); failed {
		return fmt.Errorf("%w: goal %s, owner %s", ErrLockLost, recordKey, owner)
	}
	return fmt.Errorf("state: extend lock of goal %s: %w", recordKey, err)
}
