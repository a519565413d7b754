package gainsight

import (
	"context"
	"encoding/json"
	"errors"
)

// Units of measure of a metric.
const (
	UnitDecimal    = "DECIMAL"
	UnitPercentage = "PERCENTAGE"
	UnitCurrency   = "CURRENCY"
)

// MetricRecord is the "record" of a metric create or update. Metric members
// are camelCase (gsid, name), unlike goal fields.
type MetricRecord struct {
	// Gsid identifies the metric to update; leave it empty on create.
	Gsid          string `json:"gsid,omitempty"`
	Name          string `json:"name,omitempty"`
	UnitOfMeasure string `json:"unitOfMeasure,omitempty"` // UnitDecimal, ...
	Description   string `json:"description,omitempty"`
}

// MetricInput is one entry of a metric create or update: the metric and the
// goal types (by Gsid or by name) to associate it with or dissociate it
// from.
type MetricInput struct {
	Record                  MetricRecord `json:"record"`
	AssociateGoalTypes      []string     `json:"associateGoalTypes,omitempty"`
	AssociateGoalTypeNames  []string     `json:"associateGoalTypeNames,omitempty"`
	DissociateGoalTypes     []string     `json:"dissociateGoalTypes,omitempty"`
	DissociateGoalTypeNames []string     `json:"dissociateGoalTypeNames,omitempty"`
}

// Metric is a metric as Gainsight returns it.
type Metric struct {
	Gsid          string      `json:"gsid"`
	Name          string      `json:"name"`
	Description   string      `json:"description,omitempty"`
	UnitOfMeasure string      `json:"unitOfMeasure,omitempty"`
	DisplayOrder  int         `json:"displayOrder,omitempty"`
	ExternalID    *string     `json:"externalId,omitempty"`
	Active        bool        `json:"active"`
	SystemDefined bool        `json:"systemDefined"`
	Deleted       bool        `json:"deleted"`
	CreatedAt     EpochMillis `json:"createdAt,omitempty"`
	CreatedBy     string      `json:"createdBy,omitempty"`
	ModifiedAt    EpochMillis `json:"modifiedAt,omitempty"`
	ModifiedBy    string      `json:"modifiedBy,omitempty"`
}

// CreateMetricsRequest creates metrics (several per call).
type CreateMetricsRequest struct {
	Requests []MetricInput
}

// UpdateMetricsRequest updates metrics, each identified by Record.Gsid.
type UpdateMetricsRequest struct {
	Requests []MetricInput
}

// MetricsResponse is the reply of a metric create or update; failureList
// entries, which the spec never shows, are passed through as sent.
type MetricsResponse struct {
	RequestID   string
	SuccessList []Metric
	FailureList []json.RawMessage
}

// CreateMetricsResponse is the reply of CreateMetrics.
type CreateMetricsResponse = MetricsResponse

// UpdateMetricsResponse is the reply of UpdateMetrics.
type UpdateMetricsResponse = MetricsResponse

type metricWriteBody struct {
	Requests []MetricInput `json:"requests"`
}

// CreateMetrics creates metrics: POST /csgoal/external/metric/ as the spec
// writes it, or under /v1 if the tenant serves that instead (see
// Client.Variants).
func (c *Client) CreateMetrics(ctx context.Context, r *CreateMetricsRequest) (*CreateMetricsResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	if len(r.Requests) == 0 {
		return nil, errors.New("gainsight: CreateMetrics: no metrics")
	}
	return c.writeMetrics(ctx, EndpointMetricCreate, r.Requests)
}

// UpdateMetrics updates metrics: PUT /csgoal/external/metric/, or under /v1
// (see Client.Variants).
func (c *Client) UpdateMetrics(ctx context.Context, r *UpdateMetricsRequest) (*UpdateMetricsResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	if len(r.Requests) == 0 {
		return nil, errors.New("gainsight: UpdateMetrics: no metrics")
	}
	for _, m := range r.Requests {
		if m.Record.Gsid == "" {
			return nil, errors.New("gainsight: UpdateMetrics: every Record needs its Gsid")
		}
	}
	return c.writeMetrics(ctx, EndpointMetricUpdate, r.Requests)
}

func (c *Client) writeMetrics(ctx context.Context, endpoint string, in []MetricInput) (*MetricsResponse, error) {
	var out struct {
		SuccessList []Metric          `json:"successList"`
		FailureList []json.RawMessage `json:"failureList"`
	}
	id, err := c.doVariant(ctx, endpoint, call{in: metricWriteBody{Requests: in}, out: &out})
	if err != nil {
		return nil, err
	}
	return &MetricsResponse{RequestID: id, SuccessList: out.SuccessList, FailureList: out.FailureList}, nil
}

// DeleteMetricsRequest deletes metrics by Gsid.
type DeleteMetricsRequest struct {
	RecordIDs []string `json:"recordIds"`
}

// DeleteMetricsResponse lists the deleted metrics.
type DeleteMetricsResponse struct {
	RequestID      string
	DeletedMetrics []Metric
}

// DeleteMetrics deletes metrics: DELETE /csgoal/external/metrics, or under
// /v1 (see Client.Variants), with a JSON body. A metric still used by a goal, a
// template or a layout is refused with VC_8026; the *APIError's Usage says
// where it is used.
func (c *Client) DeleteMetrics(ctx context.Context, r *DeleteMetricsRequest) (*DeleteMetricsResponse, error) {
	if r == nil {
		return nil, errNilRequest
	}
	if len(r.RecordIDs) == 0 {
		return nil, errors.New("gainsight: DeleteMetrics: no RecordIDs")
	}
	var out struct {
		DeletedMetrics []Metric `json:"deletedMetrics"`
	}
	id, err := c.doVariant(ctx, EndpointMetricDelete, call{in: r, out: &out})
	if err != nil {
		return nil, err
	}
	return &DeleteMetricsResponse{RequestID: id, DeletedMetrics: out.DeletedMetrics}, nil
}
