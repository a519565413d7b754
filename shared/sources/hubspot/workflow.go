package hubspot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// objectAliases maps the spellings a workflow URL or custom body may use
// for an object type to the singular names of the subscription types.
var objectAliases = map[string]string{
	"contacts": "contact", "companies": "company", "deals": "deal",
	"tickets": "ticket", "products": "product", "line_items": "line_item",
}

// parseWorkflow parses a workflow "Send a webhook" body; the accepted
// shapes and the rules are in the package documentation.
func parseWorkflow(r *webhook.Request) ([]webhook.Change, error) {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: hubspot: workflow body: %s", webhook.ErrMalformed, jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: hubspot: workflow body: data after the JSON object", webhook.ErrMalformed)
	}
	props, hasProps := m["properties"].(map[string]any)
	if hasProps {
		for k, v := range props {
			if w, ok := v.(map[string]any); ok {
				if inner, ok := w["value"]; ok {
					props[k] = inner
				}
			}
		}
	}
	find := func(names ...string) (any, string) {
		for _, n := range names {
			if v, ok := m[n]; ok && v != nil {
				return v, n
			}
			if v, ok := props[n]; ok && v != nil {
				return v, n
			}
		}
		return nil, ""
	}

	v, _ := find("objectId", "id", "hs_object_id", "dealId", "companyId", "vid", "canonical-vid")
	recordID, ok := idText(v)
	if !ok {
		return nil, fmt.Errorf("%w: hubspot: workflow body has no record id (id, objectId or hs_object_id)", webhook.ErrUnmappable)
	}

	q := r.Query()
	portal, ok := idText(m["portalId"])
	if !ok {
		portal, ok = idText(m["portal-id"])
	}
	if !ok {
		portal, ok = idText(q.Get("portalId"))
	}
	if !ok {
		return nil, fmt.Errorf("%w: hubspot: workflow body has no portalId; add ?portalId=<HubSpot account id> to the webhook URL", webhook.ErrUnmappable)
	}

	object := q.Get("object")
	if object == "" {
		object, _ = m["objectType"].(string)
	}
	if object == "" {
		switch {
		case m["dealId"] != nil:
			object = "deal"
		case m["companyId"] != nil:
			object = "company"
		case m["vid"] != nil || m["canonical-vid"] != nil:
			object = "contact"
		}
	}
	object = normalizeObject(object)
	if !safeID(object) {
		return nil, fmt.Errorf("%w: hubspot: workflow body names no object type; add ?object=deal (or company, ...) to the webhook URL", webhook.ErrUnmappable)
	}

	tv, name := find("hs_lastmodifieddate", "lastmodifieddate", "updatedAt")
	if tv == nil {
		return nil, fmt.Errorf("%w: hubspot: workflow body has no hs_lastmodifieddate or updatedAt; include it in the webhook body", webhook.ErrUnmappable)
	}
	at, ok := timeOf(tv)
	if !ok {
		return nil, fmt.Errorf("%w: hubspot: workflow body: %s is not a timestamp", webhook.ErrUnmappable, name)
	}
	ms := at.UnixMilli()

	c := webhook.Change{
		ID:         "hubspot:" + portal + ":" + object + ":" + recordID + ":" + strconv.FormatInt(ms, 10) + ":workflow",
		Source:     namespace + portal,
		Object:     object,
		RecordID:   recordID,
		Op:         webhook.OpUpsert,
		OccurredAt: time.UnixMilli(ms).UTC(),
	}
	if m["archived"] == true || m["isDeleted"] == true {
		c.Op = webhook.OpDelete
		return []webhook.Change{c}, nil
	}
	src := m
	if hasProps {
		src = props
	}
	c.Fields = make(map[string]any, len(src))
	for k, v := range src {
		c.Fields[k] = plain(v)
	}
	return []webhook.Change{c}, nil
}

func normalizeObject(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if n, ok := objectTypeIDs[s]; ok {
		return n
	}
	if n, ok := objectAliases[s]; ok {
		return n
	}
	return s
}

// idText returns an id given as a JSON string or number, if usable.
func idText(v any) (string, bool) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	default:
		return "", false
	}
	return s, safeID(s)
}

// timeOf reads a HubSpot timestamp: Unix milliseconds as a number or a
// string of digits, or an RFC 3339 string.
func timeOf(v any) (time.Time, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
	default:
		return time.Time{}, false
	}
	if ms, ok := parseMillis(s); ok {
		if ms <= 0 {
			return time.Time{}, false
		}
		return time.UnixMilli(ms), true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.UnixMilli() <= 0 {
		return time.Time{}, false
	}
	return t, true
}

// plain turns json.Number values into float64 (or their text when they
// do not fit), recursively, so Fields hold ordinary JSON values.
func plain(v any) any {
	switch v := v.(type) {
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	case map[string]any:
		for k, x := range v {
			v[k] = plain(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = plain(x)
		}
		return v
	}
	return v
}
