package apply

import (
	"context"
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
// so the state table alone maps the record to its metric; a create whose
// answer was lost is retried as a create, and a duplicate metric is then
// possible (it is named in the log line of the retry).
func (s *Service) upsertMetric(ctx context.Context, w *work) (outcome, error) {
	gsid := w.goal.Gsid
	in := metricInput(w.ev.Data.Fields, gsid)
	var resp *gainsight.MetricsResponse
	var err error
	if gsid == "" {
		if in.Record.Name == "" || in.Record.UnitOfMeasure == "" {
			return permanent, permanentf("CANNOT_CREATE", "metric %s is unknown and the event lacks name or unitOfMeasure to create it", w.key)
		}
		if w.goal.CreatePending {
			s.logger().WarnContext(ctx, "metric create retried after an unknown outcome; a duplicate metric is possible",
				"record_key", w.key, "event_id", w.ev.ID)
		}
		if err := s.Store.MarkCreating(ctx, w.key, w.ev.ID); err != nil {
			return retry, err
		}
		err = s.call(ctx, func(ctx context.Context) error {
			var err error
			resp, err = s.Gainsight.CreateMetrics(ctx, &gainsight.CreateMetricsRequest{Requests: []gainsight.MetricInput{in}})
			return err
		})
	} else {
		err = s.call(ctx, func(ctx context.Context) error {
			var err error
			resp, err = s.Gainsight.UpdateMetrics(ctx, &gainsight.UpdateMetricsRequest{Requests: []gainsight.MetricInput{in}})
			return err
		})
	}
	if err != nil {
		o := classify(err)
		if o == permanent {
			_ = s.Store.ClearCreating(ctx, w.key, w.ev.ID)
		}
		return o, err
	}
	if len(resp.SuccessList) == 0 {
		_ = s.Store.ClearCreating(ctx, w.key, w.ev.ID)
		return permanent, &PermanentError{Code: "METRIC_REFUSED",
			Message: fmt.Sprintf("Gainsight refused metric %s (request %s): %s", w.key, resp.RequestID, failures(resp.FailureList))}
	}
	w.gsid = resp.SuccessList[0].Gsid
	if w.gsid == "" {
		w.gsid = gsid
	}
	return done, nil
}

// deleteMetric deletes the metric; Gainsight refuses (VC_8026, permanent)
// while a goal or template uses it.
func (s *Service) deleteMetric(ctx context.Context, w *work) (outcome, error) {
	if w.goal.Gsid == "" {
		return ignored, nil
	}
	if err := s.call(ctx, func(ctx context.Context) error {
		_, err := s.Gainsight.DeleteMetrics(ctx, &gainsight.DeleteMetricsRequest{RecordIDs: []string{w.goal.Gsid}})
		return err
	}); err != nil {
		return classify(err), err
	}
	w.deleted = w.goal.Gsid
	return done, nil
}
