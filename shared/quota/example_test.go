package quota_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

func Example() {
	ctx := context.Background()
	cfg, _ := moto.Config(ctx) // any aws.Config; here the test's moto_server
	client := dynamodb.NewFromConfig(cfg)
	_ = state.CreateTable(ctx, client, "example-quota")

	// A stopped clock, 10 s into a minute, keeps the example's output fixed.
	now := time.Date(2026, 11, 27, 10, 0, 10, 0, time.UTC)
	lim := quota.New(client, "example-quota", func(o *quota.Options) {
		o.PerMinute, o.PerDay = 2, 1000
		o.Now = func() time.Time { return now }
	})

	// Before each Gainsight call:
	fmt.Println(lim.Take(ctx), lim.Take(ctx))

	// The minute is spent and the invocation ends in 5 s: no waiting 50 s.
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := lim.Take(short)
	var le *quota.LimitError
	fmt.Println(errors.Is(err, quota.ErrNoTime), errors.As(err, &le) && le.Limit == "minute", le.Resets)

	r, _ := lim.Remaining(ctx)
	fmt.Println(r.MinuteLeft, r.DayLeft, r.MinuteResets, r.DayResets)

	// Output:
	// <nil> <nil>
	// true true 2026-11-27 10:01:00.1 +0000 UTC
	// 0 998 2026-11-27 10:01:00 +0000 UTC 2026-11-28 00:00:00 +0000 UTC
}
