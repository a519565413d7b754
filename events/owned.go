package events

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Relay-owned fields. goalrelay writes or relies on some Gainsight fields
// itself; an event must never set them, whatever its producer.
const (
	// GsidField is the Gainsight record id. goalrelay finds the goal,
	// template or metric an event is about from the record key, never
	// from the event.
	GsidField = "Gsid"
	// DefaultExternalIDField is the Gainsight custom field in which
	// goalrelay stores RecordKey() on every goal and template it creates
	// and by which it finds them again. The apply function may be
	// configured with another name (GAINSIGHT_EXTERNAL_ID_FIELD); it
	// refuses that name too (see CheckOwnedFields).
	DefaultExternalIDField = "goalrelay_external_id__gc"
)

// SystemFields are the audit fields Gainsight maintains on every record.
var SystemFields = []string{"CreatedDate", "ModifiedDate", "CreatedById", "ModifiedById"}

// OwnedFields lists the relay-owned field names IsOwnedField knows: Gsid,
// the system fields and the default external-id field. Names compare
// without regard to case, as Gainsight's do.
var OwnedFields = append([]string{GsidField, DefaultExternalIDField}, SystemFields...)

// IsOwnedField reports whether name, in any letter case, is a relay-owned
// field: Gsid, one of SystemFields or DefaultExternalIDField. A consumer
// configured with another external-id field refuses it as well, through
// CheckOwnedFields' extra names; a producer that cannot know that name
// (the ingest function) checks the default.
//
// Only these exact names are owned: other custom fields whose names
// resemble the external-id field (say crm_external_id__gc) are the
// tenant's and pass.
func IsOwnedField(name string) bool { return ownedIn(name, OwnedFields) }

func ownedIn(name string, list []string) bool {
	for _, o := range list {
		if o != "" && strings.EqualFold(name, o) {
			return true
		}
	}
	return false
}

// ErrOwnedField is wrapped by every error CheckOwnedFields returns.
var ErrOwnedField = errors.New("relay-owned field")

// OwnedFieldError names the relay-owned fields an event's data.fields
// sets. It never holds their values.
type OwnedFieldError struct {
	Type   Type
	Fields []string // as the event spells them, sorted
}

func (e *OwnedFieldError) Error() string {
	names := e.Fields
	more := ""
	if len(names) > maxNamed {
		names, more = names[:maxNamed], fmt.Sprintf(" and %d more", len(names)-maxNamed)
	}
	return fmt.Sprintf("%s: %s event sets data.fields.%s%s; goalrelay owns Gsid, its external-id field and the system fields (%s) and never takes them from an event",
		ErrOwnedField, e.Type, strings.Join(names, ", data.fields."), more, strings.Join(SystemFields, ", "))
}

// maxNamed bounds the names an OwnedFieldError message lists (a body may
// spell one name in many letter cases).
const maxNamed = 3

// Unwrap lets errors.Is(err, ErrOwnedField) hold.
func (e *OwnedFieldError) Unwrap() error { return ErrOwnedField }

// CheckOwnedFields returns an *OwnedFieldError when e's data.fields sets a
// relay-owned field, nil otherwise. extra are more owned names (the apply
// function's configured external-id field), compared without regard to
// case like the others.
//
// Goal and goal template events may set none of them: their fields reach
// Gainsight as they are, and goalrelay writes the external-id field of
// the goals and templates it creates. Metric events may not set Gsid;
// the other names have no meaning for a metric (the apply function reads
// only the metric members it knows) and pass.
func (e *Event) CheckOwnedFields(extra ...string) error {
	var found []string
	for k := range e.Data.Fields {
		owned := strings.EqualFold(k, GsidField)
		if !owned && e.Type.Entity() != "metric" {
			owned = IsOwnedField(k) || ownedIn(k, extra)
		}
		if owned {
			found = append(found, k)
		}
	}
	if len(found) == 0 {
		return nil
	}
	slices.Sort(found)
	return &OwnedFieldError{Type: e.Type, Fields: found}
}
