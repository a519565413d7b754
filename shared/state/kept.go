package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attributes of a goal record that keep the fields an update must repeat.
const (
	attrKeptName       = "goalName"
	attrKeptStatusName = "statusName"
	attrKeptStatusID   = "statusId"
)

// Kept is what a goal record keeps of the goal's fields: the Name and the
// status goalrelay last sent to Gainsight for it. Gainsight's update wants
// Name and StatusName on every update, while a CRM property change carries
// one field; the consumer fills them in from here. The status is kept as
// it was sent, by name or by Gsid: setting one forgets the other.
type Kept struct {
	Name       string
	StatusName string
	StatusID   string
}

// Empty reports whether k keeps nothing.
func (k Kept) Empty() bool { return k == Kept{} }

func decodeKept(item map[string]types.AttributeValue) Kept {
	return Kept{
		Name:       getStr(item, attrKeptName),
		StatusName: getStr(item, attrKeptStatusName),
		StatusID:   getStr(item, attrKeptStatusID),
	}
}

// PutGoalApplied is PutGoalVersion that also keeps the Name and status the
// applied event sent (kept), in the same conditional write. Empty members
// of kept leave the stored values alone; a StatusName removes a stored
// StatusID and the other way round (unless kept carries both).
func (s *Store) PutGoalApplied(ctx context.Context, recordKey, gsid string, version time.Time, eventID string, kept Kept) error {
	if recordKey == "" || eventID == "" {
		return errors.New("state: PutGoalVersion needs a record key and an event id")
	}
	if version.IsZero() {
		return fmt.Errorf("state: goal %s: event %s has no version (CRM change time)", recordKey, eventID)
	}
	names := map[string]string{"#v": attrVersion}
	values := map[string]types.AttributeValue{
		":v":   versionNumber(version),
		":e":   str(eventID),
		":now": num(s.opts.Now().UnixMilli()),
	}
	sets := []string{"#v = :v", attrLastEventID + " = :e", attrUpdatedAt + " = :now"}
	// An applied version settles any pending write (pending.go).
	removes := []string{attrPendingVersion, attrPendingIDs, attrPendingEvent}
	cond := "(attribute_not_exists(#v) OR #v <= :v)"
	if gsid != "" {
		values[":g"] = str(gsid)
		sets = append(sets, attrGsid+" = :g")
		removes = append(removes, attrCreateEventID, attrCreateStarted)
		cond += " AND (attribute_not_exists(" + attrGsid + ") OR " + attrGsid + " = :g)"
	}
	keep := func(placeholder, attr, v string) {
		if v != "" {
			names["#"+placeholder] = attr
			values[":"+placeholder] = str(v)
			sets = append(sets, "#"+placeholder+" = :"+placeholder)
		}
	}
	keep("kn", attrKeptName, kept.Name)
	keep("ksn", attrKeptStatusName, kept.StatusName)
	keep("ksi", attrKeptStatusID, kept.StatusID)
	switch {
	case kept.StatusName != "" && kept.StatusID == "":
		names["#ksi"] = attrKeptStatusID
		removes = append(removes, "#ksi")
	case kept.StatusID != "" && kept.StatusName == "":
		names["#ksn"] = attrKeptStatusName
		removes = append(removes, "#ksn")
	}
	update := "SET " + strings.Join(sets, ", ")
	if len(removes) > 0 {
		update += " REMOVE " + strings.Join(removes, ", ")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 goalKey(recordKey),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil
	}
	old, ok := conditionFailed(err)
	if !ok {
		return fmt.Errorf("state: put goal %s version: %w", recordKey, err)
	}
	g := decodeGoal(recordKey, old)
	if g.Version.After(version) {
		return fmt.Errorf("%w: goal %s is at %s (event %s), event %s is at %s", ErrStale, recordKey,
			g.Version.Format(time.RFC3339Nano), g.LastEventID, eventID, version.UTC().Format(time.RFC3339Nano))
	}
	if gsid != "" && g.Gsid != "" && g.Gsid != gsid {
		return &GsidConflictError{RecordKey: recordKey, Stored: g.Gsid, Attempted: gsid}
	}
	return fmt.Errorf("state: put goal %s version: condition failed on an item that satisfies it (concurrent write?): %w", recordKey, err)
}
