package gainsight_test

import (
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
	req := &gainsight.UpdateGoalRequest{
		Record: gainsight.GoalRecord{
			Gsid: "1CG0LXVS2HO4Y5ZF1F6TV4R7ZV0ZO6MPG6S1", Name: "Goal Template Name: Updated",
			StatusID: "1I005IUOFEZ24SJ62ZSUKB6C3WN620DSIBYT", DueDate: "2025-01-31",
			Description: " Feb : Update 1",
			Fields:      map[string]any{"cust_string_value__gc": "custom value - updated"},
		},
		Association: &gainsight.Association{CTA: []string{"1S015065Y1L4AP5SUXV96R83SMQ523UNWRXP"}},
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.UpdateGoal(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

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
