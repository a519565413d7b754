package apply

import goalevents "github.com/goalrelay/goalrelay/events"

// CodeOwnedField is the DLQ error_code of an event that sets a relay-owned
// field.
const CodeOwnedField = "OWNED_FIELD"

// checkOwned refuses an event whose data.fields sets a relay-owned field:
// Gsid, Gainsight's system fields, the default external-id field, and this
// consumer's configured external-id field (GAINSIGHT_EXTERNAL_ID_FIELD), in
// any letter case (events.Event.CheckOwnedFields; for metric events, Gsid
// only). The ingest function refuses such events already; this catches
// those other producers (goalctl backfill, other teams' code) put on the
// queue. The error wraps events.ErrOwnedField: classify makes it
// permanent, so the event goes to the DLQ with CodeOwnedField before any
// claim or Gainsight call.
//
// Only the event's fields are checked: apply's own write of the external-id
// field when it creates a goal or template is not an event field.
func (s *Service) checkOwned(ev *goalevents.Event) error {
	return ev.CheckOwnedFields(s.externalIDField())
}
