package gainsight

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzCheckResponse feeds arbitrary replies to the classifier: it must not
// panic, must return exactly one of a reply or an error, and every error
// must be one of the package's typed errors.
func FuzzCheckResponse(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{200, `{"result":true,"requestId":"r","data":{"goal":{"Gsid":"1CG0"}}}`},
		{200, `{"result":false,"errorCode":"VC_8026","errorInfo":{"usageInLayouts":["x"],"usageInGoals":[{"gsid":"g","name":"n"}],"hasUsage":true}}`},
		{400, `{"result":false,"errorCode":8010,"errorDesc":"INVALID_STATUS_NAME","message":"Invalid status name provided r"}`},
		{500, `{"timestamp":1,"status":500,"error":"Internal Server Error","exception":"com.gainsight.cs.goal.exception.CSGoalException","message":"Invalid StatusName provided in request","path":"/csgoal/external/create"}`},
		{200, `{"recordList":[{"Gsid":"1CG0"}]}`},
		{429, `slow down`},
		{502, `<html>bad gateway</html>`},
		{200, `[1,2,3]`},
		{200, `null`},
		{307, ``},
	}
	f.Add(429, []byte(``), "99999999999999999", false)
	f.Add(503, []byte(``), "Sun, 06 Nov 2994 08:49:37 GMT", false)
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), "30", true)
	}
	c := &Client{now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string, bare bool) {
		if status < 100 || status > 999 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfter}}}
		rep, err := c.checkResponse(resp, bytes.Clone(body), "POST /x", bare)
		if (rep == nil) == (err == nil) {
			t.Fatalf("reply %v and error %v", rep, err)
		}
		if err != nil {
			var api *APIError
			var rl *RateLimitError
			if !errors.As(err, &api) && !errors.As(err, &rl) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			_ = err.Error()
			_ = IsRetryable(err)
			if d := RetryAfter(err); d < 0 || d > maxRetryAfter {
				t.Fatalf("RetryAfter %v", d)
			}
		} else if status < 200 || status > 299 {
			t.Fatalf("status %d accepted", status)
		}
	})
}
