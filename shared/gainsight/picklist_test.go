package gainsight_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// The picklist decodes tolerantly: the spec shows one sample only.
func TestPicklistTolerant(t *testing.T) {
	wrap := func(data string) []byte {
		return []byte(`{"result": true, "requestId": "r1", "data": ` + data + `}`)
	}
	tests := []struct {
		name, data string
		check      func(t *testing.T, r *gainsight.PicklistResponse)
	}{
		{"unknown members", `{"picklists": [{"gsid": "g1", "name": "New", "shinyNewThing": {"a": [1]}, "displayOrder": 2}], "childPicklists": [], "metrics": null, "paging": {}}`,
			func(t *testing.T, r *gainsight.PicklistResponse) {
				if len(r.Picklists) != 1 || r.Picklists[0].Name != "New" || r.Picklists[0].DisplayOrder != 2 {
					t.Fatalf("%+v", r)
				}
			}},
		{"missing optional members", `{"picklists": [{"name": "New"}]}`,
			func(t *testing.T, r *gainsight.PicklistResponse) {
				if len(r.Picklists) != 1 || r.Picklists[0].Name != "New" || r.ChildPicklists != nil || r.Metrics != nil {
					t.Fatalf("%+v", r)
				}
			}},
		{"mistyped optional members", `{"picklists": [{"gsid": 7, "name": "New", "displayOrder": "4", "active": "yes", "associationDetails": [], "childPicklistIds": []}]}`,
			func(t *testing.T, r *gainsight.PicklistResponse) {
				if p := r.Picklists[0]; p.Name != "New" || p.Gsid != "" || p.DisplayOrder != 0 || p.ChildPicklistIDs != nil {
					t.Fatalf("%+v", p)
				}
			}},
		{"child ids as objects", `{"picklists": [{"name": "Default", "childPicklistIds": {"GOAL_STATUS": [{"gsid": "s1", "name": "New"}, {"gsid": "s2"}], "OTHER": 5}}]}`,
			func(t *testing.T, r *gainsight.PicklistResponse) {
				if ids := r.Picklists[0].ChildPicklistIDs; !slices.Equal(ids["GOAL_STATUS"], []string{"s1", "s2"}) || len(ids) != 1 {
					t.Fatalf("%v", ids)
				}
			}},
		{"child ids as Gsids", `{"picklists": [{"name": "Default", "childPicklistIds": {"GOAL_STATUS": ["s1"]}}]}`,
			func(t *testing.T, r *gainsight.PicklistResponse) {
				if ids := r.Picklists[0].ChildPicklistIDs; !slices.Equal(ids["GOAL_STATUS"], []string{"s1"}) {
					t.Fatalf("%v", ids)
				}
			}},
		{"odd child picklists left out", `{"picklists": [], "childPicklists": [{"name": "On Track"}, 3, {"gsid": "x"}]}`,
			func(t *testing.T, r *gainsight.PicklistResponse) {
				if len(r.ChildPicklists) != 1 || r.ChildPicklists[0].Name != "On Track" {
					t.Fatalf("%+v", r.ChildPicklists)
				}
			}},
		{"childPicklists not a list", `{"picklists": [{"name": "New"}], "childPicklists": {"GOAL_STATUS": []}, "metrics": [{"gsid": "m"}]}`,
			func(t *testing.T, r *gainsight.PicklistResponse) {
				if len(r.Picklists) != 1 || r.ChildPicklists != nil || string(r.Metrics) != `[{"gsid": "m"}]` {
					t.Fatalf("%+v", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := cannedServer(t, reply{body: wrap(tt.data)})
			r, err := newClient(t, srv.URL).Picklist(t.Context(), &gainsight.PicklistRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if r.RequestID != "r1" {
				t.Errorf("RequestID %q", r.RequestID)
			}
			tt.check(t, r)
		})
	}

	for name, data := range map[string]string{
		"data null":                 `null`,
		"data a list":               `[{"name": "New"}]`,
		"no picklists":              `{"childPicklists": []}`,
		"picklists not a list":      `{"picklists": {"name": "New"}}`,
		"entry not an object":       `{"picklists": ["New"]}`,
		"entry without name":        `{"picklists": [{"gsid": "g"}]}`,
		"entry with a null name":    `{"picklists": [{"name": null}]}`,
		"entry with a numeric name": `{"picklists": [{"name": 5}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := cannedServer(t, reply{body: wrap(data)})
			_, err := newClient(t, srv.URL).Picklist(t.Context(), &gainsight.PicklistRequest{})
			var se *gainsight.PicklistShapeError
			if !errors.As(err, &se) || se.RequestID != "r1" || !errors.Is(err, gainsight.ErrMalformedResponse) || gainsight.IsRetryable(err) {
				t.Fatalf("err = %v, want a PicklistShapeError", err)
			}
		})
	}
}

// Against the simulator: the spec's sample shape by default, the guessed
// details with PicklistDetails.
func TestSimPicklistShapes(t *testing.T) {
	req := &gainsight.PicklistRequest{EntityIDs: []string{gainsight.EntityAll}, IncludeChildPicklist: true, IncludeMetrics: true}
	r, err := simClient(t, gainsighttest.NewServer(t)).Picklist(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.ByName("Default"); !ok || r.ChildPicklists != nil || string(r.Metrics) != "null" || r.Picklists[0].ChildPicklistIDs != nil {
		t.Fatalf("%+v", r)
	}
	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) { o.PicklistDetails = true })
	r, err = simClient(t, s).Picklist(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ChildPicklists) == 0 || len(r.Picklists[0].ChildPicklistIDs[gainsight.PicklistGoalStatus]) == 0 || len(r.Metrics) < 10 {
		t.Fatalf("%+v", r)
	}
}
