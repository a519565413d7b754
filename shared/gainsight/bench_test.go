package gainsight_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// BenchmarkUpdateGoal measures the client's own cost per call (encoding,
// headers, the round trip over loopback to an in-process server that
// answers a canned reply, classification, decoding). The server side is
// minimal so that the figure is mostly the client's.
func BenchmarkUpdateGoal(b *testing.B) {
	srv, _ := cannedServer(b, reply{body: readTestdata(b, "replies", "goal_update_2.json")})
	c := newClient(b, srv.URL)
	req := benchUpdate()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.UpdateGoal(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateGoalNoNetwork is the client alone: the transport hands
// back the canned reply without a socket or a server goroutine, so every
// allocation counted is the client's.
func BenchmarkUpdateGoalNoNetwork(b *testing.B) {
	body := readTestdata(b, "replies", "goal_update_2.json")
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		return &http.Response{
			StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(body)), Request: r,
		}, nil
	})
	c := newClient(b, "http://gainsight.invalid", func(o *gainsight.Options) {
		o.HTTPClient = &http.Client{Transport: rt}
	})
	req := benchUpdate()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.UpdateGoal(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkEncodeUpdateGoal is the request encoding alone.
func BenchmarkEncodeUpdateGoal(b *testing.B) {
	r := gainsight.GoalRecord{
		Gsid: "1CG0LXVS2HO4Y5ZF1F6TV4R7ZV0ZO6MPG6S1", Name: "Goal", StatusName: "On Track", DueDate: "2025-01-31",
		Fields: map[string]any{"cust_string_value__gc": "custom value - updated"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchUpdate() *gainsight.UpdateGoalRequest {
	return &gainsight.UpdateGoalRequest{
		Record: gainsight.GoalRecord{
			Gsid: "1CG0LXVS2HO4Y5ZF1F6TV4R7ZV0ZO6MPG6S1", Name: "Goal Template Name: Updated",
			StatusID: "1I005IUOFEZ24SJ62ZSUKB6C3WN620DSIBYT", DueDate: "2025-01-31",
			Description: " Feb : Update 1",
			Fields:      map[string]any{"cust_string_value__gc": "custom value - updated"},
		},
		Association: &gainsight.Association{CTA: []string{"1S015065Y1L4AP5SUXV96R83SMQ523UNWRXP"}},
	}
}
