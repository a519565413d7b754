package gainsight

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Records (goals, templates) have a few well-known fields and any number of
// others: custom fields (suffix __gc), the source fields of custom lookups
// (CompName in the spec's samples), reference objects (StatusId__gr). The
// record types here give the well-known ones Go fields and carry the rest in
// a Fields map, merged into the same JSON object:
//
//   - On the way out, a Go field that is set wins; a Fields entry fills in
//     any member the Go fields leave out, so a record can also be built
//     from a map of API names alone. A nil entry is sent as JSON null,
//     which clears the field.
//   - On the way in, members with a Go field land there and all others
//     land in Fields (numbers as float64).

// CustomField reports whether name is a custom field (suffix __gc).
func CustomField(name string) bool { return strings.HasSuffix(name, "__gc") }

// DateLayout is the layout of a goal's DueDate and of metric value
// timestamps: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// Date formats t as YYYY-MM-DD, for GoalRecord.DueDate.
func Date(t time.Time) string { return t.Format(DateLayout) }

// EpochMillis is a time as milliseconds since the Unix epoch (CreatedDate,
// ModifiedDate, createdAt, ...).
type EpochMillis int64

// Time returns m as a time.Time in UTC (the zero Time for 0).
func (m EpochMillis) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m)).UTC()
}

// Lookup resolves a field by looking a value up in another object: the
// target field (the key in Lookups, e.g. CompanyId) gets lookupField
// (e.g. Gsid) of the objectName record whose fields match, e.g.
// {"CompanyName": "Name"}: the record's CompanyName is matched against the
// company's Name.
type Lookup struct {
	Fields           map[string]string `json:"fields"`
	LookupField      string            `json:"lookupField"`
	ObjectName       string            `json:"objectName"`
	MultiMatchOption string            `json:"multiMatchOption,omitempty"`
	OnNoMatch        string            `json:"onNoMatch,omitempty"`
}

// Values of Lookup.MultiMatchOption and Lookup.OnNoMatch. The spec's
// samples show FIRSTMATCH and ERROR; MARKASERROR refuses a lookup that
// matches several records instead of taking the first.
const (
	MultiMatchFirst = "FIRSTMATCH"
	MultiMatchError = "MARKASERROR"
	OnNoMatchError  = "ERROR"
)

// Lookups maps a target field (CompanyId, RelationshipId, a custom lookup
// field such as comp_lookup_gsid__gc) to its lookup.
type Lookups map[string]Lookup

// NameLookup is the lookup the spec's samples use: sourceField of the
// record holds the Name of an objectName record ("company",
// "relationship", ...), and the target field gets that record's Gsid; the
// first match wins and no match is an error.
func NameLookup(objectName, sourceField string) Lookup {
	return Lookup{
		Fields:           map[string]string{sourceField: "Name"},
		LookupField:      "Gsid",
		ObjectName:       objectName,
		MultiMatchOption: MultiMatchFirst,
		OnNoMatch:        OnNoMatchError,
	}
}

// CompanyLookups is the lookup block for a goal whose company is given by
// name in CompanyName: {"CompanyId": NameLookup("company", "CompanyName")}.
func CompanyLookups() Lookups {
	return Lookups{"CompanyId": NameLookup("company", "CompanyName")}
}

// Association lists the CTAs and Success Plans to associate with a goal
// (or dissociate from it), by Gsid. An empty list is left out: Gainsight
// refuses an empty set (8001 CTA_RECORD_EMPTY, 8002 SP_RECORD_EMPTY).
type Association struct {
	CTA []string `json:"CTA,omitempty"`
	SP  []string `json:"SP,omitempty"`
}

func (a *Association) empty() bool { return a == nil || (len(a.CTA) == 0 && len(a.SP) == 0) }

// MetricAssociation associates a metric with a goal, with its values, or
// (MetricID alone) with a template.
type MetricAssociation struct {
	MetricID    string        `json:"metricId"`
	BaseValue   *float64      `json:"baseValue,omitempty"`
	ActualValue []MetricPoint `json:"actualValue,omitempty"`
	TargetValue *float64      `json:"targetValue,omitempty"`
}

// MetricPoint is one actual value of a metric on a date (YYYY-MM-DD).
type MetricPoint struct {
	Gsid      string  `json:"gsid,omitempty"` // in replies (often null)
	Value     float64 `json:"value"`
	Timestamp string  `json:"timestamp"`
}

// MetricRef names a metric by Gsid; templates associate and dissociate
// metrics as [{"metricId": ...}].
type MetricRef struct {
	MetricID string `json:"metricId"`
}

// MetricValue is a goal's metric as Gainsight returns it (MetricValues).
type MetricValue struct {
	Gsid        string        `json:"gsid,omitempty"`
	MetricID    string        `json:"metricId"`
	GoalID      string        `json:"goalId,omitempty"`
	BaseValue   *float64      `json:"baseValue,omitempty"`
	ActualValue []MetricPoint `json:"actualValue,omitempty"`
	TargetValue *float64      `json:"targetValue,omitempty"`
}

// UserInfo describes a user referenced by a reply (userInfo, keyed by Gsid).
type UserInfo struct {
	Gsid           string  `json:"gsid"`
	Name           string  `json:"name"`
	ProfilePicture *string `json:"profilePicture"`
}

// AssociatedRecord is a CTA or Success Plan associated with a fetched goal.
type AssociatedRecord struct {
	Gsid           string `json:"gsid"`
	Name           string `json:"name"`
	EntityType     string `json:"entityType,omitempty"`
	OwnerID        string `json:"ownerId,omitempty"`
	StatusID       string `json:"statusId,omitempty"`
	DueDate        string `json:"dueDate,omitempty"` // "2025-01-31 11:30:00"
	ClosedCtaCount *int   `json:"closedCtaCount,omitempty"`
}

// refName returns the Name inside a reference object such as
// StatusId__gr: {"Name": "New"}.
func refName(fields map[string]any, field string) string {
	m, _ := fields[field+"__gr"].(map[string]any)
	s, _ := m["Name"].(string)
	return s
}

// marshalWithFields encodes v (a struct without methods) and merges fields
// into the object for members v leaves out.
func marshalWithFields(v any, fields map[string]any) ([]byte, error) {
	b, err := marshalJSON(v)
	if err != nil || len(fields) == 0 {
		return b, err
	}
	m := make(map[string]json.RawMessage, len(fields)+16)
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, val := range fields {
		if _, ok := m[k]; ok {
			continue
		}
		raw, err := marshalJSON(val)
		if err != nil {
			return nil, err
		}
		m[k] = raw
	}
	return marshalJSON(m)
}

// unmarshalWithFields decodes data into v (a pointer to a struct without
// methods) and the members v has no field for into *fields.
func unmarshalWithFields(data []byte, v any, fields *map[string]any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	var all map[string]any
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	for k := range knownMembers(reflect.TypeOf(v).Elem()) {
		delete(all, k)
	}
	if len(all) > 0 {
		*fields = all
	} else {
		*fields = nil
	}
	return nil
}

var knownCache sync.Map // reflect.Type → map[string]struct{}

// knownMembers is the set of JSON member names of struct type t.
func knownMembers(t reflect.Type) map[string]struct{} {
	if m, ok := knownCache.Load(t); ok {
		return m.(map[string]struct{})
	}
	m := make(map[string]struct{}, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = struct{}{}
	}
	knownCache.Store(t, m)
	return m
}
