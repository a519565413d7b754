package apply

import (
	"context"
	"sync"
)

// Lanes. A batch holds up to ten messages of several message groups.
// Worked on one after another, one slow Gainsight call (up to
// GAINSIGHT_TIMEOUT) holds every later group of the batch; so Handle works
// on up to Service.Lanes (DefaultLanes) lanes at once. A lane is a list of
// groups worked on in order, each group's messages in queue order as
// before; groups whose messages touch a common state record (the goal,
// template or metric they write) share a lane, so that one batch never
// works on one record from two goroutines (which the record lock would
// refuse as busy). Every call still takes its unit of the tenant-wide
// quota, so lanes change how soon a batch is done, not how many calls a
// minute Gainsight gets.
const DefaultLanes = 4

func (s *Service) laneCount() int {
	switch {
	case s.Lanes < 0:
		return 1
	case s.Lanes == 0:
		return DefaultLanes
	}
	return s.Lanes
}

// lanes puts the groups (in order of first appearance) into lanes: groups
// that share a state record, directly or through other groups, join one
// lane, in which they keep their order.
func lanes(order []string, groups map[string][]*message) [][]string {
	parent := make(map[string]string, len(order))
	find := func(g string) string {
		for parent[g] != g {
			g = parent[g]
		}
		return g
	}
	touched := map[string]string{} // state key → the first group that touches it
	for _, g := range order {
		parent[g] = g
		for _, m := range groups[g] {
			if m.ev == nil {
				continue
			}
			k := stateKey(m.ev)
			if o, ok := touched[k]; ok {
				parent[find(g)] = find(o)
				continue
			}
			touched[k] = g
		}
	}
	index := map[string]int{} // lane's root group → its index in out
	var out [][]string
	for _, g := range order {
		r := find(g)
		i, ok := index[r]
		if !ok {
			i = len(out)
			index[r] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], g)
	}
	return out
}

// processLanes works on the lanes, at most laneCount at a time, and
// returns when every group has been worked on.
func (s *Service) processLanes(ctx context.Context, ls [][]string, groups map[string][]*message) {
	sem := make(chan struct{}, s.laneCount())
	var wg sync.WaitGroup
	for _, l := range ls {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, g := range l {
				s.processGroup(ctx, groups[g])
			}
		})
	}
	wg.Wait()
}
