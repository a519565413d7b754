package mapping

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/goalrelay/goalrelay/events"
)

// owned reports, at the target's key, a target that is a relay-owned
// field (events.IsOwnedField: Gsid, the default external-id field
// goalrelay_external_id__gc, or a Gainsight system field, in any letter
// case) and returns true. Whatever the object's type, a mapping never sets
// one: goalrelay finds records itself and writes the external-id field,
// and Gainsight keeps the system fields. The ingest function would refuse
// every event of such a mapping; the loader says so at start-up instead.
func (p *parser) owned(kn *yaml.Node, path, target string) bool {
	if !events.IsOwnedField(target) {
		return false
	}
	p.errorf(kn, path, "target %q is a field goalrelay owns (Gsid, the external-id field %s and the system fields %s, in any letter case); a mapping cannot set it",
		target, events.DefaultExternalIDField, strings.Join(events.SystemFields, ", "))
	return true
}
