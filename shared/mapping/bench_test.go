package mapping_test

import (
	"testing"

	"github.com/goalrelay/goalrelay/shared/mapping"
)

// BenchmarkMapHubSpotDeal maps a typical HubSpot deal change (a workflow
// delivery of the whole record) with the shipped defaults.
func BenchmarkMapHubSpotDeal(b *testing.B) {
	m := mapping.Default()
	ch := hubspotChange(map[string]any{
		"hs_object_id": "901", "dealname": "Acme renewal", "dealstage": "closedwon", "closedate": "1767225600000",
		"description": "Renewal for 2027", "amount": "25000", "company_name": "Acme", "pipeline": "default",
		"hubspot_owner_id": "5550001",
	})
	b.ReportAllocs()
	for b.Loop() {
		evs, err := m.Map(ch)
		if err != nil || len(evs) != 1 {
			b.Fatalf("Map = %v, %v", evs, err)
		}
	}
}

// BenchmarkMapHubSpotPropertyChange maps a thin property-change event.
func BenchmarkMapHubSpotPropertyChange(b *testing.B) {
	m := mapping.Default()
	ch := hubspotChange(map[string]any{"dealstage": "closedwon"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Map(ch); err != nil {
			b.Fatal(err)
		}
	}
}
