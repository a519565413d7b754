package gainsight

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// TemplateRecord is the "record" of a goal template create or update. Empty
// Go fields are left out; custom __gc fields and the source fields of
// custom lookups go in Fields.
type TemplateRecord struct {
	// Gsid identifies the template to update; leave it empty on create.
	Gsid         string `json:"Gsid,omitempty"`
	Name         string `json:"Name,omitempty"`
	GoalTypeName string `json:"GoalTypeName,omitempty"`
	GoalTypeID   string `json:"GoalTypeId,omitempty"`
	StatusName   string `json:"StatusName,omitempty"`
	StatusID     string `json:"StatusId,omitempty"`
	// DueDays is sent as DueDate: for a template it is a number of days
	// (a goal created from it is due that many days later), not a date.
	// nil leaves it out; Ptr(0) sends 0.
	DueDays     *int   `json:"DueDate,omitempty"`
	Description string `json:"Description,omitempty"`
	// AssociatedWork lists Gsids of work items linked to the goal type.
	AssociatedWork []string `json:"AssociatedWork,omitempty"`
	// MetricsAssociation and MetricsDissociation name metrics as
	// [{"metricId": ...}], as the spec's template samples do (a goal update
	// dissociates with plain Gsids instead).
	MetricsAssociation  []MetricRef `json:"metricsAssociation,omitempty"`
	MetricsDissociation []MetricRef `json:"metricsDissociation,omitempty"`
	// Fields holds any other member by API name.
	Fields map[string]any `json:"-"`
}

type templateRecordJSON TemplateRecord

// MarshalJSON merges Fields into the object.
func (r TemplateRecord) MarshalJSON() ([]byte, error) {
	return marshalWithFields(templateRecordJSON(r), r.Fields)
}

// UnmarshalJSON splits known members from Fields.
func (r *TemplateRecord) UnmarshalJSON(b []byte) error {
	var v templateRecordJSON
	if err := unmarshalWithFields(b, &v, &v.Fields); err != nil {
		return err
	}
	*r = TemplateRecord(v)
	return nil
}

// Template is a goal template as Gainsight returns it (successList entries,
// fetch records). Members without a Go field (custom __gc fields, custom
// lookup targets) are in Fields.
type Template struct {
	Gsid            string      `json:"Gsid,omitempty"`
	Name            string      `json:"Name,omitempty"`
	Description     string      `json:"Description,omitempty"`
	DueDays         *int        `json:"DueDate,omitempty"` // number of days
	GoalTypeID      string      `json:"GoalTypeId,omitempty"`
	StatusID        string      `json:"StatusId,omitempty"`
	GoalCategory    string      `json:"GoalCategory,omitempty"` // TEMPLATE
	CurrencyIsoCode string      `json:"CurrencyIsoCode,omitempty"`
	AssociatedWork  []string    `json:"AssociatedWork,omitempty"`
	Deleted         bool        `json:"Deleted,omitempty"`
	CreatedByID     string      `json:"CreatedById,omitempty"`
	CreatedDate     EpochMillis `json:"CreatedDate,omitempty"`
	ModifiedByID    string      `json:"ModifiedById,omitempty"`
	ModifiedDate    EpochMillis `json:"ModifiedDate,omitempty"`

	Fields map[string]any `json:"-"`
}

type templateJSON Template

// MarshalJSON merges Fields into the object.
func (t Template) MarshalJSON() ([]byte, error) { return marshalWithFields(templateJSON(t), t.Fields) }

// UnmarshalJSON splits known members from Fields.
func (t *Template) UnmarshalJSON(b []byte) error {
	var v templateJSON
	if err := unmarshalWithFields(b, &v, &v.Fields); err != nil {
		return err
	}
	*t = Template(v)
	return nil
}

// TemplateInput is one entry of a template create or update.
type TemplateInput struct {
	Record TemplateRecord `json:"record"`
}

// CreateTemplatesRequest creates goal templates (several per call).
type CreateTemplatesRequest struct {
	Requests []TemplateInput
	Lookups  Lookups
}

// UpdateTemplatesRequest updates goal templates, each identified by
// Record.Gsid.
type UpdateTemplatesRequest struct {
	Requests []TemplateInput
	Lookups  Lookups
}

// TemplatesResponse is the reply of a template create or update:
// successList holds the templates written; failureList, whose entries the
// spec never shows, is passed through as sent.
type TemplatesResponse struct {
	RequestID   string
	SuccessList []Template
	FailureList []json.RawMessage
}

// CreateTemplatesResponse is the reply of CreateTemplates.
type CreateTemplatesResponse = TemplatesResponse

// UpdateTemplatesResponse is the reply of UpdateTemplates.
type UpdateTemplatesResponse = TemplatesResponse

type templateWriteBody struct {
	Requests []TemplateInput `json:"requests"`
	Lookups  Lookups         `json:"lookups,omitempty"`
}

type templatesData struct {
	SuccessList []Template        `json:"successList"`
	FailureList []json.RawMessage `json:"failureList"`
}

// CreateTemplates creates goal templates: POST /v1/csgoal/external/template.
func (c *Client) CreateTemplates(ctx context.Context, r *CreateTemplatesRequest) (*CreateTemplatesResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	if len(r.Requests) == 0 {
		return nil, errors.New("gainsight: CreateTemplates: no templates")
	}
	return c.writeTemplates(ctx, http.MethodPost, templateWriteBody{Requests: r.Requests, Lookups: r.Lookups})
}

// UpdateTemplates updates goal templates: PUT /v1/csgoal/external/template,
// or POST if the tenant answers PUT with 405 (see Client.Variants).
//
// The spec lists the method as POST but writes the URL line as
// "Put /v1/csgoal/external/template". PUT is tried first: the URL lines
// are the ones that name HTTP methods in the spec, and POST to the same
// path is template create, so a POST first could never be told apart from
// a create by its status.
func (c *Client) UpdateTemplates(ctx context.Context, r *UpdateTemplatesRequest) (*UpdateTemplatesResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	if len(r.Requests) == 0 {
		return nil, errors.New("gainsight: UpdateTemplates: no templates")
	}
	for _, t := range r.Requests {
		if !hasGsid(t.Record.Gsid, t.Record.Fields) {
			return nil, errors.New("gainsight: UpdateTemplates: every Record needs its Gsid")
		}
	}
	var out templatesData
	id, err := c.doVariant(ctx, EndpointTemplateUpdate, call{in: templateWriteBody{Requests: r.Requests, Lookups: r.Lookups}, out: &out})
	if err != nil {
		return nil, err
	}
	return &TemplatesResponse{RequestID: id, SuccessList: out.SuccessList, FailureList: out.FailureList}, nil
}

func (c *Client) writeTemplates(ctx context.Context, method string, in templateWriteBody) (*TemplatesResponse, error) {
	var out templatesData
	id, err := c.do(ctx, call{method: method, path: PathTemplate, in: in, out: &out})
	if err != nil {
		return nil, err
	}
	return &TemplatesResponse{RequestID: id, SuccessList: out.SuccessList, FailureList: out.FailureList}, nil
}

// DeleteTemplatesRequest deletes goal templates by Gsid.
type DeleteTemplatesRequest struct {
	RecordIDs []string `json:"recordIds"`
}

// DeleteTemplatesResponse is the reply of DeleteTemplates. SuccessList
// entries carry Gsid, Deleted, GoalCategory, ModifiedById and ModifiedDate.
type DeleteTemplatesResponse struct {
	RequestID   string
	SuccessList []Template
	FailureList []json.RawMessage
	Success     bool
	FailCount   int
}

// DeleteTemplates deletes goal templates:
// DELETE /v1/csgoal/external/template/delete, with a JSON body.
func (c *Client) DeleteTemplates(ctx context.Context, r *DeleteTemplatesRequest) (*DeleteTemplatesResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	if len(r.RecordIDs) == 0 {
		return nil, errors.New("gainsight: DeleteTemplates: no RecordIDs")
	}
	var out struct {
		SuccessList []Template        `json:"successList"`
		FailureList []json.RawMessage `json:"failureList"`
		Success     bool              `json:"success"`
		FailCount   int               `json:"failCount"`
	}
	id, err := c.do(ctx, call{method: http.MethodDelete, path: PathDeleteTemplates, in: r, out: &out})
	if err != nil {
		return nil, err
	}
	return &DeleteTemplatesResponse{
		RequestID: id, SuccessList: out.SuccessList, FailureList: out.FailureList,
		Success: out.Success, FailCount: out.FailCount,
	}, nil
}
