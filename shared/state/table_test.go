package state_test

import (
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/goalrelay/goalrelay/shared/state"
)

func TestCreateTable(t *testing.T) {
	client, name := newTable(t)
	// A second call on an existing table is fine.
	if err := state.CreateTable(t.Context(), client, name); err != nil {
		t.Fatalf("CreateTable again: %v", err)
	}
	d, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	tbl := d.Table
	if len(tbl.KeySchema) != 1 || aws.ToString(tbl.KeySchema[0].AttributeName) != "pk" || tbl.KeySchema[0].KeyType != types.KeyTypeHash {
		t.Errorf("key schema = %+v, want pk HASH", tbl.KeySchema)
	}
	defs := map[string]types.ScalarAttributeType{}
	for _, d := range tbl.AttributeDefinitions {
		defs[aws.ToString(d.AttributeName)] = d.AttributeType
	}
	// pk, and the keys of the record index (story_test.go checks the index).
	if want := map[string]types.ScalarAttributeType{"pk": types.ScalarAttributeTypeS, "recordKey": types.ScalarAttributeTypeS,
		"eventTime": types.ScalarAttributeTypeN}; !maps.Equal(defs, want) {
		t.Errorf("attribute definitions = %v, want %v", defs, want)
	}
	if tbl.BillingModeSummary == nil || tbl.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode = %+v, want PAY_PER_REQUEST", tbl.BillingModeSummary)
	}
	ttl, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != "expiresAt" || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %+v, want ENABLED on expiresAt", ttl.TimeToLiveDescription)
	}
}
