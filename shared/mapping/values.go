package mapping

import (
	"fmt"
	"slices"
	"strings"
)

// Values lists the string values the mapping can write into the goal and
// template field target (StatusName, GoalTypeName, ...): its constants,
// the fields onDelete sets, and each rule's value map, map default and
// default. A preflight compares them with the tenant's picklist.
//
// Open names the rules (as source.object) that can also pass a CRM value
// through unchanged (no value map, or unmapped: keep): their values cannot
// be known ahead.
func (m *Mapper) Values(target string) (values []string, open []string) {
	seen := map[string]bool{}
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" && !seen[s] {
			seen[s] = true
			values = append(values, s)
		}
	}
	for _, src := range slices.Sorted(mapKeys(m.sources)) {
		sm := m.sources[src]
		for _, obj := range slices.Sorted(mapKeys(sm.objects)) {
			om := sm.objects[obj]
			if om.entity == "metric" {
				continue
			}
			add(om.constants[target])
			if om.onDelete != nil {
				add(om.onDelete.fields[target])
			}
			for _, r := range om.rules {
				if !strings.EqualFold(r.target, target) {
					continue
				}
				for _, k := range slices.Sorted(mapKeys(r.valueMap)) {
					add(r.valueMap[k])
				}
				if r.hasMapDefault {
					add(r.mapDefault)
				}
				if r.hasDefault {
					add(r.def)
				}
				if r.valueMap == nil || r.unmapped == unmappedKeep {
					open = append(open, fmt.Sprintf("%s.%s", src, obj))
				}
			}
		}
	}
	return values, open
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
