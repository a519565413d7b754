package gainsight

import (
	"context"
	"encoding/json"
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

// Picklist is one goal type or goal status.
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
	// {"GOAL_STATUS": [status Gsids]} with IncludeChildPicklist (the spec's
	// sample shows only {}).
	ChildPicklistIDs map[string][]string `json:"childPicklistIds,omitempty"`
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
	// Metrics is passed through as sent (null unless IncludeMetrics; the
	// spec shows no sample).
	Metrics json.RawMessage
}

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
	var out struct {
		Picklists      []Picklist      `json:"picklists"`
		ChildPicklists []Picklist      `json:"childPicklists"`
		Metrics        json.RawMessage `json:"metrics"`
	}
	id, err := c.do(ctx, call{method: http.MethodGet, path: PathPicklist, in: r, out: &out})
	if err != nil {
		return nil, err
	}
	return &PicklistResponse{RequestID: id, Picklists: out.Picklists, ChildPicklists: out.ChildPicklists, Metrics: out.Metrics}, nil
}
