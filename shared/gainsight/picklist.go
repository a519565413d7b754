package gainsight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Picklist categories.
const (
	PicklistGoalType   = "GOAL_TYPE" // the default
	PicklistGoalStatus = "GOAL_STATUS"
)

// Entity ids of PicklistRequest.EntityIDs besides relationship type ids.
const (
	EntityCompany = "COMPANY"
	EntityAll     = "ALL_ENTITY"
)

// PicklistRequest asks for goal types or goal statuses. The three flags are
// always sent, false included, as in the spec's sample.
type PicklistRequest struct {
	// EntityIDs: EntityCompany, relationship type ids, EntityAll, or a mix.
	// Empty leaves the member out.
	EntityIDs []string `json:"entityIds,omitempty"`
	// Active true returns only active picklist values.
	Active bool `json:"active"`
	// IncludeMetrics true adds the metrics of each goal type.
	IncludeMetrics bool `json:"includeMetrics"`
	// IncludeChildPicklist true adds child values (a goal type's statuses).
	IncludeChildPicklist bool `json:"includeChildPicklist"`
	// PicklistCategory is PicklistGoalType (the default when empty) or
	// PicklistGoalStatus.
	PicklistCategory string `json:"picklistCategory,omitempty"`
}

// Picklist is one goal type or goal status. It decodes tolerantly: the
// spec shows a single sample reply, so unknown members are ignored and a
// member that is missing or of an unexpected type is left at its zero value
// (only the object itself, and in PicklistResponse a string name, are
// required).
type Picklist struct {
	Gsid               string             `json:"gsid"`
	Name               string             `json:"name"`
	SystemName         string             `json:"systemName,omitempty"`
	Color              string             `json:"color,omitempty"`
	PicklistCategory   string             `json:"picklistCategory"`
	DisplayOrder       int                `json:"displayOrder"`
	Active             bool               `json:"active"`
	OpenStatusType     bool               `json:"openStatusType"`
	Recurring          bool               `json:"recurring"`
	SystemDefined      bool               `json:"systemDefined"`
	AssociationDetails AssociationDetails `json:"associationDetails"`
	// ChildPicklistIDs lists child values by category, e.g.
	// {"GOAL_STATUS": [status Gsids]}. The spec's sample shows only {}: a
	// category whose value is a list of objects with a gsid is read as
	// those Gsids, any other shape is left out.
	ChildPicklistIDs map[string][]string `json:"childPicklistIds,omitempty"`
}

type picklistJSON Picklist

// UnmarshalJSON decodes member by member, ignoring what does not fit.
func (p *Picklist) UnmarshalJSON(b []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil || members == nil {
		return errors.New("gainsight: a picklist entry is not a JSON object")
	}
	var v picklistJSON
	targets := map[string]any{
		"gsid": &v.Gsid, "name": &v.Name, "systemName": &v.SystemName, "color": &v.Color,
		"picklistCategory": &v.PicklistCategory, "displayOrder": &v.DisplayOrder, "active": &v.Active,
		"openStatusType": &v.OpenStatusType, "recurring": &v.Recurring, "systemDefined": &v.SystemDefined,
	}
	for k, raw := range members {
		if t, ok := targets[k]; ok {
			_ = json.Unmarshal(raw, t) // a mistyped member stays zero
		}
	}
	if raw, ok := members["associationDetails"]; ok {
		var d map[string]json.RawMessage
		if json.Unmarshal(raw, &d) == nil {
			_ = json.Unmarshal(d["autoAssignFutureAssociationIds"], &v.AssociationDetails.AutoAssignFutureAssociationIDs)
			_ = json.Unmarshal(d["associationCategory"], &v.AssociationDetails.AssociationCategory)
			_ = json.Unmarshal(d["associationIds"], &v.AssociationDetails.AssociationIDs)
		}
	}
	if raw, ok := members["childPicklistIds"]; ok {
		var byCategory map[string]json.RawMessage
		if json.Unmarshal(raw, &byCategory) == nil {
			for cat, list := range byCategory {
				if ids, ok := childIDs(list); ok {
					if v.ChildPicklistIDs == nil {
						v.ChildPicklistIDs = map[string][]string{}
					}
					v.ChildPicklistIDs[cat] = ids
				}
			}
		}
	}
	*p = Picklist(v)
	return nil
}

// childIDs reads a list of Gsids, or of objects carrying a gsid.
func childIDs(raw json.RawMessage) ([]string, bool) {
	var ids []string
	if json.Unmarshal(raw, &ids) == nil {
		return ids, true
	}
	var objs []struct {
		Gsid string `json:"gsid"`
	}
	if json.Unmarshal(raw, &objs) != nil {
		return nil, false
	}
	ids = make([]string, 0, len(objs))
	for _, o := range objs {
		if o.Gsid != "" {
			ids = append(ids, o.Gsid)
		}
	}
	return ids, true
}

// AssociationDetails says which entities a picklist value applies to.
type AssociationDetails struct {
	AutoAssignFutureAssociationIDs bool     `json:"autoAssignFutureAssociationIds"`
	AssociationCategory            string   `json:"associationCategory"` // ENTITY
	AssociationIDs                 []string `json:"associationIds"`
}

// PicklistResponse is the reply of Picklist.
type PicklistResponse struct {
	RequestID      string
	Picklists      []Picklist
	ChildPicklists []Picklist
	// Metrics is passed through as sent: the spec's only sample has null
	// (it did not ask for metrics) and shows no other shape.
	Metrics json.RawMessage
}

// PicklistShapeError is returned by Picklist when a successful reply
// cannot be used: data is not an object, picklists is missing or not a
// list, or an entry of it is not an object with a string name. The spec
// shows one sample reply only, so a caller that uses the picklist for a
// pre-check (are these names known?) should treat this error as "cannot
// check" and skip the check rather than refuse or retry its work. It
// wraps ErrMalformedResponse and is not retryable.
type PicklistShapeError struct {
	Endpoint  string
	RequestID string
	// Reason says what did not fit.
	Reason string
}

func (e *PicklistShapeError) Error() string {
	s := "gainsight: " + e.Endpoint + ": unusable picklist reply: " + e.Reason
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// Unwrap returns ErrMalformedResponse.
func (e *PicklistShapeError) Unwrap() error { return ErrMalformedResponse }

// Retryable is false: the same request gets the same shape.
func (e *PicklistShapeError) Retryable() bool { return false }

// ByName returns the picklist value named name (case-sensitive), if any.
func (r *PicklistResponse) ByName(name string) (Picklist, bool) {
	for _, lists := range [][]Picklist{r.Picklists, r.ChildPicklists} {
		for _, p := range lists {
			if p.Name == name {
				return p, true
			}
		}
	}
	return Picklist{}, false
}

// Picklist returns goal types or statuses:
// GET /v1/csgoal/external/admin/picklist. As the spec says, this GET
// carries a JSON body; Go's http.Client sends it (with Content-Length).
func (c *Client) Picklist(ctx context.Context, r *PicklistRequest) (*PicklistResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	var data json.RawMessage
	id, err := c.do(ctx, call{method: http.MethodGet, path: PathPicklist, in: r, out: &data})
	if err != nil {
		return nil, err
	}
	res, reason := decodePicklistData(data)
	if reason != "" {
		return nil, &PicklistShapeError{Endpoint: http.MethodGet + " " + PathPicklist, RequestID: id, Reason: reason}
	}
	res.RequestID = id
	return res, nil
}

// decodePicklistData reads the reply's data tolerantly; reason is non-empty
// when it cannot be used.
func decodePicklistData(data json.RawMessage) (*PicklistResponse, string) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		return nil, "data is not an object"
	}
	raw, ok := members["picklists"]
	if !ok {
		return nil, "data has no picklists"
	}
	res := &PicklistResponse{}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, "picklists is not a list"
	}
	for i, e := range entries {
		var named struct {
			Name *string `json:"name"`
		}
		var p Picklist
		if json.Unmarshal(e, &named) != nil || named.Name == nil || json.Unmarshal(e, &p) != nil {
			return nil, fmt.Sprintf("picklists[%d] is not an object with a string name", i)
		}
		res.Picklists = append(res.Picklists, p)
	}
	// childPicklists is optional: entries that do not fit are left out.
	var children []json.RawMessage
	if json.Unmarshal(members["childPicklists"], &children) == nil {
		for _, e := range children {
			var named struct {
				Name *string `json:"name"`
			}
			var p Picklist
			if json.Unmarshal(e, &named) == nil && named.Name != nil && json.Unmarshal(e, &p) == nil {
				res.ChildPicklists = append(res.ChildPicklists, p)
			}
		}
	}
	if m, ok := members["metrics"]; ok {
		res.Metrics = m
	}
	return res, ""
}
