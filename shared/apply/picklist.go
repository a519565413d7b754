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
)

// Picklist caches the tenant's goal statuses and goal types, by name, so
// that an event naming one Gainsight does not know is refused before it
// costs a call, and so that a goal's GoalTypeName becomes the GoalTypeId
// the API documents for goals. Names compare without regard to case, as
// Gainsight's do.
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

	mu       sync.Mutex
	loaded   time.Time
	statuses map[string]string // lower-case name → Gsid
	types    map[string]string
	// unusable is set when the last load failed on the reply's shape.
	unusable bool
	warned   bool
}

func (p *Picklist) ttl() time.Duration {
	if p.TTL > 0 {
		return p.TTL
	}
	return 15 * time.Minute
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

// lookupName finds name among p's statuses or types, loading p when it is
// empty, older than its TTL, or does not know the name and is older than
// MinRefresh. It returns errPicklistUnusable when the last load could not
// read the reply.
func (s *Service) lookupName(ctx context.Context, p *Picklist, name string, status bool) (string, bool, error) {
	name = strings.ToLower(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	age := s.now().Sub(p.loaded)
	lookup := func() (string, bool) {
		if status {
			id, ok := p.statuses[name]
			return id, ok
		}
		id, ok := p.types[name]
		return id, ok
	}
	if !p.loaded.IsZero() && age < p.ttl() {
		if p.unusable {
			return "", false, errPicklistUnusable
		}
		if id, ok := lookup(); ok || age < p.minRefresh() {
			return id, ok, nil
		}
	}
	if err := s.loadPicklist(ctx, p); err != nil {
		return "", false, err
	}
	id, ok := lookup()
	return id, ok, nil
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
	return nil
}
