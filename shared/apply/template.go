package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// resolveTemplate finds the template's Gsid: from the state, else by a
// template Fetch on the external-id field.
func (s *Service) resolveTemplate(ctx context.Context, w *work) (string, error) {
	if w.goal.Gsid != "" {
		return w.goal.Gsid, nil
	}
	var resp *gainsight.FetchTemplatesResponse
	err := s.call(ctx, func(ctx context.Context) error {
		var err error
		resp, err = s.Gainsight.FetchTemplates(ctx, &gainsight.FetchTemplatesRequest{
			Select:   []string{"Gsid"},
			Where:    gainsight.Where(gainsight.Cond(s.externalIDField(), gainsight.OpEQ, w.key)),
			PageSize: 2,
		})
		return err
	})
	if err != nil || len(resp.Templates) == 0 {
		return "", err
	}
	return s.adoptGsid(ctx, w.key, resp.Templates[0].Gsid)
}

func (s *Service) upsertTemplate(ctx context.Context, w *work) (outcome, error) {
	gsid, err := s.resolveTemplate(ctx, w)
	if err != nil {
		return retry, err
	}
	rec := gainsight.TemplateRecord{Gsid: gsid, Fields: maps.Clone(w.ev.Data.Fields)}
	if rec.Fields == nil {
		rec.Fields = map[string]any{}
	}
	delete(rec.Fields, "Gsid")
	var resp *gainsight.TemplatesResponse
	if gsid == "" {
		rec.Fields[s.externalIDField()] = w.key
		if err := s.Store.MarkCreating(ctx, w.key, w.ev.ID); err != nil {
			return retry, err
		}
		err = s.call(ctx, func(ctx context.Context) error {
			var err error
			resp, err = s.Gainsight.CreateTemplates(ctx, &gainsight.CreateTemplatesRequest{Requests: []gainsight.TemplateInput{{Record: rec}}})
			return err
		})
	} else {
		err = s.call(ctx, func(ctx context.Context) error {
			var err error
			resp, err = s.Gainsight.UpdateTemplates(ctx, &gainsight.UpdateTemplatesRequest{Requests: []gainsight.TemplateInput{{Record: rec}}})
			return err
		})
	}
	if err != nil {
		if o := classify(err); o == permanent {
			_ = s.Store.ClearCreating(ctx, w.key, w.ev.ID)
			return o, err
		}
		return retry, err
	}
	w.requestID = resp.RequestID
	if len(resp.FailureList) > 0 || len(resp.SuccessList) == 0 {
		_ = s.Store.ClearCreating(ctx, w.key, w.ev.ID)
		return permanent, &PermanentError{Code: "TEMPLATE_REFUSED", RequestID: resp.RequestID,
			Message: fmt.Sprintf("Gainsight refused template %s (request %s): %s", w.key, resp.RequestID, failures(resp.FailureList))}
	}
	w.gsid = resp.SuccessList[0].Gsid
	if w.gsid == "" {
		w.gsid = gsid
	}
	return done, nil
}

func (s *Service) deleteTemplate(ctx context.Context, w *work) (outcome, error) {
	gsid, err := s.resolveTemplate(ctx, w)
	if err != nil {
		return retry, err
	}
	if gsid == "" {
		return ignored, nil
	}
	var resp *gainsight.DeleteTemplatesResponse
	if err := s.call(ctx, func(ctx context.Context) error {
		var err error
		resp, err = s.Gainsight.DeleteTemplates(ctx, &gainsight.DeleteTemplatesRequest{RecordIDs: []string{gsid}})
		return err
	}); err != nil {
		return classify(err), err
	}
	w.requestID = resp.RequestID
	if len(resp.FailureList) > 0 {
		return permanent, &PermanentError{Code: "TEMPLATE_DELETE_REFUSED", RequestID: resp.RequestID,
			Message: fmt.Sprintf("Gainsight refused to delete template %s (request %s): %s", gsid, resp.RequestID, failures(resp.FailureList))}
	}
	w.deleted = gsid
	return done, nil
}

func failures(list []json.RawMessage) string {
	parts := make([]string, 0, len(list))
	for _, f := range list {
		parts = append(parts, string(f))
	}
	s := strings.Join(parts, "; ")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "..."
	}
	return s
}
