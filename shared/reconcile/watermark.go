package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// WatermarkPrefix starts the key of a watermark item in the state table.
const WatermarkPrefix = "sweep#"

// maxWatermarkIDs bounds the ids kept at the watermark's instant (a
// DynamoDB item holds 400 KB); past it the sweep stops with an error
// rather than write an item it cannot keep.
const maxWatermarkIDs = 10_000

// Watermark is how far a sweep has got: every record modified before At
// is queued, and so are the records modified exactly at At named in IDs.
type Watermark struct {
	At  time.Time
	IDs []string
	// Updated is when it was written.
	Updated time.Time
}

// ErrOvertaken: the stored watermark is further than the one being
// written (another run of the same sweep got there first).
var ErrOvertaken = errors.New("reconcile: another run has moved the watermark further")

// dynamoAPI is the part of the DynamoDB client Watermarks uses.
type dynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Watermarks keeps watermarks in the state table (STATE_TABLE).
type Watermarks struct {
	DB    dynamoAPI
	Table string
	Now   func() time.Time
}

func (w *Watermarks) key(k string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: WatermarkPrefix + k}}
}

// Get reads the watermark of key; ok is false when there is none.
func (w *Watermarks) Get(ctx context.Context, key string) (wm Watermark, ok bool, err error) {
	out, err := w.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(w.Table), Key: w.key(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Watermark{}, false, fmt.Errorf("reconcile: read watermark %s: %w", key, err)
	}
	if out.Item == nil {
		return Watermark{}, false, nil
	}
	n, _ := out.Item["atNs"].(*types.AttributeValueMemberN)
	if n == nil {
		return Watermark{}, false, fmt.Errorf("reconcile: watermark %s has no atNs", key)
	}
	ns, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return Watermark{}, false, fmt.Errorf("reconcile: watermark %s: atNs %q", key, n.Value)
	}
	wm.At = time.Unix(0, ns).UTC()
	if l, ok := out.Item["ids"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			if s, ok := v.(*types.AttributeValueMemberS); ok {
				wm.IDs = append(wm.IDs, s.Value)
			}
		}
	}
	if s, ok := out.Item["updated"].(*types.AttributeValueMemberS); ok {
		wm.Updated, _ = time.Parse(time.RFC3339Nano, s.Value)
	}
	return wm, true, nil
}

// Put writes the watermark of key unless the stored one is further
// (ErrOvertaken).
func (w *Watermarks) Put(ctx context.Context, key string, wm Watermark) error {
	if len(wm.IDs) > maxWatermarkIDs {
		return fmt.Errorf("reconcile: more than %d records modified at %s", maxWatermarkIDs, wm.At.Format(time.RFC3339Nano))
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ids := make([]types.AttributeValue, len(wm.IDs))
	for i, id := range wm.IDs {
		ids[i] = &types.AttributeValueMemberS{Value: id}
	}
	item := w.key(key)
	at := &types.AttributeValueMemberN{Value: strconv.FormatInt(wm.At.UnixNano(), 10)}
	item["atNs"] = at
	item["at"] = &types.AttributeValueMemberS{Value: wm.At.UTC().Format(time.RFC3339Nano)}
	item["ids"] = &types.AttributeValueMemberL{Value: ids}
	item["updated"] = &types.AttributeValueMemberS{Value: now().UTC().Format(time.RFC3339Nano)}
	_, err := w.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(w.Table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR atNs <= :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": at},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrOvertaken
	}
	if err != nil {
		return fmt.Errorf("reconcile: write watermark %s: %w", key, err)
	}
	return nil
}
