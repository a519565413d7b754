package state_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/goalrelay/goalrelay/shared/state"
)

const record = "hubspot/portal/62515:901"

var crmTime = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func story(id string, min int, outcome string) state.Story {
	return state.Story{RecordKey: record, EventID: id, Source: "hubspot/portal/62515", Type: "goal.upserted",
		Time: crmTime.Add(time.Duration(min) * time.Minute), Outcome: outcome}
}

// The story rides on Complete and Release: a retried attempt leaves its
// error, the completion replaces it, and a second completion changes
// nothing.
func TestStoryOnCompleteAndRelease(t *testing.T) {
	c := newClock()
	s, _, _ := newStore(t, c)
	ctx := t.Context()
	id := "hubspot/portal/62515:e1"

	cl, err := s.Begin(ctx, id, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	retried := story("e1", 0, "retry")
	retried.ErrorCode, retried.RequestID, retried.Detail = "HTTP_503", "req-1", "gainsight: HTTP 503"
	if err := s.Release(ctx, cl, retried); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.GetEvent(ctx, id)
	if err != nil || !ok {
		t.Fatalf("GetEvent: %v %v", ok, err)
	}
	want := state.EventRecord{Key: id, Status: state.StatusReleased, Attempt: 1, UpdatedAt: c.Now(),
		ExpiresAt: c.Now().Add(time.Minute + state.DefaultCompleteTTL).Truncate(time.Second), Story: retried}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("after a retry (-want +got):\n%s", d)
	}

	c.Advance(5 * time.Second)
	cl, err = s.Begin(ctx, id, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// While in progress, the last attempt's story stays, with the lease.
	got, _, _ = s.GetEvent(ctx, id)
	if got.Status != state.StatusInProgress || got.Outcome != "retry" || !got.LeaseUntil.Equal(cl.LeaseUntil) || got.Attempt != 2 {
		t.Errorf("in progress: %+v", got)
	}
	done := story("e1", 0, "done")
	done.Gsid, done.RequestID = "1CG01", "req-2"
	if err := s.Complete(ctx, cl, 0, done); err != nil {
		t.Fatal(err)
	}
	want = state.EventRecord{Key: id, Status: state.StatusComplete, Attempt: 2, CompletedAttempt: 2, UpdatedAt: c.Now(),
		ExpiresAt: c.Now().Add(state.DefaultCompleteTTL).Truncate(time.Second), Story: done}
	got, _, _ = s.GetEvent(ctx, id)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("after completion, the retry's error is gone (-want +got):\n%s", d)
	}
	// A late completion by another attempt keeps the first one's story.
	c.Advance(time.Second)
	if err := s.Complete(ctx, cl, 0, story("e1", 0, "stale")); err != nil {
		t.Fatal(err)
	}
	if got, _, _ = s.GetEvent(ctx, id); got.Outcome != "done" {
		t.Errorf("second completion replaced the story: %+v", got)
	}
	// A release that lost its lease writes nothing.
	if err := s.Release(ctx, cl, story("e1", 0, "retry")); !errors.Is(err, state.ErrLeaseLost) {
		t.Fatalf("Release after completion: %v", err)
	}
	if got, _, _ = s.GetEvent(ctx, id); got.Outcome != "done" {
		t.Errorf("a refused release changed the story: %+v", got)
	}
	if _, ok, _ := s.GetEvent(ctx, "nobody:x"); ok {
		t.Error("GetEvent found an event never written")
	}

	// A story without an outcome leaves the story alone.
	cl, _ = s.Begin(ctx, "hubspot/portal/62515:e5", time.Minute)
	if err := s.Release(ctx, cl, retried); err != nil {
		t.Fatal(err)
	}
	cl, _ = s.Begin(ctx, "hubspot/portal/62515:e5", time.Minute)
	if err := s.Complete(ctx, cl, 0, state.Story{}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ = s.GetEvent(ctx, "hubspot/portal/62515:e5"); got.Status != state.StatusComplete || got.Story != retried {
		t.Errorf("an empty story changed the story: %+v", got)
	}
}

// NoteEvent writes the story of an event refused before any claim; the
// record stays free to claim (a redrive applies it) and expires; a claimed
// or complete event's record is left alone.
func TestNoteEvent(t *testing.T) {
	c := newClock()
	s, _, _ := newStore(t, c)
	ctx := t.Context()
	dead := story("e2", 1, "permanent")
	dead.ErrorCode, dead.Detail = "INVALID_STATUS_NAME", "status name \"Nope\" is not in the picklist"
	if err := s.NoteEvent(ctx, "hubspot/portal/62515:e2", dead); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.GetEvent(ctx, "hubspot/portal/62515:e2")
	if err != nil || !ok {
		t.Fatalf("GetEvent: %v %v", ok, err)
	}
	want := state.EventRecord{Key: "hubspot/portal/62515:e2", Status: state.StatusReleased, UpdatedAt: c.Now(),
		ExpiresAt: c.Now().Add(state.DefaultCompleteTTL), Story: dead}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("noted (-want +got):\n%s", d)
	}
	// Redriven: claimed at once, as a first attempt.
	cl, err := s.Begin(ctx, "hubspot/portal/62515:e2", time.Minute)
	if err != nil || cl.Attempt != 1 || cl.Resumed {
		t.Fatalf("Begin after NoteEvent: %+v %v", cl, err)
	}
	// Claimed: a note does not touch it.
	if err := s.NoteEvent(ctx, "hubspot/portal/62515:e2", story("e2", 1, "permanent")); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.GetEvent(ctx, "hubspot/portal/62515:e2"); got.Status != state.StatusInProgress {
		t.Errorf("NoteEvent changed a claimed event: %+v", got)
	}
	if err := s.NoteEvent(ctx, "x", state.Story{}); err == nil {
		t.Error("NoteEvent without an outcome: no error")
	}
}

// A record's history is a Query on the index: only its own events, oldest
// CRM time first, the newest limit of them, whatever the order they ended
// in.
func TestRecordEvents(t *testing.T) {
	c := newClock()
	s, db, table := newStore(t, c)
	ctx := t.Context()
	finish := func(key string, st state.Story) {
		t.Helper()
		cl, err := s.Begin(ctx, key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if st.Outcome == "retry" {
			err = s.Release(ctx, cl, st)
		} else {
			err = s.Complete(ctx, cl, 0, st)
		}
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Second)
	}
	// Ended out of CRM order: 3, 1, 2; then a dead letter (4) and an
	// event of another record, and one without a story.
	finish("hubspot/portal/62515:e3", story("e3", 3, "done"))
	finish("hubspot/portal/62515:e1", story("e1", 1, "stale"))
	finish("hubspot/portal/62515:e2", story("e2", 2, "retry"))
	if err := s.NoteEvent(ctx, "hubspot/portal/62515:e4", story("e4", 4, "permanent")); err != nil {
		t.Fatal(err)
	}
	other := story("o1", 0, "done")
	other.RecordKey = "hubspot/portal/62515:902"
	finish("hubspot/portal/62515:o1", other)
	finish("hubspot/portal/62515:plain", state.Story{})
	// A story without a record key stays out of the index.
	unkeyed := story("u1", 5, "permanent")
	unkeyed.RecordKey = ""
	if err := s.NoteEvent(ctx, "hubspot/portal/62515:u1", unkeyed); err != nil {
		t.Fatal(err)
	}
	unkeyed.Time = time.Time{} // kept only with a record key: the two are the index's keys
	if got, ok, _ := s.GetEvent(ctx, "hubspot/portal/62515:u1"); !ok || got.Story != unkeyed {
		t.Errorf("unkeyed story: %+v", got)
	}

	ids := func(evs []state.EventRecord) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.EventID+"/"+e.Outcome)
		}
		return out
	}
	got, err := s.RecordEvents(ctx, record, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"e1/stale", "e2/retry", "e3/done", "e4/permanent"}, ids(got)); d != "" {
		t.Errorf("history (-want +got):\n%s", d)
	}
	// The index carries the story and the claim's state, not the lease.
	one, _, _ := s.GetEvent(ctx, "hubspot/portal/62515:e3")
	if d := cmp.Diff(one, got[2], cmpopts.IgnoreFields(state.EventRecord{}, "LeaseUntil")); d != "" {
		t.Errorf("index item differs from the table's (-table +index):\n%s", d)
	}
	got, err = s.RecordEvents(ctx, record, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"e3/done", "e4/permanent"}, ids(got)); d != "" {
		t.Errorf("limit 2 keeps the newest (-want +got):\n%s", d)
	}
	if got, err := s.RecordEvents(ctx, "nobody:1", 0); err != nil || len(got) != 0 {
		t.Errorf("unknown record: %v %v", got, err)
	}

	// The index is what the template declares: keys and projection.
	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Table.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("indexes: %+v", d.Table.GlobalSecondaryIndexes)
	}
	gsi := d.Table.GlobalSecondaryIndexes[0]
	var keys []string
	for _, k := range gsi.KeySchema {
		keys = append(keys, fmt.Sprintf("%s %s", aws.ToString(k.AttributeName), k.KeyType))
	}
	if aws.ToString(gsi.IndexName) != state.RecordIndex || !slices.Equal(keys, []string{"recordKey HASH", "eventTime RANGE"}) ||
		!slices.Equal(gsi.Projection.NonKeyAttributes, state.RecordIndexAttributes) {
		t.Errorf("index %s keys %v projection %+v", aws.ToString(gsi.IndexName), keys, gsi.Projection)
	}
}

// Pages of the Query are followed up to the limit.
func TestRecordEventsPages(t *testing.T) {
	c := newClock()
	s, _, _ := newStore(t, c)
	ctx := t.Context()
	for i := range 7 {
		if err := s.NoteEvent(ctx, fmt.Sprintf("hubspot/portal/62515:p%d", i), story(fmt.Sprintf("p%d", i), i, "permanent")); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{3, 7, 50} {
		got, err := s.RecordEvents(ctx, record, limit)
		if err != nil {
			t.Fatal(err)
		}
		want := min(limit, 7)
		if len(got) != want || got[len(got)-1].EventID != "p6" || got[0].EventID != fmt.Sprintf("p%d", 7-want) {
			t.Errorf("limit %d: %d events, first %s last %s", limit, len(got), got[0].EventID, got[len(got)-1].EventID)
		}
	}
}
