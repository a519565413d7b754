package apply

import (
	"reflect"
	"testing"

	goalevents "github.com/goalrelay/goalrelay/events"
)

// TestLanesJoinGroupsThatShareARecord: groups of distinct records get a
// lane each; groups that touch a common state record, directly or through
// another group, share one and keep their order.
func TestLanesJoinGroupsThatShareARecord(t *testing.T) {
	ev := func(deal string) *message {
		e := &goalevents.Event{Source: "hubspot/portal/1", Type: goalevents.GoalUpserted,
			Data: goalevents.Data{ExternalID: deal}}
		return &message{ev: e}
	}
	groups := map[string][]*message{
		"a":   {ev("1")},
		"b":   {ev("2")},
		"c":   {ev("3"), ev("1")}, // joins a
		"d":   {ev("4")},
		"e":   {ev("2"), ev("4")}, // joins b and d
		"f":   {ev("5")},
		"bad": {{}}, // a message that is not an event
	}
	got := lanes([]string{"a", "b", "c", "d", "e", "f", "bad"}, groups)
	want := [][]string{{"a", "c"}, {"b", "d", "e"}, {"f"}, {"bad"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lanes = %v, want %v", got, want)
	}
}
