package state_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/goalrelay/goalrelay/shared/state"
)

const tenant = "https://acme.gainsightcloud.com"

// TestSharedPicklist: a tenant's picklist is kept and read back whole; an
// older load never replaces a newer one; tenants do not share; a picklist
// above the bound is refused.
func TestSharedPicklist(t *testing.T) {
	s, _, _ := newStore(t, newClock())
	ctx := t.Context()
	if _, ok, err := s.GetPicklist(ctx, tenant); err != nil || ok {
		t.Fatalf("empty table: ok=%v err=%v", ok, err)
	}
	p := state.SharedPicklist{Loaded: t0, Statuses: map[string]string{"on track": "1I00A"}, Types: map[string]string{"renewal": "1I00T"}}
	if err := s.PutPicklist(ctx, tenant, p); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.GetPicklist(ctx, tenant)
	if err != nil || !ok || !got.Loaded.Equal(t0.Truncate(time.Millisecond)) || !maps.Equal(got.Statuses, p.Statuses) || !maps.Equal(got.Types, p.Types) {
		t.Fatalf("GetPicklist = %+v, %v, %v; want %+v", got, ok, err, p)
	}

	older := state.SharedPicklist{Loaded: t0.Add(-time.Minute), Statuses: map[string]string{}, Types: map[string]string{}}
	if err := s.PutPicklist(ctx, tenant, older); !errors.Is(err, state.ErrOlderPicklist) {
		t.Fatalf("older load: %v, want ErrOlderPicklist", err)
	}
	if err := s.PutPicklist(ctx, tenant, state.SharedPicklist{Loaded: t0, Statuses: map[string]string{}, Types: map[string]string{}}); !errors.Is(err, state.ErrOlderPicklist) {
		t.Fatalf("same load time: %v, want ErrOlderPicklist", err)
	}
	if got, _, _ := s.GetPicklist(ctx, tenant); !maps.Equal(got.Statuses, p.Statuses) {
		t.Fatalf("an older load replaced the kept one: %+v", got)
	}
	newer := state.SharedPicklist{Loaded: t0.Add(time.Minute), Statuses: map[string]string{"at risk": "1I00B"}, Types: map[string]string{}}
	if err := s.PutPicklist(ctx, tenant, newer); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.GetPicklist(ctx, tenant); !maps.Equal(got.Statuses, newer.Statuses) || !got.Loaded.Equal(newer.Loaded.Truncate(time.Millisecond)) {
		t.Fatalf("newer load not kept: %+v", got)
	}

	if _, ok, _ := s.GetPicklist(ctx, "https://other.gainsightcloud.com"); ok {
		t.Error("another tenant read this tenant's picklist")
	}

	big := state.SharedPicklist{Loaded: t0.Add(time.Hour), Statuses: map[string]string{strings.Repeat("x", state.MaxPicklistBytes): "1"}, Types: map[string]string{}}
	if err := s.PutPicklist(ctx, tenant, big); err == nil {
		t.Error("a picklist above MaxPicklistBytes was kept")
	}
	for _, bad := range []string{"", strings.Repeat("t", 1025)} {
		if err := s.PutPicklist(ctx, bad, p); err == nil {
			t.Errorf("tenant of %d bytes accepted", len(bad))
		}
		if _, _, err := s.GetPicklist(ctx, bad); err == nil {
			t.Errorf("GetPicklist: tenant of %d bytes accepted", len(bad))
		}
	}
}

// TestSharedPicklistUnreadable: an item that is not a picklist (another
// writer, a hand edit) reads as none, and the next load replaces it.
func TestSharedPicklistUnreadable(t *testing.T) {
	s, client, table := newStore(t, newClock())
	ctx := t.Context()
	for _, body := range []string{`{"statuses":`, `{"statuses":{"a":"b"}}`, `[]`} {
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			state.KeyAttribute: &types.AttributeValueMemberS{Value: state.PicklistPrefix + tenant},
			"picklist":         &types.AttributeValueMemberS{Value: body},
			"picklistLoaded":   &types.AttributeValueMemberN{Value: "1"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.GetPicklist(ctx, tenant); ok || err != nil {
			t.Errorf("%s: GetPicklist = %+v, %v, %v; want none", body, got, ok, err)
		}
	}
	p := state.SharedPicklist{Loaded: t0, Statuses: map[string]string{}, Types: map[string]string{"renewal": "T"}}
	if err := s.PutPicklist(ctx, tenant, p); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetPicklist(ctx, tenant); !ok {
		t.Error("the next load did not replace the unreadable item")
	}

	// A copy stamped an hour ahead of a new load (a clock far ahead) does
	// not hold the new load off for good; one a few seconds ahead does.
	ahead := state.SharedPicklist{Loaded: t0.Add(2 * time.Hour), Statuses: map[string]string{"ahead": "A"}, Types: map[string]string{}}
	if err := s.PutPicklist(ctx, tenant, ahead); err != nil {
		t.Fatal(err)
	}
	p.Loaded = t0.Add(time.Hour)
	if err := s.PutPicklist(ctx, tenant, p); err != nil {
		t.Fatalf("a load an hour before the kept copy's stamp: %v, want it kept", err)
	}
	p.Loaded = t0.Add(time.Hour - 5*time.Second)
	if err := s.PutPicklist(ctx, tenant, p); !errors.Is(err, state.ErrOlderPicklist) {
		t.Errorf("a load 5 s before the kept copy's: %v, want ErrOlderPicklist", err)
	}
}
