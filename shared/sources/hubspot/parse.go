package hubspot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// maxIDLen keeps change ids within the SQS MessageDeduplicationId limit.
const maxIDLen = 128

// objectTypeIDs names HubSpot's standard object type ids as the classic
// subscription types spell the objects. Other ids (custom objects "2-…",
// newer standard objects) are used verbatim as the Change's Object.
var objectTypeIDs = map[string]string{
	"0-1": "contact",
	"0-2": "company",
	"0-3": "deal",
	"0-5": "ticket",
	"0-7": "product",
	"0-8": "line_item",
}

// event is one element of a Webhooks API delivery. Members not listed
// (changeFlag, sourceId, merge and association members) are ignored.
type event struct {
	EventID          flexID `json:"eventId"`
	SubscriptionID   flexID `json:"subscriptionId"`
	PortalID         flexID `json:"portalId"`
	AppID            flexID `json:"appId"`
	OccurredAt       int64  `json:"occurredAt"`
	SubscriptionType string `json:"subscriptionType"`
	EventType        string `json:"eventType"` // older name of subscriptionType
	ObjectTypeID     flexID `json:"objectTypeId"`
	AttemptNumber    int    `json:"attemptNumber"`
	ObjectID         flexID `json:"objectId"`
	ChangeSource     string `json:"changeSource"`
	PropertyName     string `json:"propertyName"`
	PropertyValue    value  `json:"propertyValue"`
}

// flexID is an id HubSpot sends as a JSON number or a string; it keeps
// the decimal text so that 64-bit ids survive exactly.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(s)
	case b[0] == '-' || '0' <= b[0] && b[0] <= '9':
		// A JSON number: keep its text; validity is checked by safeID.
		*f = flexID(b)
	default:
		return errors.New("id is neither a number nor a string")
	}
	return nil
}

// value is a propertyValue: documented as always a string; null stays
// nil and any other JSON value is kept as decoded.
type value struct{ v any }

func (v *value) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v.v = s
		return nil
	}
	return json.Unmarshal(b, &v.v)
}

// safeID reports whether s can be used as an id segment: 1–64 characters
// of [0-9A-Za-z_-]. HubSpot ids are decimal; this keeps ':' and '/' out of
// change ids and sources.
func safeID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parse turns a verified delivery into record changes.
//
// A Webhooks API delivery (a JSON array) gives one Change per (portalId,
// object type, objectId), in the order the records first appear:
//
//   - Object is the object of subscriptionType ("deal.propertyChange" →
//     "deal"); for generic subscriptions ("object.propertyChange") it comes
//     from objectTypeId (0-1 contact, 0-2 company, 0-3 deal, 0-5 ticket,
//     0-7 product, 0-8 line_item; other ids verbatim, e.g. "2-123456").
//   - Source is "hubspot/portal/<portalId>", RecordID the objectId.
//   - Fields holds every changed property by its HubSpot name with its new
//     value (a string, or nil for null); for each property the event with
//     the latest occurredAt wins (on a tie, the later one in the array).
//   - OccurredAt is the latest occurredAt of the record's events.
//   - Op is OpDelete when the record's latest event is a deletion
//     (deletion, privacyDeletion), with nil Fields; otherwise OpUpsert
//     (creation, restore, propertyChange), with non-nil Fields.
//   - ID is "hubspot:<portalId>:<object>:<objectId>:<occurredAt ms>" when
//     the Change comes from a single creation, deletion or restore event;
//     that base plus ":<propertyName>" for a single property change; and
//     the base plus ":set-<16 hex>" (a SHA-256 fingerprint of the sorted
//     kind, property and occurredAt of each distinct event) when it
//     carries several events. The same events give the same id whatever
//     their order or duplication, so a retried delivery is deduplicated,
//     while a property change that HubSpot delivers in a different batch
//     with the same occurredAt is not mistaken for a duplicate.
//
// associationChange, merge and unknown event kinds are ignored; a delivery
// with nothing else gives no changes and no error (answer 2xx, HubSpot
// retries anything else). An empty array likewise gives no changes.
//
// A workflow "Send a webhook" delivery (a JSON object) gives one Change
// for the enrolled record (see "Workflow deliveries" in the package
// documentation): Fields are the record's properties, and ID is
// "hubspot:<portalId>:<object>:<recordId>:<last modified ms>:workflow".
//
// Errors wrap webhook.ErrMalformed (not JSON, or members of the wrong
// type) or webhook.ErrUnmappable (a member needed for the id is missing).
func (a *Adapter) parse(r *webhook.Request) ([]webhook.Change, error) {
	c, ok := firstByte(r.Body)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: hubspot: empty body", webhook.ErrMalformed)
	case c == '[':
		return parseBatch(r.Body)
	case c == '{':
		return parseWorkflow(r)
	default:
		return nil, fmt.Errorf("%w: hubspot: body is neither a JSON array nor a JSON object", webhook.ErrMalformed)
	}
}

type eventKind uint8

const (
	kindIgnored eventKind = iota
	kindCreation
	kindRestore
	kindPropertyChange
	kindDeletion
)

var kindNames = [...]string{"ignored", "creation", "restore", "propertyChange", "deletion"}

func kindOf(s string) eventKind {
	switch s {
	case "creation":
		return kindCreation
	case "restore":
		return kindRestore
	case "propertyChange":
		return kindPropertyChange
	case "deletion", "privacyDeletion":
		return kindDeletion
	}
	return kindIgnored
}

type groupKey struct{ portal, object, id string }

type seen struct {
	kind eventKind
	prop string
	at   int64
}

type prop struct {
	v  any
	at int64
}

type group struct {
	key      groupKey
	props    map[string]prop
	events   []seen // distinct
	maxAt    int64
	deleteAt int64 // latest deletion, 0 if none
}

func parseBatch(body []byte) ([]webhook.Change, error) {
	var evs []event
	if err := json.Unmarshal(body, &evs); err != nil {
		return nil, fmt.Errorf("%w: hubspot: webhook events: %s", webhook.ErrMalformed, jsonProblem(err))
	}
	if len(evs) > maxBatch {
		return nil, fmt.Errorf("%w: hubspot: %d events in one request; HubSpot sends at most %d", webhook.ErrMalformed, len(evs), maxBatch)
	}
	var groups []*group
	index := make(map[groupKey]int)
	for i := range evs {
		e := &evs[i]
		st := e.SubscriptionType
		if st == "" {
			st = e.EventType
		}
		dot := strings.LastIndexByte(st, '.')
		if st == "" || dot < 0 {
			return nil, fmt.Errorf("%w: hubspot: event %d: subscriptionType is missing or has no '.'", webhook.ErrUnmappable, i)
		}
		kind := kindOf(st[dot+1:])
		if kind == kindIgnored {
			continue
		}
		object := st[:dot]
		if object == "object" {
			t := string(e.ObjectTypeID)
			if name, ok := objectTypeIDs[t]; ok {
				object = name
			} else {
				object = t
			}
		}
		switch {
		case !safeID(object):
			return nil, fmt.Errorf("%w: hubspot: event %d: no usable object type", webhook.ErrUnmappable, i)
		case !safeID(string(e.PortalID)):
			return nil, fmt.Errorf("%w: hubspot: event %d: portalId is missing or invalid", webhook.ErrUnmappable, i)
		case !safeID(string(e.ObjectID)):
			return nil, fmt.Errorf("%w: hubspot: event %d: objectId is missing or invalid", webhook.ErrUnmappable, i)
		case e.OccurredAt <= 0:
			return nil, fmt.Errorf("%w: hubspot: event %d: occurredAt is missing", webhook.ErrUnmappable, i)
		case kind == kindPropertyChange && e.PropertyName == "":
			return nil, fmt.Errorf("%w: hubspot: event %d: propertyChange without propertyName", webhook.ErrUnmappable, i)
		}
		k := groupKey{string(e.PortalID), object, string(e.ObjectID)}
		gi, ok := index[k]
		if !ok {
			gi = len(groups)
			index[k] = gi
			groups = append(groups, &group{key: k})
		}
		g := groups[gi]
		s := seen{kind: kind, at: e.OccurredAt}
		if kind == kindPropertyChange {
			s.prop = e.PropertyName
			if g.props == nil {
				g.props = make(map[string]prop)
			}
			if old, ok := g.props[e.PropertyName]; !ok || e.OccurredAt >= old.at {
				g.props[e.PropertyName] = prop{v: e.PropertyValue.v, at: e.OccurredAt}
			}
		}
		if !slices.Contains(g.events, s) {
			g.events = append(g.events, s)
		}
		g.maxAt = max(g.maxAt, e.OccurredAt)
		if kind == kindDeletion {
			g.deleteAt = max(g.deleteAt, e.OccurredAt)
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	out := make([]webhook.Change, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.change())
	}
	return out, nil
}

func (g *group) change() webhook.Change {
	c := webhook.Change{
		ID:         g.id(),
		Source:     namespace + g.key.portal,
		Object:     g.key.object,
		RecordID:   g.key.id,
		OccurredAt: time.UnixMilli(g.maxAt).UTC(),
	}
	if g.deleteAt != 0 && g.deleteAt == g.maxAt {
		c.Op = webhook.OpDelete
		return c
	}
	c.Op = webhook.OpUpsert
	c.Fields = make(map[string]any, len(g.props))
	for name, p := range g.props {
		c.Fields[name] = p.v
	}
	return c
}

func (g *group) id() string {
	base := "hubspot:" + g.key.portal + ":" + g.key.object + ":" + g.key.id + ":" + strconv.FormatInt(g.maxAt, 10)
	if len(g.events) == 1 {
		e := g.events[0]
		if e.kind != kindPropertyChange {
			return base
		}
		if id := base + ":" + e.prop; len(id) <= maxIDLen && safeID(e.prop) && !strings.HasPrefix(e.prop, "set-") {
			return id
		}
	}
	lines := make([]string, len(g.events))
	for i, e := range g.events {
		lines[i] = kindNames[e.kind] + "\x00" + e.prop + "\x00" + strconv.FormatInt(e.at, 10)
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return base + ":set-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// jsonProblem describes a decoding error without quoting the body.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at offset " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		if te.Field != "" {
			return "member " + te.Field + " has the wrong type (" + te.Value + ")"
		}
		return "unexpected JSON " + te.Value
	}
	if strings.Contains(err.Error(), "unexpected end") {
		return "truncated JSON"
	}
	return "invalid JSON"
}
