package apply

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/state"
)

// GoalReader reads a goal record without locking it. A Store that
// implements it (*state.Store does) lets Handle resolve a batch's new
// goals with one Fetch (prefetchGoals); without it every goal with no
// Gsid in the state is resolved by its own Fetch, as the unit runs.
type GoalReader interface {
	GetGoal(ctx context.Context, recordKey string) (state.Goal, bool, error)
}

var _ GoalReader = (*state.Store)(nil)

// prefetchPageSize is the page size of the batch Fetch. A batch holds at
// most ten events, so one page of the client's default size holds every
// goal of its records unless some record has many duplicates; a bigger
// page would buy nothing, and the spec states no maximum.
const prefetchPageSize = gainsight.DefaultPageSize

// maxPrefetchPages bounds the batch Fetch. Should the goals asked for fill
// more pages (hundreds of duplicates), the batch Fetch is given up and
// every record is resolved by its own Fetch, which names the duplicates.
const maxPrefetchPages = 3

// goalHint is what the batch Fetch found for one record: the goals whose
// external-id field holds its key (none, one, or several).
type goalHint struct {
	goals []gainsight.Goal
}

// prefetchGoals resolves, with one Fetch for the whole batch, the goal
// records of msgs that have neither a Gsid nor a pending create in the
// state: where externalIdField IN [keys...], selecting what resolveGoal's
// own Fetch selects and the external-id field, through s.call (quota
// first). It gives every message of such a record the record's goalHint.
//
// The state is read before the Fetch without the record lock (GetGoal),
// and the Fetch is a read-only hint taken before any lock: a unit uses it
// only when the state it reads under its record lock still has neither a
// Gsid nor a pending create (applyUnit), and otherwise resolves the record
// as it always did. Why that is enough:
//
//   - Every goal goalrelay creates is preceded by MarkCreating under the
//     record lock; its marker is removed only by recording the Gsid, or by
//     ClearCreating after Gainsight refused the create (nothing created).
//     The Gsid is removed only by ForgetGsid after Gainsight said the goal
//     is gone. So a record that, under the lock, has neither a Gsid nor a
//     marker has no goal from goalrelay that the state does not know,
//     whatever happened between the batch Fetch and the lock; what the
//     Fetch found is then only what others created, as with a Fetch under
//     the lock (which can no more see a goal created after it).
//   - A record created meanwhile by another consumer has its Gsid (or its
//     marker) by the time this unit holds the lock: the unit updates the
//     goal (or resolves it by its own Fetch). Should the Gsid land after
//     the lock was read, MarkCreating's condition (no Gsid) still refuses
//     the second create, and the unit updates the recorded goal.
//   - A record with a pending create (a create whose answer was lost, or
//     an attempt that died: a resumed claim) is left out of the batch
//     Fetch and keeps its own Fetch under the lock. The batch Fetch cannot
//     stand in for it even when it follows the read of the marker: the
//     marker is written before the create is sent, so its owner may still
//     hold the lock with the create in flight when the marker is read, and
//     a Fetch then may come before the goal exists. Only the lock tells
//     that the create is settled (answered, or its owner's lease expired).
//     The unit checks the marker again under the lock, so a create started
//     after the read of the state is never followed by a second one on the
//     strength of this Fetch.
//   - A Gsid the hint gave that Gainsight then calls invalid (the goal was
//     deleted after the batch Fetch) is forgotten and the record resolved
//     afresh, by its own Fetch (recovering).
//
// When the batch Fetch fails, or a goal it returns cannot be matched to a
// key asked for, no hint is given and every record is resolved by its own
// Fetch. Templates and metrics are not prefetched.
func (s *Service) prefetchGoals(ctx context.Context, msgs []*message) {
	reader, ok := s.Store.(GoalReader)
	if !ok {
		return
	}
	if s.timeLeft(ctx) < s.margin() {
		return
	}
	byKey := map[string][]*message{}
	var keys []string
	for _, m := range msgs {
		if !m.pending() || !resolvesGoal(m.ev) {
			continue
		}
		// The names first, as processGroup checks them (from the cache
		// then): an event refused for a name needs no Fetch, and the
		// picklist loads before the Fetch, as it did before it.
		if err := s.checkNamesBefore(ctx, m.ev); err != nil {
			if classify(err) == retry {
				// The picklist could not be loaded: the groups meet the
				// error again and go back to the queue as before.
				return
			}
			continue
		}
		k := m.key
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], m)
	}
	var ask []string
	for _, k := range keys {
		g, _, err := reader.GetGoal(ctx, k)
		if err != nil || g.Gsid != "" || g.CreatePending {
			continue
		}
		ask = append(ask, k)
	}
	if len(ask) == 0 {
		return
	}
	found, err := s.fetchByExternalIDs(ctx, ask)
	if err != nil {
		s.logger().WarnContext(ctx, "batch fetch of new goals failed; each is resolved by its own fetch",
			slog.Int("records", len(ask)), slog.String("error", err.Error()))
		return
	}
	for _, k := range ask {
		h := &goalHint{goals: found[k]}
		for _, m := range byKey[k] {
			m.hint = h
		}
	}
}

// resolvesGoal reports whether applying ev may resolve a goal by its
// external id: a goal upsert, or a goal delete that sets fields.
func resolvesGoal(ev *goalevents.Event) bool {
	switch ev.Type {
	case goalevents.GoalUpserted:
		return true
	case goalevents.GoalDeleted:
		return len(ev.Data.Fields) > 0
	}
	return false
}

// fetchByExternalIDs fetches the goals whose external-id field holds one
// of keys, page by page, and returns them by key.
func (s *Service) fetchByExternalIDs(ctx context.Context, keys []string) (map[string][]gainsight.Goal, error) {
	field := s.externalIDField()
	keys = slices.Sorted(slices.Values(keys))
	values := make([]any, len(keys))
	for i, k := range keys {
		values[i] = k
	}
	req := gainsight.FetchGoalsRequest{
		Select:   append(slices.Clip(fetchSelect), field),
		Where:    gainsight.Where(gainsight.Cond(field, gainsight.OpIN, values...)),
		PageSize: prefetchPageSize,
	}
	cctx, cancel := s.callContext(ctx)
	defer cancel()
	found := map[string][]gainsight.Goal{}
	for page := 1; ; page++ {
		if page > maxPrefetchPages {
			return nil, fmt.Errorf("more than %d goals for %d records", maxPrefetchPages*prefetchPageSize, len(keys))
		}
		req.PageNumber = page
		var resp *gainsight.FetchGoalsResponse
		err := s.call(cctx, func(ctx context.Context) error {
			var err error
			resp, err = s.Gainsight.FetchGoals(ctx, &req)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, g := range resp.Goals {
			owners := ownersOf(g.Fields[field], keys)
			if len(owners) == 0 {
				// The answer does not say whose goal this is: "not found"
				// could be wrong for any key, so none is trusted.
				return nil, fmt.Errorf("goal %s carries %s = %v, none of the ids asked for", g.Gsid, field, g.Fields[field])
			}
			for _, k := range owners {
				found[k] = append(found[k], g)
			}
		}
		if len(resp.Goals) < prefetchPageSize {
			return found, nil
		}
	}
}

// ownersOf are the keys a goal's external-id value belongs to: the key it
// equals, else those it equals ignoring case (should the tenant compare
// text that way, a Fetch by one key would have found it too).
func ownersOf(v any, keys []string) []string {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		s = v
	default:
		s = fmt.Sprint(v)
	}
	if _, ok := slices.BinarySearch(keys, s); ok {
		return []string{s}
	}
	var out []string
	for _, k := range keys {
		if strings.EqualFold(k, s) {
			out = append(out, k)
		}
	}
	return out
}
