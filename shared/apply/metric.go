package apply

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// metricInput builds a metric write from the event's fields: name,
// unitOfMeasure, description, and the goal-type (dis)associations by Gsid
// (associateGoalTypes, dissociateGoalTypes) or by name
// (associateGoalTypeNames, dissociateGoalTypeNames).
func metricInput(fields map[string]any, gsid string) gainsight.MetricInput {
	str := func(k string) string { s, _ := fields[k].(string); return s }
	list := func(k string) []string {
		var out []string
		switch v := fields[k].(type) {
		case []string:
			out = v
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok && s != "" {
					out = append(out, s)
				}
			}
		case string:
			if v != "" {
				out = []string{v}
			}
		}
		return out
	}
	return gainsight.MetricInput{
		Record: gainsight.MetricRecord{
			Gsid: gsid, Name: str("name"), UnitOfMeasure: str("unitOfMeasure"), Description: str("description"),
		},
		AssociateGoalTypes:      list("associateGoalTypes"),
		AssociateGoalTypeNames:  list("associateGoalTypeNames"),
		DissociateGoalTypes:     list("dissociateGoalTypes"),
		DissociateGoalTypeNames: list("dissociateGoalTypeNames"),
	}
}

// upsertMetric creates or updates a metric. Gainsight has no metric fetch,
// so the state table maps the record to its metric; a create whose answer
// was lost is resolved by name through the picklist's metric list before it
// is tried again.
func (s *Service) upsertMetric(ctx context.Context, w *work) (outcome, error) {
	in := metricInput(w.ev.Data.Fields, w.goal.Gsid)
	if w.goal.Gsid != "" {
		return s.updateMetric(ctx, w, in)
	}
	if in.Record.Name == "" || in.Record.UnitOfMeasure == "" {
		return permanent, permanentf("CANNOT_CREATE", "metric %s is unknown and the event lacks name or unitOfMeasure to create it", w.key)
	}
	if w.goal.CreatePending {
		// A create's answer was lost: look for the metric by name before
		// creating it again.
		found, err := s.findMetric(ctx, in.Record.Name)
		if err != nil {
			return retry, err
		}
		if found != "" {
			if in.Record.Gsid, err = s.adoptGsid(ctx, w.key, found); err != nil {
				return retry, err
			}
			return s.updateMetric(ctx, w, in)
		}
	}
	if err := s.Store.MarkCreating(ctx, w.key, w.ev.ID); err != nil {
		return retry, err
	}
	var resp *gainsight.MetricsResponse
	err := s.call(ctx, func(ctx context.Context) error {
		var err error
		resp, err = s.Gainsight.CreateMetrics(ctx, &gainsight.CreateMetricsRequest{Requests: []gainsight.MetricInput{in}})
		return err
	})
	if err != nil {
		o := classify(err)
		if o == permanent {
			_ = s.Store.ClearCreating(ctx, w.key, w.ev.ID)
		}
		return o, err
	}
	w.requestID = resp.RequestID
	if len(resp.SuccessList) == 0 || resp.SuccessList[0].Gsid == "" {
		_ = s.Store.ClearCreating(ctx, w.key, w.ev.ID)
		return permanent, &PermanentError{Code: "METRIC_REFUSED", RequestID: resp.RequestID,
			Message: fmt.Sprintf("Gainsight refused metric %s (request %s): %s", w.key, resp.RequestID, failures(resp.FailureList))}
	}
	w.gsid = resp.SuccessList[0].Gsid
	return done, nil
}

// deleteMetric deletes the metric; Gainsight refuses (VC_8026, permanent)
// while a goal or template uses it.
func (s *Service) deleteMetric(ctx context.Context, w *work) (outcome, error) {
	if w.goal.Gsid == "" {
		return ignored, nil
	}
	if err := s.call(ctx, func(ctx context.Context) error {
		resp, err := s.Gainsight.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{RecordIDs: []string{w.goal.Gsid}})
		if err == nil {
			w.requestID = resp.RequestID
		}
		return err
	}); err != nil {
		return classify(err), err
	}
	w.deleted = w.goal.Gsid
	return done, nil
}

func (s *Service) updateMetric(ctx context.Context, w *work, in gainsight.MetricInput) (outcome, error) {
	var resp *gainsight.MetricsResponse
	err := s.call(ctx, func(ctx context.Context) error {
		var err error
		resp, err = s.Gainsight.UpdateMetrics(ctx, &gainsight.UpdateMetricsRequest{Requests: []gainsight.MetricInput{in}})
		return err
	})
	if err != nil {
		return classify(err), err
	}
	w.requestID = resp.RequestID
	if len(resp.SuccessList) == 0 {
		return permanent, &PermanentError{Code: "METRIC_REFUSED", RequestID: resp.RequestID,
			Message: fmt.Sprintf("Gainsight refused metric %s (request %s): %s", w.key, resp.RequestID, failures(resp.FailureList))}
	}
	w.gsid = in.Record.Gsid
	return done, nil
}

// findMetric looks a metric up by name in the picklist's metric list (the
// only way the API lists metrics); "" when there is none.
func (s *Service) findMetric(ctx context.Context, name string) (string, error) {
	var resp *gainsight.PicklistResponse
	err := s.call(ctx, func(ctx context.Context) error {
		var err error
		resp, err = s.Gainsight.Picklist(ctx, &gainsight.PicklistRequest{
			EntityIDs: []string{gainsight.EntityAll}, IncludeMetrics: true, PicklistCategory: gainsight.PicklistGoalStatus,
		})
		return err
	})
	if err != nil {
		return "", err
	}
	var metrics []gainsight.Metric
	if len(resp.Metrics) > 0 && string(resp.Metrics) != "null" {
		if err := json.Unmarshal(resp.Metrics, &metrics); err != nil {
			return "", fmt.Errorf("picklist metrics: %w", err)
		}
	}
	for _, m := range metrics {
		if m.Name == name && !m.Deleted {
			return m.Gsid, nil
		}
	}
	return "", nil
}
