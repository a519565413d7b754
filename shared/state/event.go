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

// Status of an event record.
const (
	StatusInProgress = "IN_PROGRESS" // held under a lease by one consumer
	StatusReleased   = "RELEASED"    // an attempt ended early, nothing changed; free to claim
	StatusComplete   = "COMPLETE"    // applied (or deliberately skipped); kept until expiresAt
)

// Attributes of an event record (besides updatedAt and expiresAt).
const (
	attrStatus     = "status"
	attrAttempt    = "attempt"    // number of claims so far
	attrReleases   = "releases"   // claims that ended in Release
	attrLeaseUntil = "leaseUntil" // epoch milliseconds
)

var (
	// ErrDone is returned by Begin when the event is COMPLETE: it was
	// applied (or skipped as stale) already, and this delivery is a
	// duplicate to acknowledge.
	ErrDone = errors.New("state: event already complete")

	// ErrBusy is returned (inside a *BusyError) by Begin when another
	// consumer holds an unexpired lease on the event. Retry later.
	ErrBusy = errors.New("state: event in progress elsewhere")

	// ErrLeaseLost is returned by Release when the claim no longer holds
	// the event: its lease expired and another attempt took over, or the
	// event was completed.
	ErrLeaseLost = errors.New("state: lease no longer held")
)

// BusyError tells until when another consumer holds an event.
// errors.Is(err, ErrBusy) is true for it.
type BusyError struct {
	EventID string
	Attempt int
	Until   time.Time
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("state: event %s: attempt %d holds it until %s", e.EventID, e.Attempt, e.Until.Format(time.RFC3339Nano))
}

// Unwrap makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Unwrap() error { return ErrBusy }

// Claim is a consumer's hold on an event, from Begin.
type Claim struct {
	EventID string
	// Attempt counts the claims of this event, starting at 1.
	Attempt int
	// Resumed is true when this claim took over an IN_PROGRESS record
	// whose lease had expired: the previous attempt ended without telling
	// its outcome (the consumer was killed, or timed out), so whatever it
	// was doing, a create say, may or may not have happened. Resolve it
	// (Fetch by external id) before trying again.
	Resumed bool
	// LeaseUntil is when the lease ends and another consumer may take the
	// event over.
	LeaseUntil time.Time
	// Released counts the earlier claims of this event that ended in
	// Release: the attempts that failed and said so. An attempt whose
	// consumer died, or a delivery that never claimed the event, is not
	// one (apply's backoff grows with these, not with receives).
	Released int
}

func eventKey(eventID string) map[string]types.AttributeValue { return key(EventPrefix + eventID) }

// Begin claims the event for one attempt under a lease: a conditional
// write that succeeds when there is no record, the record was released,
// its lease has expired (Claim.Resumed), or a COMPLETE record is past its
// expiry but not yet deleted by TTL. Otherwise it returns ErrDone (the
// event is COMPLETE) or a *BusyError (another consumer's lease runs).
//
// The lease must outlast the attempt: give it at least the time left
// before the Lambda deadline, so that a live attempt is never taken over,
// and not much more, so that a killed one is retried soon. The record
// itself is kept for DefaultCompleteTTL (or Options.CompleteTTL) so that
// an attempt count and an unknown outcome survive until a late redrive.
func (s *Store) Begin(ctx context.Context, eventID string, lease time.Duration) (Claim, error) {
	if eventID == "" {
		return Claim{}, errors.New("state: Begin needs an event id")
	}
	if lease <= 0 {
		return Claim{}, fmt.Errorf("state: event %s: lease must be positive, got %s", eventID, lease)
	}
	now := s.opts.Now()
	until := now.Add(lease)
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       eventKey(eventID),
		UpdateExpression: aws.String("SET #st = :inprog, " + attrLeaseUntil + " = :until, " + TTLAttribute + " = :exp, " +
			attrUpdatedAt + " = :now ADD " + attrAttempt + " :one"),
		ConditionExpression: aws.String("attribute_not_exists(" + KeyAttribute + ") OR #st = :released" +
			" OR (#st = :inprog AND " + attrLeaseUntil + " <= :now)" +
			" OR " + TTLAttribute + " <= :nowsec"),
		ExpressionAttributeNames: map[string]string{"#st": attrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":inprog":   str(StatusInProgress),
			":released": str(StatusReleased),
			":until":    num(until.UnixMilli()),
			":exp":      num(until.Add(s.opts.CompleteTTL).Unix()),
			":now":      num(now.UnixMilli()),
			":nowsec":   num(now.Unix()),
			":one":      num(1),
		},
		ReturnValues:                        types.ReturnValueAllOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		old, ok := conditionFailed(err)
		if !ok {
			return Claim{}, fmt.Errorf("state: begin event %s: %w", eventID, err)
		}
		attempt, _ := getNum(old, attrAttempt)
		switch st := getStr(old, attrStatus); st {
		case StatusComplete:
			return Claim{}, fmt.Errorf("%w: event %s", ErrDone, eventID)
		case StatusInProgress:
			return Claim{}, &BusyError{EventID: eventID, Attempt: int(attempt), Until: getMillis(old, attrLeaseUntil)}
		default:
			return Claim{}, fmt.Errorf("state: begin event %s: condition failed on a record with status %q: %w", eventID, st, err)
		}
	}
	prev, _ := getNum(out.Attributes, attrAttempt)
	released, _ := getNum(out.Attributes, attrReleases)
	expired := false
	if exp, ok := getNum(out.Attributes, TTLAttribute); ok && exp <= now.Unix() {
		expired = true
	}
	return Claim{
		EventID:    eventID,
		Attempt:    int(prev) + 1,
		Resumed:    !expired && getStr(out.Attributes, attrStatus) == StatusInProgress,
		LeaseUntil: time.UnixMilli(until.UnixMilli()).UTC(),
		Released:   int(released),
	}, nil
}

// Complete marks the claimed event COMPLETE, to be kept for ttl (zero:
// Options.CompleteTTL; never less than DefaultCompleteTTL), with its story
// (st; a Story without an Outcome leaves the story alone). Begin then
// answers ErrDone for it until it expires. Completing an event that is
// already COMPLETE (another attempt finished first) succeeds and keeps
// the first completion and its story. A claim whose lease expired may
// still complete: its attempt did apply the event.
func (s *Store) Complete(ctx context.Context, c Claim, ttl time.Duration, st Story) error {
	if c.EventID == "" {
		return errors.New("state: Complete needs a claim")
	}
	now := s.opts.Now()
	names := map[string]string{"#st": attrStatus}
	values := map[string]types.AttributeValue{
		":complete": str(StatusComplete),
		":exp":      num(now.Add(completeTTL(ttl, s.opts.CompleteTTL)).Unix()),
		":now":      num(now.UnixMilli()),
		":attempt":  num(int64(c.Attempt)),
	}
	sets, removes := storyUpdate(st, names, values)
	sets = append(sets, "#st = :complete", TTLAttribute+" = :exp", attrUpdatedAt+" = :now", attrCompleted+" = :attempt")
	removes = append(removes, attrLeaseUntil)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 eventKey(c.EventID),
		UpdateExpression:                    aws.String(updateExpression(sets, removes)),
		ConditionExpression:                 aws.String("attribute_not_exists(" + KeyAttribute + ") OR #st <> :complete"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if _, ok := conditionFailed(err); err == nil || ok {
		return nil
	}
	return fmt.Errorf("state: complete event %s: %w", c.EventID, err)
}

// Release ends the claim's lease early after a failure whose outcome is
// known to have changed nothing (a 429, a 5xx before anything was
// written, a quota that ran out), or after the event was sent to the DLQ,
// so that the redelivery (or the redrive) can claim the event at once and
// does not take it for an unknown outcome. st is the attempt's story (a
// Story without an Outcome leaves the story alone). It fails with
// ErrLeaseLost when the claim no longer holds the event, and then writes
// nothing. Each Release counts in the event's Claim.Released.
func (s *Store) Release(ctx context.Context, c Claim, st Story) error {
	if c.EventID == "" {
		return errors.New("state: Release needs a claim")
	}
	names := map[string]string{"#st": attrStatus}
	values := map[string]types.AttributeValue{
		":released": str(StatusReleased),
		":inprog":   str(StatusInProgress),
		":attempt":  num(int64(c.Attempt)),
		":now":      num(s.opts.Now().UnixMilli()),
		":one":      num(1),
	}
	sets, removes := storyUpdate(st, names, values)
	sets = append(sets, "#st = :released", attrUpdatedAt+" = :now")
	removes = append(removes, attrLeaseUntil)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 eventKey(c.EventID),
		UpdateExpression:                    aws.String(updateExpression(sets, removes) + " ADD " + attrReleases + " :one"),
		ConditionExpression:                 aws.String("#st = :inprog AND " + attrAttempt + " = :attempt"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil
	}
	old, ok := conditionFailed(err)
	if !ok {
		return fmt.Errorf("state: release event %s: %w", c.EventID, err)
	}
	attempt, _ := getNum(old, attrAttempt)
	return fmt.Errorf("%w: event %s is %s at attempt %d, claim was attempt %d", ErrLeaseLost, c.EventID,
		getStr(old, attrStatus), attempt, c.Attempt)
}
