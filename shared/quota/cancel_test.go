package quota_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/goalrelay/goalrelay/shared/quota"
)

// fakeDB answers TransactWriteItems from a script and GetItem with a fixed
// day item: for the cancellation reasons moto does not produce.
type fakeDB struct {
	answers []error // one per TransactWriteItems call; nil is success
	calls   int
	dayItem map[string]types.AttributeValue
	gets    int
}

func (f *fakeDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	err := f.answers[min(f.calls, len(f.answers)-1)]
	f.calls++
	return &dynamodb.TransactWriteItemsOutput{}, err
}

func (f *fakeDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.gets++
	return &dynamodb.GetItemOutput{Item: f.dayItem}, nil
}

func (f *fakeDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, errors.New("not used")
}

func canceled(minute, day string, dayItem map[string]types.AttributeValue) error {
	return &types.TransactionCanceledException{
		Message: aws.String("Transaction cancelled"),
		CancellationReasons: []types.CancellationReason{
			{Code: aws.String(minute)},
			{Code: aws.String(day), Item: dayItem},
		},
	}
}

func TestTakeCancellationReasons(t *testing.T) {
	spentDay := map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "45000"}}
	tests := []struct {
		name      string
		answers   []error
		dayItem   map[string]types.AttributeValue // for GetItem
		wantErr   error
		wantCalls int
		wantGets  int
	}{
		{name: "day spent, item returned", answers: []error{canceled("None", "ConditionalCheckFailed", spentDay)},
			wantErr: quota.ErrDailyExhausted, wantCalls: 1},
		{name: "day spent, no item returned: read it", answers: []error{canceled("None", "ConditionalCheckFailed", nil)},
			dayItem: spentDay, wantErr: quota.ErrDailyExhausted, wantCalls: 1, wantGets: 1},
		{name: "day and minute spent: the day wins", answers: []error{canceled("ConditionalCheckFailed", "ConditionalCheckFailed", spentDay)},
			wantErr: quota.ErrDailyExhausted, wantCalls: 1},
		{name: "transaction conflict is retried", answers: []error{canceled("TransactionConflict", "None", nil), canceled("None", "TransactionConflict", nil), nil},
			wantCalls: 3},
		{name: "other reason is an error", answers: []error{canceled("ValidationError", "None", nil)}, wantCalls: 1},
		{name: "other error", answers: []error{errors.New("boom")}, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeDB{answers: tt.answers, dayItem: tt.dayItem}
			clock := newFakeClock(start)
			l := quota.New(f, "t", func(o *quota.Options) {
				o.Now = clock.Now
				o.After = func(d time.Duration) <-chan time.Time { // fire at once, moving the clock
					clock.Set(clock.Now().Add(d))
					ch := make(chan time.Time, 1)
					ch <- clock.Now()
					return ch
				}
			})
			err := l.Take(t.Context())
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Take = %v, want %v", err, tt.wantErr)
				}
			case tt.answers[len(tt.answers)-1] == nil:
				if err != nil {
					t.Errorf("Take = %v, want success", err)
				}
			default:
				// The DynamoDB error, wrapped, and no limit.
				var le *quota.LimitError
				if !errors.Is(err, tt.answers[0]) || errors.As(err, &le) {
					t.Errorf("Take = %v, want %v wrapped", err, tt.answers[0])
				}
			}
			if f.calls != tt.wantCalls || f.gets != tt.wantGets {
				t.Errorf("%d transactions and %d reads, want %d and %d", f.calls, f.gets, tt.wantCalls, tt.wantGets)
			}
		})
	}
}
