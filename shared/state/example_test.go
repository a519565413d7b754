package state_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/goalrelay/goalrelay/shared/state"
)

// The apply function's use of the store for one event of one CRM record.
func Example() {
	ctx := context.Background()
	cfg, _ := moto.Config(ctx) // any aws.Config; here the test's moto_server
	client := dynamodb.NewFromConfig(cfg)
	if err := state.CreateTable(ctx, client, "example-state"); err != nil {
		fmt.Println(err)
		return
	}
	store := state.New(client, "example-state")

	const eventID, record = "hubspot:62515:deal:901:1764237600000", "hubspot/portal/62515:901"
	changed := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

	claim, err := store.Begin(ctx, eventID, time.Minute)
	fmt.Println("claim:", claim.Attempt, claim.Resumed, err)

	goal, known, _ := store.GetGoal(ctx, record)
	fmt.Println("known:", known, goal.CreatePending)

	// Not known: Fetch by external id found nothing, so create it.
	_ = store.MarkCreating(ctx, record, eventID)
	// ... POST create → Gsid "1S01..." ...
	fmt.Println("put:", store.PutGoalVersion(ctx, record, "1S01", changed, eventID))
	fmt.Println("complete:", store.Complete(ctx, claim, 0, state.Story{}))

	// The CRM retries hours later.
	_, err = store.Begin(ctx, eventID, time.Minute)
	fmt.Println("retry done:", errors.Is(err, state.ErrDone))

	// An older change of the same record arrives late.
	err = store.PutGoalVersion(ctx, record, "1S01", changed.Add(-time.Hour), "older-event")
	fmt.Println("older stale:", errors.Is(err, state.ErrStale))

	// Output:
	// claim: 1 false <nil>
	// known: false false
	// put: <nil>
	// complete: <nil>
	// retry done: true
	// older stale: true
}
