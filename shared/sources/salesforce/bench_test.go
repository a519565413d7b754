package salesforce_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// opportunities builds a message of n Opportunity notifications with the
// fields of testdata/one-opportunity.xml.
func opportunities(n int) []byte {
	ns := make([]salesforce.Notification, n)
	for i := range ns {
		ns[i] = salesforce.Notification{
			ID: fmt.Sprintf("04l5e00000Ab%06d", i), Object: "Opportunity", RecordID: fmt.Sprintf("0065e00000Qw%06d", i),
			Fields: map[string]any{
				"AccountId": "0015e00000AsDfGAA1", "Account_Name__c": "Umbrella Corporation", "Amount": "25000.0", "CloseDate": "2026-12-31", "Description": nil,
				"Goal_Status__c": "On Track", "IsDeleted": "false", "LastModifiedDate": "2026-11-27T10:00:00.000Z",
				"Name": "Reach 80% seat adoption", "StageName": "Closed Won", "SystemModstamp": "2026-11-27T10:00:01.000Z",
			},
		}
	}
	return salesforce.BuildOutboundMessage(salesforce.Message{OrganizationID: org18, Notifications: ns})
}

func benchmarkVerifyParse(b *testing.B, n int) {
	body := opportunities(n)
	r := &webhook.Request{Method: "POST", Body: body}
	now := time.Now()
	var a salesforce.Adapter
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := a.Verify(r, secretJSON, now); err != nil {
			b.Fatal(err)
		}
		changes, err := a.Parse(r)
		if err != nil || len(changes) != n {
			b.Fatalf("Parse: %d changes, %v", len(changes), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
}

func BenchmarkVerifyParse1(b *testing.B)   { benchmarkVerifyParse(b, 1) }
func BenchmarkVerifyParse100(b *testing.B) { benchmarkVerifyParse(b, 100) }

func BenchmarkRespondAck(b *testing.B) {
	var a salesforce.Adapter
	b.ReportAllocs()
	for b.Loop() {
		a.Respond(200, 100, "")
	}
}
