package state

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

// Attribute names shared with every other user of the state table.
const (
	// KeyAttribute is the table's partition key (String).
	KeyAttribute = "pk"
	// TTLAttribute is the table's TTL attribute (epoch seconds, Number).
	TTLAttribute = "expiresAt"
)

// Item key prefixes owned by this package.
const (
	GoalPrefix  = "goal#"
	EventPrefix = "event#"
)

// DefaultCompleteTTL is how long a COMPLETE event record is kept, and also
// the least that Complete accepts: CRMs retry a webhook for 24 hours and
// more, well past the FIFO queue's five-minute deduplication window, and a
// DLQ redrive may come later still.
const DefaultCompleteTTL = 72 * time.Hour

// db is the part of the DynamoDB client the store uses.
type db interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	// Query reads RecordIndex (RecordEvents); the apply function never
	// calls it.
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Options configure a Store.
type Options struct {
	// Now is the clock; time.Now when nil. Leases and expiries are
	// computed from it.
	Now func() time.Time
	// CompleteTTL is how long Complete keeps an event record when it is
	// given no TTL of its own; DefaultCompleteTTL when zero. Values below
	// DefaultCompleteTTL are raised to it.
	CompleteTTL time.Duration
}

// Store reads and writes goal and event records in one table. It is safe
// for concurrent use; build it once per process.
type Store struct {
	db    db
	table string
	opts  Options
}

// New returns a Store on the table named table (STATE_TABLE). client is
// usually a *dynamodb.Client.
func New(client db, table string, optFns ...func(*Options)) *Store {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.CompleteTTL = completeTTL(o.CompleteTTL, DefaultCompleteTTL)
	return &Store{db: client, table: table, opts: o}
}

func completeTTL(ttl, def time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = def
	}
	return max(ttl, DefaultCompleteTTL)
}

// tableAdmin is the part of the DynamoDB client CreateTable uses.
type tableAdmin interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// CreateTable creates the state table as the SAM template declares it
// (on-demand capacity, partition key pk of type String, TTL on expiresAt,
// the index RecordIndex),
// waits until it is active and turns TTL on. A table that already exists is
// fine. It is meant for tests and the local stack; in AWS the template owns
// the table.
func CreateTable(ctx context.Context, client tableAdmin, name string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(KeyAttribute), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(RecordKeyAttribute), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(EventTimeAttribute), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(KeyAttribute), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(RecordIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(RecordKeyAttribute), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(EventTimeAttribute), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: RecordIndexAttributes},
		}},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("state: create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("state: wait for table %s: %w", name, err)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("state: describe TTL of %s: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == TTLAttribute &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(TTLAttribute), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("state: enable TTL on %s: %w", name, err)
	}
	return nil
}

// conditionFailed reports whether err is a failed condition and, if so,
// returns the item as it was (nil when there was none).
func conditionFailed(err error) (map[string]types.AttributeValue, bool) {
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return cf.Item, true
	}
	return nil, false
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: pk}}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func getStr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// getNum returns a Number attribute, or 0 (and false) when it is absent or
// not an integer.
func getNum(item map[string]types.AttributeValue, name string) (int64, bool) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

func getMillis(item map[string]types.AttributeValue, name string) time.Time {
	if ms, ok := getNum(item, name); ok {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}
