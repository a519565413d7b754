package gainsight_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// exampleTenant is a stand-in tenant for the examples: it answers each path
// with a canned reply and prints nothing. Real tests use gainsighttest.
func exampleTenant(replies map[string]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("accesskey") != "example-key" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"result":false,"errorCode":"GS_4010","message":"bad access key","requestId":"r-401"}`)
			return
		}
		body, ok := replies[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		status := http.StatusOK
		if strings.HasPrefix(body, `{"timestamp"`) {
			status = http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
}

func Example() {
	srv := exampleTenant(map[string]string{
		"POST /v1/csgoal/external/create": `{"result":true,"requestId":"r-1","data":{"goal":{
			"Gsid":"1CG0AAAA","Name":"Reach 80% seat adoption","CompanyId":"1P02IBM","DueDate":"2026-12-31",
			"StatusId":"1I00NEW","StatusId__gr":{"Name":"New"},"crm_stage__gc":"won"}}}`,
	})
	defer srv.Close()

	c, err := gainsight.New(gainsight.Options{
		BaseURL:   srv.URL,
		AccessKey: gainsight.StaticAccessKey("example-key"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.CreateGoal(context.Background(), &gainsight.CreateGoalRequest{
		Record: gainsight.GoalRecord{
			Name:        "Reach 80% seat adoption",
			StatusName:  "New",
			EntityType:  "COMPANY",
			CompanyName: "IBM", // resolved to CompanyId by the lookup below
			DueDate:     "2026-12-31",
			Fields:      map[string]any{"crm_stage__gc": "won"},
		},
		Lookups: gainsight.CompanyLookups(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	g := res.Goal
	fmt.Println(g.Gsid, g.Name, g.CompanyID, g.StatusName(), g.Fields["crm_stage__gc"])
	// Output: 1CG0AAAA Reach 80% seat adoption 1P02IBM New won
}

func ExampleWhere() {
	w := gainsight.Where(
		gainsight.Cond("Name", gainsight.OpStartsWith, "barca"),
		gainsight.Or(
			gainsight.Cond("StatusId", gainsight.OpIN, "1I00A", "1I00B"),
			gainsight.Cond("DueDate", gainsight.OpIsNull),
		),
	)
	fmt.Println(w.Expression)
	enc := json.NewEncoder(os.Stdout)
	for _, c := range w.Conditions {
		enc.Encode(c)
	}
	// Output:
	// A AND (B OR C)
	// {"fieldName":"Name","value":["barca"],"alias":"A","operator":"STARTS_WITH"}
	// {"fieldName":"StatusId","value":["1I00A","1I00B"],"alias":"B","operator":"IN"}
	// {"fieldName":"DueDate","value":[],"alias":"C","operator":"IS_NULL"}
}

func ExampleClient_AllGoals() {
	// Two pages of two goals and a last, short page of one.
	var page atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req gainsight.FetchGoalsRequest
		json.NewDecoder(r.Body).Decode(&req)
		page.Store(int64(req.PageNumber))
		var recs []string
		for i := range req.PageSize {
			if n := (req.PageNumber-1)*req.PageSize + i + 1; n <= 5 {
				recs = append(recs, fmt.Sprintf(`{"dataList":{"Gsid":"1CG0%d","Name":"goal %d"},"associatedCTAs":[],"associatedSPs":[]}`, n, n))
			}
		}
		fmt.Fprintf(w, `{"result":true,"requestId":"r-%d","data":{"recordList":[%s]}}`, req.PageNumber, strings.Join(recs, ","))
	}))
	defer srv.Close()
	c, _ := gainsight.New(gainsight.Options{BaseURL: srv.URL, AccessKey: gainsight.StaticAccessKey("example-key")})

	req := &gainsight.FetchGoalsRequest{
		Select:   []string{"Gsid", "Name"},
		Where:    gainsight.Where(gainsight.Cond("Name", gainsight.OpStartsWith, "goal")),
		PageSize: 2,
	}
	for g, err := range c.AllGoals(context.Background(), req) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(g.Gsid, g.Name)
	}
	fmt.Println("pages fetched:", page.Load())
	// Output:
	// 1CG01 goal 1
	// 1CG02 goal 2
	// 1CG03 goal 3
	// 1CG04 goal 4
	// 1CG05 goal 5
	// pages fetched: 3
}

func ExampleIsRetryable() {
	srv := exampleTenant(map[string]string{
		// The spec's answer to an unknown status: HTTP 500, yet a validation error.
		"PUT /v1/csgoal/external/update": `{"timestamp":1675399306376,"status":500,"error":"Internal Server Error",
			"exception":"com.gainsight.cs.goal.exception.CSGoalException",
			"message":"Invalid StatusName provided in request","path":"/csgoal/external/update"}`,
		// A metric still in use.
		"DELETE /v1/csgoal/external/metrics": `{"result":false,"errorCode":"VC_8026","requestId":"r-2",
			"message":"Metric is used in some goals or templates. Cannot delete the metric.",
			"errorInfo":{"usageInLayouts":["CP Goal Type"],"usageInGoals":[{"gsid":"1CG0X","name":"gggg"}],"hasUsage":true}}`,
	})
	defer srv.Close()
	c, _ := gainsight.New(gainsight.Options{BaseURL: srv.URL, AccessKey: gainsight.StaticAccessKey("example-key")})
	ctx := context.Background()

	_, err := c.UpdateGoal(ctx, &gainsight.UpdateGoalRequest{
		Record: gainsight.GoalRecord{Gsid: "1CG0X", StatusName: "Finished-ish"},
	})
	var apiErr *gainsight.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status, apiErr.Validation(), gainsight.IsRetryable(err))
	}

	_, err = c.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{RecordIDs: []string{"1I00M"}})
	if errors.As(err, &apiErr) && apiErr.Usage != nil {
		fmt.Println(apiErr.Code, gainsight.IsRetryable(err), apiErr.Usage.UsageInGoals[0].Name)
	}

	bad, _ := gainsight.New(gainsight.Options{BaseURL: srv.URL, AccessKey: gainsight.StaticAccessKey("old-key")})
	_, err = bad.UpdateGoal(ctx, &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: "1CG0X"}})
	fmt.Println(gainsight.IsUnauthorized(err), gainsight.IsRetryable(err))
	fmt.Println(err)
	// Output:
	// 500 true false
	// VC_8026 false gggg
	// true false
	// gainsight: PUT /v1/csgoal/external/update: HTTP 401 code GS_4010: bad access key (request r-401)
}

func ExampleRateLimitError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "42")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c, _ := gainsight.New(gainsight.Options{BaseURL: srv.URL, AccessKey: gainsight.StaticAccessKey("example-key")})

	_, err := c.Picklist(context.Background(), &gainsight.PicklistRequest{EntityIDs: []string{gainsight.EntityAll}})
	var rl *gainsight.RateLimitError
	if errors.As(err, &rl) {
		fmt.Println(rl.RetryAfter, rl.Retryable(), gainsight.RetryAfter(err))
	}
	// Output: 42s true 42s
}

func ExampleGoalRecord_fields() {
	// Custom fields and the source fields of custom lookups go in Fields; a
	// nil value clears the field.
	r := gainsight.GoalRecord{
		Gsid: "1CG0X",
		Name: "Renewal",
		Fields: map[string]any{
			"crm_stage__gc": "won",
			"Description":   nil,
		},
	}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	// Output: {"Description":null,"Gsid":"1CG0X","Name":"Renewal","crm_stage__gc":"won"}
}
