package apply

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/state"
)

// Picklist caches the tenant's goal statuses and goal types, by name, so
// that an event naming one Gainsight does not know is refused before it
// costs a call, and so that a goal's GoalTypeName becomes the GoalTypeId
// the API documents for goals. Names compare without regard to case, as
// Gainsight's do.
//
// A load costs two calls (statuses, types). With Shared set, every load is
// kept in the state table too, and a consumer whose copy is missing (a
// cold start) or older than TTL first takes the table's copy when another
// consumer loaded it less than TTL ago: consumers share one load per TTL
// instead of two calls per cold start each.
//
// When a reload fails (Gainsight down, a time-out), a name the copy in
// hand knows is still answered from it for up to StaleFor, and no new load
// is tried for reloadPause; a name it does not know waits for a load (the
// error is retryable), so a stale copy never refuses an event.
//
// A picklist reply of a shape the client cannot read does not block
// events: the name check is skipped until the next load (TTL), and is said
// once in the log.
type Picklist struct {
	// TTL is how long a load is trusted; 15 minutes when zero.
	TTL time.Duration
	// MinRefresh is the least age at which an unknown name triggers a
	// reload (a status added in Gainsight since the last load); one minute
	// when zero.
	MinRefresh time.Duration
	// StaleFor is how long after its load a copy still answers for the
	// names it knows while reloads fail; 24 hours when zero.
	StaleFor time.Duration
	// Shared keeps the picklist in the state table for every consumer
	// (*state.Store); nil: each consumer loads its own.
	Shared SharedPicklists
	// Tenant names the shared copy: the Gainsight base URL.
	Tenant string

	mu       sync.Mutex
	loaded   time.Time
	statuses map[string]string // lower-case name → Gsid
	types    map[string]string
	// unusable is set when the last load failed on the reply's shape.
	unusable bool
	warned   bool
	// retryAt: no reload before it, after one failed while the copy in
	// hand answered.
	retryAt time.Time
}

// SharedPicklists is the part of *state.Store that keeps a tenant's
// picklist for every consumer.
type SharedPicklists interface {
	GetPicklist(ctx context.Context, tenant string) (state.SharedPicklist, bool, error)
	PutPicklist(ctx context.Context, tenant string, p state.SharedPicklist) error
}

// reloadPause is how long a copy that answered after a failed reload
// answers alone before the next reload is tried.
const reloadPause = 30 * time.Second

func (p *Picklist) ttl() time.Duration {
	if p.TTL > 0 {
		return p.TTL
	}
	return 15 * time.Minute
}

func (p *Picklist) staleFor() time.Duration {
	if p.StaleFor > 0 {
		return p.StaleFor
	}
	return 24 * time.Hour
}

func (p *Picklist) minRefresh() time.Duration {
	if p.MinRefresh > 0 {
		return p.MinRefresh
	}
	return time.Minute
}

// checkNames refuses an event whose StatusName or GoalTypeName the tenant
// does not know. Loading the picklist costs two calls, made through the
// quota; a failure to load is returned as is (retryable), except a reply
// the client cannot read, which skips the check.
func (s *Service) checkNames(ctx context.Context, ev *events.Event) error {
	if s.Picklist == nil || ev.Type.Entity() == "metric" {
		return nil
	}
	checks := []struct {
		field, code string
		statuses    bool
	}{
		{"StatusName", "INVALID_STATUS_NAME", true},
		{"GoalTypeName", "INVALID_GOAL_TYPE_NAME", false},
	}
	for _, c := range checks {
		name, _ := ev.Data.Fields[c.field].(string)
		if name == "" {
			continue
		}
		_, known, err := s.lookupName(ctx, s.Picklist, name, c.statuses)
		if errors.Is(err, errPicklistUnusable) {
			return nil
		}
		if err != nil {
			return err
		}
		if !known {
			return permanentf(c.code, "%s %q is not a %s of this Gainsight tenant (picklist)", c.field, name,
				map[bool]string{true: "goal status", false: "goal type"}[c.statuses])
		}
	}
	return nil
}

// errPicklistUnusable: the tenant's picklist reply could not be read.
var errPicklistUnusable = errors.New("picklist reply not readable")

// goalTypeID resolves a goal's GoalTypeName into the GoalTypeId that the
// API documents for goals (GoalTypeName is documented for templates only),
// and takes the name out of rec. A name the tenant does not have is a
// permanent INVALID_GOAL_TYPE_NAME. When the picklist cannot be read, the
// name is sent as it is (said once in the log): the tenant may still
// resolve it, and events are not blocked on the pre-check. Without a
// Picklist (tests that do not need one) the name is sent as it is too.
func (s *Service) goalTypeID(ctx context.Context, rec *gainsight.GoalRecord) error {
	if s.Picklist == nil {
		return nil
	}
	name, _ := rec.Fields["GoalTypeName"].(string)
	if name == "" {
		if rec.GoalTypeName != "" {
			name = rec.GoalTypeName
		} else {
			return nil
		}
	}
	if id, _ := rec.Fields["GoalTypeId"].(string); id != "" || rec.GoalTypeID != "" {
		delete(rec.Fields, "GoalTypeName")
		rec.GoalTypeName = ""
		return nil
	}
	id, known, err := s.lookupName(ctx, s.Picklist, name, false)
	switch {
	case errors.Is(err, errPicklistUnusable):
		return nil
	case err != nil:
		return err
	case !known:
		return permanentf("INVALID_GOAL_TYPE_NAME", "GoalTypeName %q is not a goal type of this Gainsight tenant (picklist)", name)
	}
	delete(rec.Fields, "GoalTypeName")
	rec.GoalTypeName = ""
	rec.GoalTypeID = id
	return nil
}

// lookupName finds name among p's statuses or types. It answers from the
// copy in hand when that is younger than TTL (and, for a name it does not
// know, younger than MinRefresh); else from a younger shared copy; else it
// loads p from Gainsight. When that load fails, a name the copy in hand
// knows is answered from it (see Picklist). It returns errPicklistUnusable
// when the last load could not read the reply.
func (s *Service) lookupName(ctx context.Context, p *Picklist, name string, status bool) (string, bool, error) {
	name = strings.ToLower(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := s.now()
	lookup := func() (string, bool) {
		if status {
			id, ok := p.statuses[name]
			return id, ok
		}
		id, ok := p.types[name]
		return id, ok
	}
	fresh := func() (string, bool, bool, error) {
		age := now.Sub(p.loaded)
		if p.loaded.IsZero() || age >= p.ttl() {
			return "", false, false, nil
		}
		if p.unusable {
			return "", false, true, errPicklistUnusable
		}
		id, ok := lookup()
		return id, ok, ok || age < p.minRefresh(), nil
	}
	if id, ok, done, err := fresh(); done {
		return id, ok, err
	}
	if s.adoptShared(ctx, p) {
		if id, ok, done, err := fresh(); done {
			return id, ok, err
		}
	}
	stale := func() (string, bool) {
		if p.unusable || p.loaded.IsZero() || now.Sub(p.loaded) >= p.staleFor() {
			return "", false
		}
		return lookup()
	}
	if now.Before(p.retryAt) {
		if id, ok := stale(); ok {
			return id, true, nil
		}
	}
	err := s.loadPicklist(ctx, p)
	if err == nil {
		id, ok := lookup()
		return id, ok, nil
	}
	if id, ok := stale(); ok && !errors.Is(err, errPicklistUnusable) && ctx.Err() == nil {
		p.retryAt = now.Add(reloadPause)
		s.logger().WarnContext(ctx, "picklist reload failed; names it knows are checked against the copy loaded earlier",
			slog.Time("copy_loaded", p.loaded), slog.String("error", logbound.Cut(err.Error(), logbound.MaxError)))
		return id, true, nil
	}
	return "", false, err
}

// adoptShared replaces p's copy with the shared one when that was loaded
// later, and reports whether it did. A failure to read it is logged and
// changes nothing: p is then loaded from Gainsight.
func (s *Service) adoptShared(ctx context.Context, p *Picklist) bool {
	if p.Shared == nil || p.Tenant == "" {
		return false
	}
	c, ok, err := p.Shared.GetPicklist(ctx, p.Tenant)
	if err != nil {
		s.logger().WarnContext(ctx, "shared picklist not read; loading it from Gainsight",
			slog.String("error", logbound.Cut(err.Error(), logbound.MaxError)))
		return false
	}
	if !ok || !c.Loaded.After(p.loaded) || c.Loaded.After(s.now().Add(time.Minute)) {
		// None, not newer, or stamped in the future (a clock far ahead
		// would make it look fresh for too long): load it instead.
		return false
	}
	p.statuses, p.types, p.loaded, p.unusable = c.Statuses, c.Types, c.Loaded, false
	return true
}

// loadPicklist reads goal statuses and goal types (two calls); the caller
// holds p.mu. A reply the client cannot read marks p unusable until the
// TTL runs out, says so once in the log, and returns errPicklistUnusable.
func (s *Service) loadPicklist(ctx context.Context, p *Picklist) error {
	read := func(category string) (map[string]string, error) {
		var resp *gainsight.PicklistResponse
		err := s.call(ctx, func(ctx context.Context) error {
			var err error
			resp, err = s.Gainsight.Picklist(ctx, &gainsight.PicklistRequest{
				EntityIDs:            []string{gainsight.EntityAll},
				IncludeChildPicklist: true,
				PicklistCategory:     category,
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		names := map[string]string{}
		for _, l := range [][]gainsight.Picklist{resp.Picklists, resp.ChildPicklists} {
			for _, pl := range l {
				if pl.PicklistCategory == "" || pl.PicklistCategory == category {
					if _, dup := names[strings.ToLower(pl.Name)]; !dup {
						names[strings.ToLower(pl.Name)] = pl.Gsid
					}
				}
			}
		}
		return names, nil
	}
	statuses, err := read(gainsight.PicklistGoalStatus)
	var types map[string]string
	if err == nil {
		types, err = read(gainsight.PicklistGoalType)
	}
	if errors.Is(err, gainsight.ErrMalformedResponse) {
		p.unusable, p.loaded = true, s.now()
		if !p.warned {
			p.warned = true
			s.logger().WarnContext(ctx, "picklist reply not readable: the status and goal-type name check is off, goal types are sent by name",
				slog.String("error", err.Error()))
		}
		return errPicklistUnusable
	}
	if err != nil {
		return err
	}
	p.statuses, p.types, p.loaded, p.unusable = statuses, types, s.now(), false
	if p.Shared != nil && p.Tenant != "" {
		err := p.Shared.PutPicklist(ctx, p.Tenant, state.SharedPicklist{Loaded: p.loaded, Statuses: statuses, Types: types})
		if err != nil && !errors.Is(err, state.ErrOlderPicklist) {
			s.logger().WarnContext(ctx, "picklist not shared; other consumers load their own",
				slog.String("error", logbound.Cut(err.Error(), logbound.MaxError)))
		}
	}
	return nil
}
