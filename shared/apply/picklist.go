package apply

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// Picklist caches the tenant's goal status and goal type names so that an
// event naming one Gainsight does not know is refused before it costs a
// call. Names compare without regard to case, as Gainsight's do.
type Picklist struct {
	// TTL is how long a load is trusted; 15 minutes when zero.
	TTL time.Duration
	// MinRefresh is the least age at which an unknown name triggers a
	// reload (a status added in Gainsight since the last load); one minute
	// when zero.
	MinRefresh time.Duration

	mu       sync.Mutex
	loaded   time.Time
	statuses map[string]bool
	types    map[string]bool
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
// quota; a failure to load is returned as is (retryable).
func (s *Service) checkNames(ctx context.Context, ev *events.Event) error {
	p := s.Picklist
	if p == nil || ev.Type.Entity() == "metric" {
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
		known, err := s.knownName(ctx, strings.ToLower(name), c.statuses)
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

func (s *Service) knownName(ctx context.Context, name string, status bool) (bool, error) {
	p := s.Picklist
	p.mu.Lock()
	defer p.mu.Unlock()
	age := s.now().Sub(p.loaded)
	lookup := func() bool {
		if status {
			return p.statuses[name]
		}
		return p.types[name]
	}
	if !p.loaded.IsZero() && age < p.ttl() && (lookup() || age < p.minRefresh()) {
		return lookup(), nil
	}
	if err := s.loadPicklist(ctx); err != nil {
		return false, err
	}
	return lookup(), nil
}

// loadPicklist reads goal statuses and goal types (two calls); the caller
// holds p.mu.
func (s *Service) loadPicklist(ctx context.Context) error {
	p := s.Picklist
	read := func(category string) (map[string]bool, error) {
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
		names := map[string]bool{}
		for _, l := range [][]gainsight.Picklist{resp.Picklists, resp.ChildPicklists} {
			for _, pl := range l {
				if pl.PicklistCategory == "" || pl.PicklistCategory == category {
					names[strings.ToLower(pl.Name)] = true
				}
			}
		}
		return names, nil
	}
	statuses, err := read(gainsight.PicklistGoalStatus)
	if err != nil {
		return err
	}
	types, err := read(gainsight.PicklistGoalType)
	if err != nil {
		return err
	}
	p.statuses, p.types, p.loaded = statuses, types, s.now()
	return nil
}
