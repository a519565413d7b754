package ingest

import (
	"fmt"

	goalevents "github.com/goalrelay/goalrelay/events"
)

// checkOwned refuses the delivery when any event it would queue sets a
// relay-owned field in data.fields (events.Event.CheckOwnedFields: Gsid,
// the default external-id field and Gainsight's system fields, in any
// case; Gsid only for metric events). It covers canonical events of the
// generic source and mapping output alike. The error wraps
// events.ErrOwnedField (400 in the outcome table) and names the event by
// its index and the fields by name, never their values.
//
// The ingest function does not know the apply function's configured
// external-id field; apply refuses that one itself (OWNED_FIELD).
func checkOwned(evs []goalevents.Event) error {
	for i := range evs {
		if err := evs[i].CheckOwnedFields(); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	return nil
}
