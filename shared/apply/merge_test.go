package apply

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/goalrelay/goalrelay/events"
)

func ev(id string, minute int, fields map[string]any) *events.Event {
	return &events.Event{SpecVersion: "1.0", ID: id, Source: "hubspot/portal/1", Type: events.GoalUpserted,
		Subject: "901", Time: time.Date(2026, 11, 27, 10, minute, 0, 0, time.UTC),
		Data: events.Data{ExternalID: "901", Fields: fields}}
}

func f64(v float64) *float64 { return &v }

func TestMerge(t *testing.T) {
	a := ev("a", 1, map[string]any{"Name": "old", "StatusName": "New"})
	a.Data.Associate = &events.Associations{CTA: []string{"c1", "c2"}}
	a.Data.Metrics = []events.MetricValue{{MetricID: "m1", BaseValue: f64(1), ActualValue: []events.ActualValue{{Value: 2, Timestamp: "2026-11-01"}}}}
	// c arrives before b in the queue but happened later in the CRM.
	c := ev("c", 3, map[string]any{"Name": "newest"})
	c.Data.Associate = &events.Associations{CTA: []string{"c2"}}
	b := ev("b", 2, map[string]any{"Name": "middle", "DueDate": "2026-12-31"})
	b.Data.Dissociate = &events.Associations{CTA: []string{"c2"}, SP: []string{"s1"}}
	b.Data.Metrics = []events.MetricValue{{MetricID: "m1", TargetValue: f64(9), ActualValue: []events.ActualValue{{Value: 3, Timestamp: "2026-11-02"}}}}

	got := merge([]*events.Event{a, c, b})
	want := events.Event{SpecVersion: "1.0", ID: "c", Source: "hubspot/portal/1", Type: events.GoalUpserted,
		Subject: "901", Time: c.Time,
		Data: events.Data{
			ExternalID: "901",
			Fields:     map[string]any{"Name": "newest", "StatusName": "New", "DueDate": "2026-12-31"},
			Associate:  &events.Associations{CTA: []string{"c1", "c2"}},
			Dissociate: &events.Associations{SP: []string{"s1"}},
			Metrics: []events.MetricValue{{MetricID: "m1", BaseValue: f64(1), TargetValue: f64(9),
				ActualValue: []events.ActualValue{{Value: 2, Timestamp: "2026-11-01"}, {Value: 3, Timestamp: "2026-11-02"}}}},
		}}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("merge (-want +got):\n%s", d)
	}
	// The inputs are untouched.
	if a.Data.Fields["Name"] != "old" || len(a.Data.Associate.CTA) != 2 {
		t.Error("merge changed its input")
	}
}

func TestMergeable(t *testing.T) {
	a, b := ev("a", 1, nil), ev("b", 2, nil)
	if !mergeable(a, b) {
		t.Error("two upserts of one record should merge")
	}
	other := ev("c", 2, nil)
	other.Data.ExternalID = "902"
	if mergeable(a, other) {
		t.Error("different records merged")
	}
	del := ev("d", 2, nil)
	del.Type = events.GoalDeleted
	if mergeable(a, del) {
		t.Error("an upsert merged with a delete")
	}
}
