package gainsight

import (
	"context"
	"errors"
	"iter"
	"net/http"
)

// DefaultPageSize is the page size sent when a fetch leaves PageSize zero.
const DefaultPageSize = 100

// FetchRequest is the body of a goal or template fetch.
type FetchRequest struct {
	// Select lists the fields to return, by API name. Required: Gainsight
	// answers an unknown name with "Invalid fields in select clause".
	Select []string `json:"select"`
	// Where filters the records; nil fetches all. See Where.
	Where *WhereClause `json:"where,omitempty"`
	// PageSize is the number of records per page; zero sends
	// DefaultPageSize.
	PageSize int `json:"pageSize"`
	// PageNumber counts from 1; zero sends 1.
	PageNumber int `json:"pageNumber"`
}

// FetchGoalsRequest is the body of FetchGoals.
type FetchGoalsRequest = FetchRequest

// FetchTemplatesRequest is the body of FetchTemplates.
type FetchTemplatesRequest = FetchRequest

func (r *FetchRequest) wire() (FetchRequest, error) {
	if r == nil {
		return FetchRequest{}, errNilRequest
	}
	if len(r.Select) == 0 {
		return FetchRequest{}, errors.New("gainsight: fetch: Select is required")
	}
	if r.PageSize < 0 || r.PageNumber < 0 {
		return FetchRequest{}, errors.New("gainsight: fetch: PageSize and PageNumber must not be negative")
	}
	w := *r
	if w.PageSize == 0 {
		w.PageSize = DefaultPageSize
	}
	if w.PageNumber == 0 {
		w.PageNumber = 1
	}
	return w, nil
}

// FetchGoalsResponse is one page of goals.
type FetchGoalsResponse struct {
	RequestID string
	// Goals hold the selected fields, with AssociatedCTAs and AssociatedSPs.
	Goals []Goal
}

type fetchedGoal struct {
	DataList       Goal               `json:"dataList"`
	AssociatedCTAs []AssociatedRecord `json:"associatedCTAs"`
	AssociatedSPs  []AssociatedRecord `json:"associatedSPs"`
}

// FetchGoals returns one page of goals: POST /v1/csgoal/external/fetch.
// AllGoals iterates over every page.
func (c *Client) FetchGoals(ctx context.Context, r *FetchGoalsRequest) (*FetchGoalsResponse, error) {
	in, err := r.wire()
	if err != nil {
		return nil, err
	}
	var out struct {
		RecordList []fetchedGoal `json:"recordList"`
	}
	id, err := c.do(ctx, call{method: http.MethodPost, path: PathFetchGoals, in: in, out: &out})
	if err != nil {
		return nil, err
	}
	res := &FetchGoalsResponse{RequestID: id, Goals: make([]Goal, len(out.RecordList))}
	for i, f := range out.RecordList {
		g := f.DataList
		g.AssociatedCTAs, g.AssociatedSPs = f.AssociatedCTAs, f.AssociatedSPs
		res.Goals[i] = g
	}
	return res, nil
}

// FetchTemplatesResponse is one page of goal templates.
type FetchTemplatesResponse struct {
	// RequestID is empty when the reply came without the envelope.
	RequestID string
	Templates []Template
}

// FetchTemplates returns one page of goal templates:
// POST /v1/csgoal/external/template/fetch. The spec's sample reply is a bare
// {"recordList": [...]} without the envelope that every other reply has;
// both are accepted. AllTemplates iterates over every page.
func (c *Client) FetchTemplates(ctx context.Context, r *FetchTemplatesRequest) (*FetchTemplatesResponse, error) {
	in, err := r.wire()
	if err != nil {
		return nil, err
	}
	var out struct {
		RecordList []Template `json:"recordList"`
	}
	id, err := c.do(ctx, call{method: http.MethodPost, path: PathFetchTemplates, in: in, out: &out, bare: true})
	if err != nil {
		return nil, err
	}
	return &FetchTemplatesResponse{RequestID: id, Templates: out.RecordList}, nil
}

// AllGoals fetches page after page, from r.PageNumber (or 1), until a page
// comes back shorter than the page size, and yields each goal. On an error
// it yields (Goal{}, err) once and stops. r is not modified.
//
//	for g, err := range c.AllGoals(ctx, req) {
//		if err != nil { return err }
//		...
//	}
func (c *Client) AllGoals(ctx context.Context, r *FetchGoalsRequest) iter.Seq2[Goal, error] {
	return pages(ctx, r, func(ctx context.Context, p *FetchRequest) ([]Goal, error) {
		res, err := c.FetchGoals(ctx, p)
		if err != nil {
			return nil, err
		}
		return res.Goals, nil
	})
}

// AllTemplates is AllGoals for goal templates.
func (c *Client) AllTemplates(ctx context.Context, r *FetchTemplatesRequest) iter.Seq2[Template, error] {
	return pages(ctx, r, func(ctx context.Context, p *FetchRequest) ([]Template, error) {
		res, err := c.FetchTemplates(ctx, p)
		if err != nil {
			return nil, err
		}
		return res.Templates, nil
	})
}

func pages[T any](ctx context.Context, r *FetchRequest, fetch func(context.Context, *FetchRequest) ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		p, err := r.wire()
		if err != nil {
			yield(zero, err)
			return
		}
		for {
			items, err := fetch(ctx, &p)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if len(items) < p.PageSize {
				return
			}
			p.PageNumber++
		}
	}
}
