package apply

import (
	"slices"
	"sort"

	"github.com/goalrelay/goalrelay/events"
)

// mergeable reports whether b may be folded into a unit that holds a: the
// same record and both goal upserts. Deletes, templates and metrics are
// applied one event per call.
func mergeable(a, b *events.Event) bool {
	return a.Type == events.GoalUpserted && b.Type == events.GoalUpserted && a.RecordKey() == b.RecordKey()
}

// merge folds the events of one record into the one change that has the
// same effect, in CRM time order (the queue's order breaks ties): fields,
// latest wins; associations, each event's additions and removals applied in
// turn, so a CTA added and then removed ends removed; metric values, latest
// base and target win and actual points accumulate. The result carries the
// newest event's id, time and subject.
func merge(evs []*events.Event) events.Event {
	if len(evs) == 1 {
		return *evs[0]
	}
	ordered := slices.Clone(evs)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].Time.Before(ordered[j].Time) })
	last := ordered[len(ordered)-1]
	out := *last
	out.Data = events.Data{ExternalID: last.Data.ExternalID, Fields: map[string]any{}}

	var assoc, dissoc assocSet
	metrics := map[string]*events.MetricValue{}
	var metricOrder []string
	for _, e := range ordered {
		for k, v := range e.Data.Fields {
			out.Data.Fields[k] = v
		}
		if a := e.Data.Associate; a != nil {
			assoc.add("CTA", a.CTA, &dissoc)
			assoc.add("SP", a.SP, &dissoc)
		}
		if d := e.Data.Dissociate; d != nil {
			dissoc.add("CTA", d.CTA, &assoc)
			dissoc.add("SP", d.SP, &assoc)
		}
		for _, m := range e.Data.Metrics {
			cur, ok := metrics[m.MetricID]
			if !ok {
				c := events.MetricValue{MetricID: m.MetricID}
				cur = &c
				metrics[m.MetricID] = cur
				metricOrder = append(metricOrder, m.MetricID)
			}
			if m.BaseValue != nil {
				cur.BaseValue = m.BaseValue
			}
			if m.TargetValue != nil {
				cur.TargetValue = m.TargetValue
			}
			cur.ActualValue = append(cur.ActualValue, m.ActualValue...)
		}
	}
	out.Data.Associate = assoc.associations()
	out.Data.Dissociate = dissoc.associations()
	for _, id := range metricOrder {
		out.Data.Metrics = append(out.Data.Metrics, *metrics[id])
	}
	return out
}

// assocSet is an ordered set of CTA and SP Gsids.
type assocSet struct {
	cta, sp []string
}

func (s *assocSet) list(kind string) *[]string {
	if kind == "CTA" {
		return &s.cta
	}
	return &s.sp
}

// add puts ids into s and takes them out of the opposite set.
func (s *assocSet) add(kind string, ids []string, opposite *assocSet) {
	l, o := s.list(kind), opposite.list(kind)
	for _, id := range ids {
		if !slices.Contains(*l, id) {
			*l = append(*l, id)
		}
		*o = slices.DeleteFunc(*o, func(x string) bool { return x == id })
	}
}

func (s *assocSet) associations() *events.Associations {
	if len(s.cta)+len(s.sp) == 0 {
		return nil
	}
	return &events.Associations{CTA: s.cta, SP: s.sp}
}
