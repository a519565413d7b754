package pipedrive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// delivery is both body versions; which members are set tells them apart.
type delivery struct {
	V       flexString     `json:"v"`     // v1: 1
	Event   string         `json:"event"` // v1: "updated.deal"
	Meta    meta           `json:"meta"`
	Data    map[string]any `json:"data"`    // v2
	Current map[string]any `json:"current"` // v1
	// Previous (both) is decoded only when needed: deletes, and a
	// record id missing elsewhere.
	Previous json.RawMessage `json:"previous"`
}

type meta struct {
	// v2
	Action   string     `json:"action"`
	Entity   string     `json:"entity"`
	EntityID flexString `json:"entity_id"`
	Version  flexString `json:"version"`
	// v1
	Object         string          `json:"object"`
	V              flexString      `json:"v"`
	WebhookID      flexString      `json:"webhook_id"`
	TimestampMicro json.RawMessage `json:"timestamp_micro"`
	// both (v1: ID is the object id; v2: the event id)
	ID        flexString      `json:"id"`
	CompanyID flexString      `json:"company_id"`
	Timestamp json.RawMessage `json:"timestamp"`
}

// flexString takes a JSON string or number (Pipedrive sends ids both
// ways), keeping a number's literal text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*f = flexString(b)
		return nil
	}
	return errors.New("expected a string or a number")
}

const maxToken = 128

// parse turns a v1 or v2 delivery into at most one change. Errors wrap
// webhook.ErrMalformed (not JSON, wrong member types, unreadable
// timestamps) or webhook.ErrUnmappable (not a Pipedrive body, or no
// company, event id, object, record id or time). Actions other than
// create/change/delete (v2) and added/updated/deleted (v1) give no changes
// and no error.
func (Adapter) parse(r *webhook.Request) ([]webhook.Change, error) {
	var d delivery
	if err := json.Unmarshal(r.Body, &d); err != nil {
		return nil, fmt.Errorf("%w: body is not a Pipedrive webhook: %v", webhook.ErrMalformed, err)
	}
	switch {
	case strings.HasPrefix(string(d.Meta.Version), "2"):
		return parseV2(&d)
	case d.V == "1" || d.Meta.V == "1" || d.Meta.Object != "" || d.Current != nil:
		return parseV1(&d)
	case d.Meta.Entity != "":
		return parseV2(&d)
	}
	return nil, fmt.Errorf("%w: neither a v2 (meta.version, meta.entity) nor a v1 (v, meta.object) Pipedrive body", webhook.ErrUnmappable)
}

func parseV2(d *delivery) ([]webhook.Change, error) {
	m := &d.Meta
	var op webhook.Op
	switch m.Action {
	case "create", "change":
		op = webhook.OpUpsert
	case "delete":
		op = webhook.OpDelete
	case "":
		return nil, fmt.Errorf("%w: meta.action is missing", webhook.ErrUnmappable)
	default:
		return nil, nil
	}
	company, err := token("meta.company_id", string(m.CompanyID))
	if err != nil {
		return nil, err
	}
	eventID, err := token("meta.id", string(m.ID))
	if err != nil {
		return nil, err
	}
	object, err := token("meta.entity", m.Entity)
	if err != nil {
		return nil, err
	}
	fields := d.Data
	if op == webhook.OpDelete {
		if fields, err = d.previous(); err != nil {
			return nil, err
		}
	}
	record := firstNonEmpty(string(m.EntityID), idOf(d.Data))
	if record == "" {
		prev, err := d.previous()
		if err != nil {
			return nil, err
		}
		record = idOf(prev)
	}
	if record, err = token("meta.entity_id", record); err != nil {
		return nil, err
	}
	occurred, err := occurredAt(op, fields, m.Timestamp)
	if err != nil {
		return nil, err
	}
	return []webhook.Change{{
		ID:         "pipedrive:" + company + ":" + eventID,
		Source:     namespace + company,
		Object:     object,
		RecordID:   record,
		Op:         op,
		OccurredAt: occurred,
		Fields:     nonNil(fields),
	}}, nil
}

func parseV1(d *delivery) ([]webhook.Change, error) {
	m := &d.Meta
	action, object := m.Action, m.Object
	if ea, eo, ok := strings.Cut(d.Event, "."); ok {
		action, object = firstNonEmpty(action, ea), firstNonEmpty(object, eo)
	}
	var op webhook.Op
	switch action {
	case "added", "updated":
		op = webhook.OpUpsert
	case "deleted":
		op = webhook.OpDelete
	case "":
		return nil, fmt.Errorf("%w: meta.action is missing", webhook.ErrUnmappable)
	default:
		return nil, nil // "merged": a "deleted" follows
	}
	company, err := token("meta.company_id", string(m.CompanyID))
	if err != nil {
		return nil, err
	}
	object, err = token("meta.object", object)
	if err != nil {
		return nil, err
	}
	fields := d.Current
	if op == webhook.OpDelete {
		if fields, err = d.previous(); err != nil {
			return nil, err
		}
	}
	record := firstNonEmpty(string(m.ID), idOf(d.Current))
	if record == "" {
		prev, err := d.previous()
		if err != nil {
			return nil, err
		}
		record = idOf(prev)
	}
	if record, err = token("meta.id", record); err != nil {
		return nil, err
	}
	webhookID := string(m.WebhookID)
	if webhookID != "" && !validToken(webhookID) {
		return nil, fmt.Errorf("%w: meta.webhook_id is not an identifier", webhook.ErrUnmappable)
	}
	ts := m.TimestampMicro
	if isNull(ts) {
		ts = m.Timestamp
	}
	occurred, err := occurredAt(op, fields, ts)
	if err != nil {
		return nil, err
	}
	micro := strconv.FormatInt(occurred.UnixMicro(), 10)
	return []webhook.Change{{
		ID:         "pipedrive:" + company + ":v1:" + webhookID + ":" + object + ":" + record + ":" + action + ":" + micro,
		Source:     namespace + company,
		Object:     object,
		RecordID:   record,
		Op:         op,
		OccurredAt: occurred,
		Fields:     nonNil(fields),
	}}, nil
}

// previous decodes the previous member: an object or null.
func (d *delivery) previous() (map[string]any, error) {
	if isNull(d.Previous) {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(d.Previous, &m); err != nil {
		return nil, fmt.Errorf("%w: previous is not an object", webhook.ErrMalformed)
	}
	return m, nil
}

// occurredAt reads the meta timestamp, falling back to the record's
// update_time on upserts.
func occurredAt(op webhook.Op, fields map[string]any, ts json.RawMessage) (time.Time, error) {
	if !isNull(ts) {
		t, err := parseTimestamp(ts)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: meta.timestamp: %s", webhook.ErrMalformed, err)
		}
		return t, nil
	}
	if op == webhook.OpUpsert {
		if s, ok := fields["update_time"].(string); ok {
			if t, err := parseTimeString(s); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%w: no meta.timestamp", webhook.ErrUnmappable)
}

type timeError string

func (e timeError) Error() string { return string(e) }

const (
	errTimeFormat = timeError("not a unix time or an RFC 3339 / \"2006-01-02 15:04:05\" string")
	errTimeRange  = timeError("out of range")
)

// parseTimestamp reads a JSON number or string timestamp.
func parseTimestamp(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, errTimeFormat
		}
		return parseTimeString(s)
	}
	return parseUnix(string(raw))
}

// parseTimeString reads digits as a unix time, else RFC 3339, else
// Pipedrive's "2006-01-02 15:04:05" in UTC.
func parseTimeString(s string) (time.Time, error) {
	if s != "" && s[0] >= '0' && s[0] <= '9' && strings.Trim(s, "0123456789.") == "" {
		return parseUnix(s)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return inRange(t.UTC())
		}
	}
	return time.Time{}, errTimeFormat
}

// parseUnix reads a positive unix time and tells seconds, milliseconds,
// microseconds and nanoseconds apart by magnitude: seconds stay below 1e11
// until the year 5138, milliseconds below 1e14, microseconds below 1e17.
func parseUnix(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n <= 0:
			return time.Time{}, errTimeRange
		case n < 1e11:
			return inRange(time.Unix(n, 0).UTC())
		case n < 1e14:
			return inRange(time.UnixMilli(n).UTC())
		case n < 1e17:
			return inRange(time.UnixMicro(n).UTC())
		default:
			return inRange(time.Unix(0, n).UTC())
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, errTimeFormat
	}
	switch {
	case f <= 0 || f >= 1e14:
		return time.Time{}, errTimeRange
	case f >= 1e11:
		f /= 1e3 // fractional milliseconds
	}
	sec, frac := math.Modf(f)
	return inRange(time.Unix(int64(sec), int64(frac*1e9)).UTC())
}

func inRange(t time.Time) (time.Time, error) {
	if t.Unix() <= 0 || t.Year() > 9999 {
		return time.Time{}, errTimeRange
	}
	return t, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// idOf is a record's "id" member as text.
func idOf(m map[string]any) string {
	switch v := m["id"].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// token checks an identifier copied into ids and sources.
func token(name, s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: %s is missing", webhook.ErrUnmappable, name)
	}
	if !validToken(s) {
		return "", fmt.Errorf("%w: %s is not an identifier", webhook.ErrUnmappable, name)
	}
	return s, nil
}

// validToken accepts letters, digits and -_. only, at most maxToken bytes.
func validToken(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}
