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

// Attributes of a goal record.
const (
	attrGsid          = "gsid"
	attrVersion       = "version"     // CRM change time, epoch nanoseconds (see versionNumber)
	attrLastEventID   = "lastEventId" // id of the event that set version
	attrUpdatedAt     = "updatedAt"   // epoch milliseconds, store clock
	attrCreateEventID = "createEventId"
	attrCreateStarted = "createStartedAt" // epoch milliseconds
)

var (
	// ErrStale is returned by PutGoalVersion when the record already holds
	// a newer version (CRM change time) than the event's: the event is
	// out of order and must be acknowledged without being applied.
	ErrStale = errors.New("state: event is older than the stored version")

	// ErrGsidConflict is returned (inside a *GsidConflictError) when a
	// write would give a record a Gsid other than the one it holds.
	ErrGsidConflict = errors.New("state: record already has another gsid")
)

// GsidConflictError says which Gsid a record holds when a write tried to
// set another one (Attempted), or, from MarkCreating (Attempted empty),
// that the record already has a goal and must not be created again.
// errors.Is(err, ErrGsidConflict) is true for it.
type GsidConflictError struct {
	RecordKey string
	Stored    string
	Attempted string
}

func (e *GsidConflictError) Error() string {
	if e.Attempted == "" {
		return fmt.Sprintf("state: goal %s already has gsid %s; not creating another", e.RecordKey, e.Stored)
	}
	return fmt.Sprintf("state: goal %s has gsid %s, not %s", e.RecordKey, e.Stored, e.Attempted)
}

// Unwrap makes errors.Is(err, ErrGsidConflict) true.
func (e *GsidConflictError) Unwrap() error { return ErrGsidConflict }

// Goal is what the state table knows about one CRM record's goal.
type Goal struct {
	// RecordKey is events.Event.RecordKey(): "<source>:<externalId>".
	RecordKey string
	// Gsid is the goal's Gainsight id; empty until a create or a Fetch
	// resolved it.
	Gsid string
	// Version is the CRM change time of the last event applied; zero if
	// none was.
	Version time.Time
	// LastEventID is the id of the event that set Version.
	LastEventID string
	// UpdatedAt is when the record was last written (store clock).
	UpdatedAt time.Time
	// CreatePending is true from MarkCreating until a Gsid is recorded or
	// ClearCreating: a create call was started and its outcome may be
	// unknown, so the goal must be looked up by its external id (Fetch)
	// before anyone creates it again.
	CreatePending bool
	// CreateEventID and CreateStartedAt tell which event started that
	// create, and when.
	CreateEventID   string
	CreateStartedAt time.Time
	// Kept is the goal's Name and status as goalrelay last sent them
	// (PutGoalApplied); empty when it never sent them.
	Kept Kept
	// Pending is a merged write whose outcome is not known
	// (PutPendingWrite); nil when there is none.
	Pending *PendingWrite
}

func goalKey(recordKey string) map[string]types.AttributeValue { return key(GoalPrefix + recordKey) }

func decodeGoal(recordKey string, item map[string]types.AttributeValue) Goal {
	g := Goal{
		RecordKey:       recordKey,
		Gsid:            getStr(item, attrGsid),
		LastEventID:     getStr(item, attrLastEventID),
		UpdatedAt:       getMillis(item, attrUpdatedAt),
		CreateEventID:   getStr(item, attrCreateEventID),
		CreateStartedAt: getMillis(item, attrCreateStarted),
		Kept:            decodeKept(item),
		Pending:         decodePending(item),
	}
	if v, ok := getVersion(item, attrVersion); ok {
		g.Version = v
	}
	g.CreatePending = g.CreateEventID != ""
	return g
}

// GetGoal reads the record's goal with a strongly consistent read. ok is
// false when the record has never been seen.
func (s *Store) GetGoal(ctx context.Context, recordKey string) (g Goal, ok bool, err error) {
	if recordKey == "" {
		return Goal{}, false, errors.New("state: empty record key")
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            goalKey(recordKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Goal{}, false, fmt.Errorf("state: get goal %s: %w", recordKey, err)
	}
	if len(out.Item) == 0 {
		return Goal{}, false, nil
	}
	return decodeGoal(recordKey, out.Item), true, nil
}

// PutGoalVersion records that the event eventID, whose CRM change time is
// version, has been applied to the record's goal. It is last-write-wins on
// CRM time: the write succeeds when the record has no version yet or its
// version is not after the new one (an equal version is a retry of the
// same change and succeeds), and otherwise returns an error that is
// ErrStale.
//
// A non-empty gsid is recorded too, under the same rule as SetGsid (a
// different stored Gsid gives a *GsidConflictError and nothing is written),
// and ends a pending create. An empty gsid leaves the stored one alone.
func (s *Store) PutGoalVersion(ctx context.Context, recordKey, gsid string, version time.Time, eventID string) error {
	return s.PutGoalApplied(ctx, recordKey, gsid, version, eventID, Kept{})
}

// SetGsid records the Gsid that a create returned or a Fetch found, and
// ends a pending create. It is conditional: it succeeds when the record
// has no Gsid or already has this one. A record's Gsid never changes
// behind a writer's back: when two writers resolve different Gsids (which
// means Gainsight holds two goals for one CRM record), the first one
// recorded wins and the second writer gets a *GsidConflictError carrying
// the stored Gsid, which it should use from then on (and report the
// duplicate). Use ReplaceGsid to change a Gsid on purpose.
func (s *Store) SetGsid(ctx context.Context, recordKey, gsid string) error {
	if recordKey == "" || gsid == "" {
		return errors.New("state: SetGsid needs a record key and a gsid")
	}
	return s.writeGsid(ctx, recordKey, gsid, "attribute_not_exists("+attrGsid+") OR "+attrGsid+" = :g", nil)
}

// ReplaceGsid changes the record's Gsid from old to gsid, for when the
// goal behind old is known to be gone. It fails with a *GsidConflictError
// when the stored Gsid is not old (someone else replaced it first).
func (s *Store) ReplaceGsid(ctx context.Context, recordKey, old, gsid string) error {
	if recordKey == "" || old == "" || gsid == "" {
		return errors.New("state: ReplaceGsid needs a record key, the old gsid and the new one")
	}
	return s.writeGsid(ctx, recordKey, gsid, attrGsid+" = :old", map[string]types.AttributeValue{":old": str(old)})
}

func (s *Store) writeGsid(ctx context.Context, recordKey, gsid, cond string, extra map[string]types.AttributeValue) error {
	values := map[string]types.AttributeValue{":g": str(gsid), ":now": num(s.opts.Now().UnixMilli())}
	for k, v := range extra {
		values[k] = v
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       goalKey(recordKey),
		UpdateExpression: aws.String("SET " + attrGsid + " = :g, " + attrUpdatedAt + " = :now REMOVE " +
			attrCreateEventID + ", " + attrCreateStarted),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil
	}
	old, ok := conditionFailed(err)
	if !ok {
		return fmt.Errorf("state: set gsid of goal %s: %w", recordKey, err)
	}
	return &GsidConflictError{RecordKey: recordKey, Stored: getStr(old, attrGsid), Attempted: gsid}
}

// MarkCreating records, before a create call is sent, that the event
// eventID is creating the record's goal. Until SetGsid, PutGoalVersion
// with a Gsid, or ClearCreating ends it, GetGoal reports CreatePending:
// whoever handles the record next (a retry of this event after a lost
// lease, or another event of the same record) knows that a goal may exist
// and looks it up by its external id before creating one.
//
// It fails with a *GsidConflictError (Attempted empty) when the record
// already has a Gsid: the goal exists and is to be updated, not created.
// A marker left by another event is replaced: the caller has resolved it
// (the Fetch found nothing) before deciding to create.
func (s *Store) MarkCreating(ctx context.Context, recordKey, eventID string) error {
	if recordKey == "" || eventID == "" {
		return errors.New("state: MarkCreating needs a record key and an event id")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       goalKey(recordKey),
		UpdateExpression: aws.String("SET " + attrCreateEventID + " = :e, " + attrCreateStarted + " = :now, " +
			attrUpdatedAt + " = :now"),
		ConditionExpression:                 aws.String("attribute_not_exists(" + attrGsid + ")"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":e": str(eventID), ":now": num(s.opts.Now().UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil
	}
	old, ok := conditionFailed(err)
	if !ok {
		return fmt.Errorf("state: mark goal %s creating: %w", recordKey, err)
	}
	return &GsidConflictError{RecordKey: recordKey, Stored: getStr(old, attrGsid)}
}

// ClearCreating removes the create-pending marker that eventID set, for a
// create whose outcome is known to have created nothing (a validation
// error, say). A marker set by another event, or none, is left as it is
// and is not an error.
func (s *Store) ClearCreating(ctx context.Context, recordKey, eventID string) error {
	if recordKey == "" || eventID == "" {
		return errors.New("state: ClearCreating needs a record key and an event id")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       goalKey(recordKey),
		UpdateExpression: aws.String("SET " + attrUpdatedAt + " = :now REMOVE " +
			attrCreateEventID + ", " + attrCreateStarted),
		ConditionExpression:                 aws.String(attrCreateEventID + " = :e"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":e": str(eventID), ":now": num(s.opts.Now().UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if _, ok := conditionFailed(err); err == nil || ok {
		return nil
	}
	return fmt.Errorf("state: clear goal %s creating: %w", recordKey, err)
}

// ForgetGsid removes the record's Gsid after its Gainsight object was
// deleted (a template or a metric by goalrelay, a goal by somebody in
// Gainsight), so that a later upsert of the record creates a new one
// instead of updating the deleted one. A record that holds another Gsid by
// then is left alone. The version and what Kept holds stay.
func (s *Store) ForgetGsid(ctx context.Context, recordKey, gsid string) error {
	if recordKey == "" || gsid == "" {
		return errors.New("state: ForgetGsid needs a record key and a gsid")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       goalKey(recordKey),
		UpdateExpression:          aws.String("SET " + attrUpdatedAt + " = :now REMOVE " + attrGsid),
		ConditionExpression:       aws.String(attrGsid + " = :g"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":g": str(gsid), ":now": num(s.opts.Now().UnixMilli())},
	})
	if _, failed := conditionFailed(err); err == nil || failed {
		return nil
	}
	return fmt.Errorf("state: forget gsid of goal %s: %w", recordKey, err)
}
