package mapping_test

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func Example() {
	m, err := mapping.Parse("example.yaml", []byte(`
source: hubspot
objects:
  deal:
    type: goal
    fields:
      Name: fields.dealname
      StatusName:
        expr: fields.dealstage
        map: {closedwon: Achieved}
        mapDefault: On Track
      DueDate: {expr: fields.closedate, format: date}
    constants:
      EntityType: COMPANY
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	evs, err := m.Map(webhook.Change{
		ID:         "hubspot:62515:deal:901:1764237600000",
		Source:     "hubspot/portal/62515",
		Object:     "deal",
		RecordID:   "901",
		Op:         webhook.OpUpsert,
		OccurredAt: time.UnixMilli(1764237600000),
		Fields:     map[string]any{"dealstage": "closedwon", "closedate": "1767139200000"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(evs)
	// Output:
	// [
	//   {
	//     "specversion": "1.0",
	//     "id": "hubspot:62515:deal:901:1764237600000",
	//     "source": "hubspot/portal/62515",
	//     "type": "goal.upserted",
	//     "subject": "901",
	//     "time": "2025-11-27T10:00:00Z",
	//     "datacontenttype": "application/json",
	//     "data": {
	//       "externalId": "901",
	//       "fields": {
	//         "DueDate": "2025-12-31",
	//         "EntityType": "COMPANY",
	//         "StatusName": "Achieved"
	//       }
	//     }
	//   }
	// ]
}

func ExampleParse_error() {
	_, err := mapping.Parse("mapping.yaml", []byte("source: hubspot\nobjects:\n  deal:\n    type: goal\n    fields:\n      DueDate: {expr: fields.closedate, format: day}\n"))
	fmt.Println(err)
	// Output:
	// mapping.yaml:6:49: objects.deal.fields.DueDate.format: unknown format "day" (want one of date, datetime, string, number, boolean)
}
