package state_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/goalrelay/goalrelay/shared/state"
)

const ev = "hubspot:62515:deal:901:1764237600000"

func TestBeginFlow(t *testing.T) {
	const lease = 30 * time.Second
	type step struct {
		name    string
		advance time.Duration
		op      string // begin, complete, release
		claim   int    // index into claims made so far, for complete/release
		want    state.Claim
		wantErr error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "begin, complete, duplicate",
			steps: []step{
				{name: "first", op: "begin", want: state.Claim{Attempt: 1}},
				{name: "complete", op: "complete", claim: 0},
				{name: "duplicate", advance: time.Hour, op: "begin", wantErr: state.ErrDone},
				{name: "retry a day later", advance: 24 * time.Hour, op: "begin", wantErr: state.ErrDone},
				{name: "complete again is fine", op: "complete", claim: 0},
			},
		},
		{
			name: "busy while the lease runs",
			steps: []step{
				{name: "first", op: "begin", want: state.Claim{Attempt: 1}},
				{name: "second", advance: lease - time.Millisecond, op: "begin", wantErr: state.ErrBusy},
			},
		},
		{
			name: "expired lease is taken over as resumed",
			steps: []step{
				{name: "first", op: "begin", want: state.Claim{Attempt: 1}},
				{name: "takeover, the dead attempt not counted as released", advance: lease, op: "begin", want: state.Claim{Attempt: 2, Resumed: true}},
				{name: "old claim cannot release", op: "release", claim: 0, wantErr: state.ErrLeaseLost},
				{name: "new claim releases", op: "release", claim: 1},
				{name: "after release, not resumed", op: "begin", want: state.Claim{Attempt: 3, Released: 1}},
				{name: "old claim may complete: it did apply", op: "complete", claim: 0},
				{name: "then done", op: "begin", wantErr: state.ErrDone},
				{name: "release after completion", op: "release", claim: 2, wantErr: state.ErrLeaseLost},
			},
		},
		{
			name: "released event is claimed at once",
			steps: []step{
				{name: "first", op: "begin", want: state.Claim{Attempt: 1}},
				{name: "release", op: "release", claim: 0},
				{name: "second", advance: time.Second, op: "begin", want: state.Claim{Attempt: 2, Released: 1}},
				{name: "release twice", op: "release", claim: 0, wantErr: state.ErrLeaseLost},
				{name: "release the second", op: "release", claim: 1},
				{name: "third counts both", op: "begin", want: state.Claim{Attempt: 3, Released: 2}},
			},
		},
		{
			name: "complete expires after three days",
			steps: []step{
				{name: "first", op: "begin", want: state.Claim{Attempt: 1}},
				{name: "complete", op: "complete", claim: 0},
				{name: "just before expiry", advance: 72*time.Hour - time.Second, op: "begin", wantErr: state.ErrDone},
				{name: "after expiry", advance: time.Second, op: "begin", want: state.Claim{Attempt: 2}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s, _, _ := newStore(t, c)
			var claims []state.Claim
			for _, st := range tt.steps {
				c.Advance(st.advance)
				var err error
				switch st.op {
				case "begin":
					var cl state.Claim
					cl, err = s.Begin(t.Context(), ev, lease)
					if err == nil {
						claims = append(claims, cl)
						st.want.EventID = ev
						st.want.LeaseUntil = c.Now().Add(lease)
						if d := cmp.Diff(st.want, cl); d != "" {
							t.Errorf("%s: claim (-want +got):\n%s", st.name, d)
						}
					}
				case "complete":
					err = s.Complete(t.Context(), claims[st.claim], 0, state.Story{})
				case "release":
					err = s.Release(t.Context(), claims[st.claim], state.Story{})
				}
				if !errors.Is(err, st.wantErr) || (err != nil) != (st.wantErr != nil) {
					t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
				}
			}
		})
	}
}

func TestBusyErrorSaysUntilWhen(t *testing.T) {
	c := newClock()
	s, _, _ := newStore(t, c)
	cl, err := s.Begin(t.Context(), ev, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Begin(t.Context(), ev, time.Minute)
	var be *state.BusyError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want *BusyError", err)
	}
	if want := (state.BusyError{EventID: ev, Attempt: 1, Until: cl.LeaseUntil}); *be != want {
		t.Errorf("BusyError = %+v, want %+v", *be, want)
	}
}

func TestBeginValidates(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	if _, err := s.Begin(t.Context(), "", time.Minute); err == nil {
		t.Error("Begin with no event id succeeded")
	}
	if _, err := s.Begin(t.Context(), ev, 0); err == nil {
		t.Error("Begin with no lease succeeded")
	}
}

// The stored record: status, attempt, lease and an expiry of at least
// three days once complete (also when a shorter TTL is asked for).
func TestEventRecordLayout(t *testing.T) {
	c := newClock()
	s, client, table := newStore(t, c)
	cl, err := s.Begin(t.Context(), ev, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	item := getItem(t, client, table, "event#"+ev)
	if got := item["status"]; !cmp.Equal(got, any(&types.AttributeValueMemberS{Value: "IN_PROGRESS"}), cmp.AllowUnexported(types.AttributeValueMemberS{})) {
		t.Errorf("status = %#v", got)
	}
	if n := numAttr(t, item, "leaseUntil"); n != c.Now().Add(time.Minute).UnixMilli() {
		t.Errorf("leaseUntil = %d", n)
	}
	for _, ttl := range []time.Duration{0, time.Hour, 96 * time.Hour} {
		if err := s.Complete(t.Context(), cl, ttl, state.Story{}); err != nil {
			t.Fatal(err)
		}
		item = getItem(t, client, table, "event#"+ev)
		want := c.Now().Add(max(ttl, 72*time.Hour)).Unix()
		if n := numAttr(t, item, "expiresAt"); n != want {
			t.Errorf("ttl %s: expiresAt = %d, want %d", ttl, n, want)
		}
		if _, ok := item["leaseUntil"]; ok {
			t.Errorf("ttl %s: complete record keeps its lease", ttl)
		}
		// Reopen for the next round: only a record that is not complete
		// takes a new expiry.
		if _, err := client.DeleteItem(t.Context(), &dynamodb.DeleteItemInput{TableName: aws.String(table),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "event#" + ev}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// Many consumers race for one event: exactly one gets the claim.
func TestBeginRace(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = s.Begin(t.Context(), ev, time.Minute) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, state.ErrBusy):
		default:
			t.Errorf("Begin: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d claims, want 1", won)
	}
}

func getItem(t *testing.T, client *dynamodb.Client, table, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil {
		t.Fatalf("GetItem %s: %v", pk, err)
	}
	return out.Item
}

func numAttr(t *testing.T, item map[string]types.AttributeValue, name string) int64 {
	t.Helper()
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%s = %#v, want a number", name, item[name])
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}
