package apply_test

import (
	"context"
	"sync/atomic"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// failNth arms a simulator fault just before the n-th call it forwards.
type failNth struct {
	apply.Gainsight
	sim   *gt.Server
	n     int32
	seen  atomic.Int32
	fault gt.Fault
}

func (f *failNth) arm() {
	if f.seen.Add(1) == f.n {
		f.sim.FailNext(1, f.fault)
	}
}

func (f *failNth) FetchGoals(ctx context.Context, r *gainsight.FetchGoalsRequest) (*gainsight.FetchGoalsResponse, error) {
	f.arm()
	return f.Gainsight.FetchGoals(ctx, r)
}

func (f *failNth) CreateGoal(ctx context.Context, r *gainsight.CreateGoalRequest) (*gainsight.CreateGoalResponse, error) {
	f.arm()
	return f.Gainsight.CreateGoal(ctx, r)
}

func (f *failNth) UpdateGoal(ctx context.Context, r *gainsight.UpdateGoalRequest) (*gainsight.UpdateGoalResponse, error) {
	f.arm()
	return f.Gainsight.UpdateGoal(ctx, r)
}

func (f *failNth) CreateMetrics(ctx context.Context, r *gainsight.CreateMetricsRequest) (*gainsight.CreateMetricsResponse, error) {
	f.arm()
	return f.Gainsight.CreateMetrics(ctx, r)
}
