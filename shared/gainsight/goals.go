package gainsight

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// GoalRecord is the "record" of a goal create or update request. Empty Go
// fields are left out; put anything else (custom __gc fields, the source
// field of a custom lookup, a value to clear with nil) in Fields.
type GoalRecord struct {
	// Gsid identifies the goal to update; leave it empty on create.
	Gsid string `json:"Gsid,omitempty"`
	Name string `json:"Name,omitempty"`
	// StatusName or StatusID (one of them is required on create).
	StatusName string `json:"StatusName,omitempty"`
	StatusID   string `json:"StatusId,omitempty"`
	// GoalTypeID; Gainsight uses its default type when none is given. The
	// spec documents GoalTypeId for goals and GoalTypeName for templates
	// only: a tenant may refuse GoalTypeName in a goal record as an unknown
	// field (the strict simulator does, unless
	// gainsighttest.Options.AcceptGoalTypeName), so send GoalTypeID.
	GoalTypeName string `json:"GoalTypeName,omitempty"`
	GoalTypeID   string `json:"GoalTypeId,omitempty"`
	// DueDate is YYYY-MM-DD (see Date). Unlike a template's, it is a date,
	// not a number of days.
	DueDate     string `json:"DueDate,omitempty"`
	Description string `json:"Description,omitempty"`
	// EntityType is COMPANY, RELATIONSHIP, OPPORTUNITY or GLOBAL.
	EntityType string `json:"EntityType,omitempty"`
	// CompanyName, RelationshipName or OpportunityName names the entity;
	// the matching entry of Lookups resolves it (see CompanyLookups).
	CompanyName        string `json:"CompanyName,omitempty"`
	RelationshipName   string `json:"RelationshipName,omitempty"`
	OpportunityName    string `json:"OpportunityName,omitempty"`
	RelationshipTypeID string `json:"RelationshipTypeId,omitempty"`
	// TemplateID creates the goal from a template of the Goals Library.
	TemplateID string `json:"TemplateId,omitempty"`
	// AssociatedWork lists Gsids of associated work items.
	AssociatedWork []string `json:"AssociatedWork,omitempty"`
	// MetricsAssociation associates metrics with values.
	MetricsAssociation []MetricAssociation `json:"metricsAssociation,omitempty"`
	// MetricsDissociation lists metric Gsids to dissociate (update only).
	// For goals the spec's sample sends plain Gsids; templates send
	// [{"metricId": ...}] (TemplateRecord.MetricsDissociation).
	MetricsDissociation []string `json:"metricsDissociation,omitempty"`
	// Fields holds any other member by API name.
	Fields map[string]any `json:"-"`
}

type goalRecordJSON GoalRecord

// MarshalJSON merges Fields into the object.
func (r GoalRecord) MarshalJSON() ([]byte, error) {
	return marshalWithFields(goalRecordJSON(r), r.Fields)
}

// UnmarshalJSON splits known members from Fields.
func (r *GoalRecord) UnmarshalJSON(b []byte) error {
	var v goalRecordJSON
	if err := unmarshalWithFields(b, &v, &v.Fields); err != nil {
		return err
	}
	*r = GoalRecord(v)
	return nil
}

// Goal is a goal as Gainsight returns it. Members without a Go field
// (custom __gc fields, reference objects such as StatusId__gr, custom
// lookup targets) are in Fields.
type Goal struct {
	Gsid               string        `json:"Gsid,omitempty"`
	Name               string        `json:"Name,omitempty"`
	Description        string        `json:"Description,omitempty"`
	DueDate            string        `json:"DueDate,omitempty"` // YYYY-MM-DD
	EntityType         string        `json:"EntityType,omitempty"`
	GoalCategory       string        `json:"GoalCategory,omitempty"` // GOAL
	GoalTypeID         string        `json:"GoalTypeId,omitempty"`
	StatusID           string        `json:"StatusId,omitempty"`
	CompanyID          string        `json:"CompanyId,omitempty"`
	RelationshipID     string        `json:"RelationshipId,omitempty"`
	RelationshipTypeID string        `json:"RelationshipTypeId,omitempty"`
	OpportunityID      string        `json:"OpportunityId,omitempty"`
	TemplateID         string        `json:"TemplateId,omitempty"`
	CurrencyIsoCode    string        `json:"CurrencyIsoCode,omitempty"`
	AssociatedWork     []string      `json:"AssociatedWork,omitempty"`
	MetricValues       []MetricValue `json:"MetricValues,omitempty"`
	CreatedByID        string        `json:"CreatedById,omitempty"`
	CreatedDate        EpochMillis   `json:"CreatedDate,omitempty"`
	ModifiedByID       string        `json:"ModifiedById,omitempty"`
	ModifiedDate       EpochMillis   `json:"ModifiedDate,omitempty"`

	Fields map[string]any `json:"-"`

	// AssociatedCTAs and AssociatedSPs are filled by FetchGoals (they come
	// beside the record, not in it).
	AssociatedCTAs []AssociatedRecord `json:"-"`
	AssociatedSPs  []AssociatedRecord `json:"-"`
}

type goalJSON Goal

// MarshalJSON merges Fields into the object.
func (g Goal) MarshalJSON() ([]byte, error) { return marshalWithFields(goalJSON(g), g.Fields) }

// UnmarshalJSON splits known members from Fields.
func (g *Goal) UnmarshalJSON(b []byte) error {
	var v goalJSON
	if err := unmarshalWithFields(b, &v, &v.Fields); err != nil {
		return err
	}
	*g = Goal(v)
	return nil
}

// StatusName is the status name Gainsight resolved (StatusId__gr.Name), when
// the reply carries it.
func (g *Goal) StatusName() string { return refName(g.Fields, "StatusId") }

// RefName returns the Name of the reference object field+"__gr", e.g.
// RefName("CreatedById") is the creator's name.
func (g *Goal) RefName(field string) string { return refName(g.Fields, field) }

// CreateGoalRequest creates one goal. The API takes a "requests" list but
// refuses more than one goal per call ("Bulk creation of customer goals is
// not supported"), so the request carries exactly one.
type CreateGoalRequest struct {
	Record      GoalRecord
	Association *Association
	// Lookups resolves name fields of Record (CompanyName → CompanyId, custom
	// lookups).
	Lookups Lookups
}

// CreateGoalResponse is the created goal.
type CreateGoalResponse struct {
	RequestID string
	Goal      Goal
	// UserInfo describes the users the goal references, by Gsid.
	UserInfo map[string]UserInfo
}

// UpdateGoalRequest updates one goal, identified by Record.Gsid. The wire
// format has a "requests" list, but the reply carries a single "record",
// so the client sends one goal per call (the same rule as create), which is
// also what a per-goal event consumer needs.
type UpdateGoalRequest struct {
	Record       GoalRecord
	Association  *Association
	Dissociation *Association
	Lookups      Lookups
}

// UpdateGoalResponse is the updated goal (the members Gainsight returns:
// those changed, plus Gsid, ModifiedById, ModifiedDate).
type UpdateGoalResponse struct {
	RequestID string
	Record    Goal
	// UpdatedGoals and Properties are passed through as sent (the spec
	// shows only null and {}).
	UpdatedGoals json.RawMessage
	Properties   map[string]any
}

type goalItem struct {
	Record       GoalRecord   `json:"record"`
	Association  *Association `json:"association,omitempty"`
	Dissociation *Association `json:"dissociation,omitempty"`
}

type goalWriteBody struct {
	Requests []goalItem `json:"requests"`
	Lookups  Lookups    `json:"lookups,omitempty"`
}

func nonEmpty(a *Association) *Association {
	if a.empty() {
		return nil
	}
	return a
}

var errNilRequest = errors.New("gainsight: nil request")

// CreateGoal creates a goal: POST /v1/csgoal/external/create.
func (c *Client) CreateGoal(ctx context.Context, r *CreateGoalRequest) (*CreateGoalResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	in := goalWriteBody{
		Requests: []goalItem{{Record: r.Record, Association: nonEmpty(r.Association)}},
		Lookups:  r.Lookups,
	}
	var out struct {
		Goal     Goal                `json:"goal"`
		UserInfo map[string]UserInfo `json:"userInfo"`
	}
	id, err := c.do(ctx, call{method: http.MethodPost, path: PathCreateGoal, in: in, out: &out})
	if err != nil {
		return nil, err
	}
	return &CreateGoalResponse{RequestID: id, Goal: out.Goal, UserInfo: out.UserInfo}, nil
}

// UpdateGoal updates a goal: PUT /v1/csgoal/external/update.
func (c *Client) UpdateGoal(ctx context.Context, r *UpdateGoalRequest) (*UpdateGoalResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	if !hasGsid(r.Record.Gsid, r.Record.Fields) {
		return nil, errors.New("gainsight: UpdateGoal: Record.Gsid is required")
	}
	in := goalWriteBody{
		Requests: []goalItem{{
			Record:       r.Record,
			Association:  nonEmpty(r.Association),
			Dissociation: nonEmpty(r.Dissociation),
		}},
		Lookups: r.Lookups,
	}
	var out struct {
		Record       Goal            `json:"record"`
		UpdatedGoals json.RawMessage `json:"updatedGoals"`
		Properties   map[string]any  `json:"properties"`
	}
	id, err := c.do(ctx, call{method: http.MethodPut, path: PathUpdateGoal, in: in, out: &out})
	if err != nil {
		return nil, err
	}
	return &UpdateGoalResponse{RequestID: id, Record: out.Record, UpdatedGoals: out.UpdatedGoals, Properties: out.Properties}, nil
}

// hasGsid reports whether a record names its Gsid, as a Go field or in
// Fields.
func hasGsid(gsid string, fields map[string]any) bool {
	if gsid != "" {
		return true
	}
	s, _ := fields["Gsid"].(string)
	return s != ""
}
