package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// PicklistPrefix starts the key of a tenant's shared picklist item:
// picklist#<tenant>, the tenant being the Gainsight base URL.
const PicklistPrefix = "picklist#"

// MaxPicklistBytes bounds the names and ids a shared picklist keeps (its
// JSON); DynamoDB's item limit is 400 KB. A tenant with more is not shared:
// each consumer keeps its own copy in memory, as it did before.
const MaxPicklistBytes = 300 << 10

// maxAhead is how far after a new load a kept copy's load time may lie
// and still be taken as later (consumers' clocks differ by milliseconds).
const maxAhead = time.Minute

// maxTenant bounds the tenant part of the key.
const maxTenant = 1024

const (
	attrPicklist       = "picklist"       // JSON of the names and ids
	attrPicklistLoaded = "picklistLoaded" // epoch milliseconds, the loader's clock
)

// ErrOlderPicklist: PutPicklist found a copy loaded at the same time or
// later, and kept it.
var ErrOlderPicklist = errors.New("state: a picklist loaded later is already kept")

// SharedPicklist is a copy of a Gainsight tenant's goal statuses and goal
// types (lower-case name → Gsid), as a consumer last read them from
// Gainsight, kept in the table so that a cold consumer checks names
// without a call (package apply decides how old a copy it trusts).
type SharedPicklist struct {
	// Loaded is when the consumer read it from Gainsight, kept to the
	// millisecond.
	Loaded   time.Time         `json:"-"`
	Statuses map[string]string `json:"statuses"`
	Types    map[string]string `json:"types"`
}

func picklistKey(tenant string) map[string]types.AttributeValue {
	return key(PicklistPrefix + tenant)
}

// GetPicklist reads the tenant's shared picklist. ok is false when none is
// kept, or when the item cannot be read as one (it is then replaced by the
// next PutPicklist).
func (s *Store) GetPicklist(ctx context.Context, tenant string) (p SharedPicklist, ok bool, err error) {
	if tenant == "" || len(tenant) > maxTenant {
		return SharedPicklist{}, false, fmt.Errorf("state: picklist tenant of %d bytes (1 to %d)", len(tenant), maxTenant)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            picklistKey(tenant),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return SharedPicklist{}, false, fmt.Errorf("state: get picklist: %w", err)
	}
	body := getStr(out.Item, attrPicklist)
	loaded := getMillis(out.Item, attrPicklistLoaded)
	if body == "" || len(body) > MaxPicklistBytes || loaded.IsZero() {
		return SharedPicklist{}, false, nil
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Statuses == nil || p.Types == nil {
		return SharedPicklist{}, false, nil
	}
	p.Loaded = loaded
	return p, true, nil
}

// PutPicklist keeps p as the tenant's shared picklist unless a copy
// loaded at the same time or later is kept (ErrOlderPicklist): a slow
// consumer never puts an older picklist back. A copy stamped more than
// maxAhead after p's load (a clock far ahead, a hand edit) does not count
// as later: p replaces it. A picklist above MaxPicklistBytes is refused.
func (s *Store) PutPicklist(ctx context.Context, tenant string, p SharedPicklist) error {
	if tenant == "" || len(tenant) > maxTenant || p.Loaded.IsZero() || p.Statuses == nil || p.Types == nil {
		return errors.New("state: PutPicklist needs a tenant (at most 1 KB), the load time, statuses and types")
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("state: put picklist: %w", err)
	}
	if len(body) > MaxPicklistBytes {
		return fmt.Errorf("state: picklist of %d bytes, above %d: not shared", len(body), MaxPicklistBytes)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table),
		Key:              picklistKey(tenant),
		UpdateExpression: aws.String("SET " + attrPicklist + " = :p, " + attrPicklistLoaded + " = :at"),
		ConditionExpression: aws.String("attribute_not_exists(" + attrPicklistLoaded + ") OR " + attrPicklistLoaded + " < :at OR " +
			attrPicklistLoaded + " > :ahead"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p":     str(string(body)),
			":at":    num(p.Loaded.UnixMilli()),
			":ahead": num(p.Loaded.Add(maxAhead).UnixMilli()),
		},
	})
	if _, failed := conditionFailed(err); failed {
		return ErrOlderPicklist
	}
	if err != nil {
		return fmt.Errorf("state: put picklist: %w", err)
	}
	return nil
}
