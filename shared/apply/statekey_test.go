package apply

import (
	"testing"

	goalevents "github.com/goalrelay/goalrelay/events"
)

// No two (type entity, source, external id) triples share a state key.
func FuzzStateKeyInjective(f *testing.F) {
	f.Add(0, "metric", "x:y", 1, "x", "y")
	f.Add(0, "goaltemplate", "a:b", 2, "a", "b")
	f.Add(0, "goal", "a", 0, "goal:goal", "a")
	f.Add(0, "a/x:y", "z", 0, "a/x", "y:z")
	types := []goalevents.Type{goalevents.GoalUpserted, goalevents.GoalTemplateUpserted, goalevents.MetricUpserted}
	f.Fuzz(func(t *testing.T, t1 int, s1, id1 string, t2 int, s2, id2 string) {
		ty1, ty2 := types[uint(t1)%3], types[uint(t2)%3]
		a := goalevents.Event{Type: ty1, Source: s1, Data: goalevents.Data{ExternalID: id1}}
		b := goalevents.Event{Type: ty2, Source: s2, Data: goalevents.Data{ExternalID: id2}}
		same := ty1 == ty2 && s1 == s2 && id1 == id2
		if (stateKey(&a) == stateKey(&b)) != same {
			t.Fatalf("%s %q %q and %s %q %q share the key %q", ty1, s1, id1, ty2, s2, id2, stateKey(&a))
		}
	})
}

// Existing keys keep their form: a CRM goal's key is its record key.
func TestStateKeyKeepsCRMKeys(t *testing.T) {
	ev := goalevents.Event{Type: goalevents.GoalUpserted, Source: "hubspot/portal/62515", Data: goalevents.Data{ExternalID: "901"}}
	if got := stateKey(&ev); got != "hubspot/portal/62515:901" {
		t.Errorf("stateKey = %q", got)
	}
	ev.Type = goalevents.MetricUpserted
	if got := stateKey(&ev); got != "metric:hubspot/portal/62515:901" {
		t.Errorf("stateKey = %q", got)
	}
}
