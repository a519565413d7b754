package gainsighttest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// A standalone tenant (as cmd/gainsight-sim runs it): fetch a seeded goal
// with the spec's sample request.
func Example() {
	s := gainsighttest.New(gainsighttest.Options{AccessKey: "dev-key"})
	if err := s.Start(); err != nil {
		panic(err)
	}
	defer s.Close()

	body := `{"select": ["Name", "Gsid"], "where": {"conditions": [{"fieldName": "Name", "value": ["CGnew"], "alias": "A", "operator": "EQ"}], "expression": "A"}, "pageSize": 100, "pageNumber": 1}`
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/csgoal/external/fetch", strings.NewReader(body))
	req.Header.Set("accesskey", s.AccessKey)
	resp, err := s.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result bool
		Data   struct {
			RecordList []struct {
				DataList map[string]string
			}
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	fmt.Println(resp.StatusCode, out.Result, out.Data.RecordList[0].DataList["Gsid"])
	fmt.Println(s.Stats().ByEndpoint[gainsighttest.EndpointGoalFetch], "call")
	// Output:
	// 200 true 1CG03GFNBH1NOBHONDL3T69ND47717CRSH0C
	// 1 call
}
