package hubspotapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Object is a CRM v3 object as HubSpot returns it.
type Object struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
}

// Prop is a property's value ("" when absent or null).
func (o *Object) Prop(name string) string {
	if v := o.Properties[name]; v != nil {
		return *v
	}
	return ""
}

// batchReply is the reply of a batch read (200 or 207).
type batchReply struct {
	Status  string   `json:"status"`
	Results []Object `json:"results"`
	Errors  []struct {
		Category string `json:"category"`
		Message  string `json:"message"`
		Context  struct {
			IDs []string `json:"ids"`
		} `json:"context"`
	} `json:"errors"`
}

type idInput struct {
	ID string `json:"id"`
}

func inputs(ids []string) []idInput {
	in := make([]idInput, len(ids))
	for i, id := range ids {
		in[i] = idInput{id}
	}
	return in
}

// BatchRead reads up to MaxBatch objects of objectType ("deals",
// "companies") with the given properties. It returns the objects found
// and the ids HubSpot reports not found (archived or deleted records are
// not returned by a batch read).
func (c *Client) BatchRead(ctx context.Context, objectType string, ids, properties []string) ([]Object, []string, error) {
	if len(ids) > MaxBatch {
		return nil, nil, fmt.Errorf("hubspotapi: %d ids in one batch read; at most %d", len(ids), MaxBatch)
	}
	var r batchReply
	body := map[string]any{"properties": properties, "inputs": inputs(ids)}
	if err := c.post(ctx, "/crm/v3/objects/"+objectType+"/batch/read", body, &r, false); err != nil {
		return nil, nil, err
	}
	found, missing := parseBatch(&r, ids)
	return found, missing, nil
}

// parseBatch keeps the objects asked for and lists the ids asked for that
// came back neither as a result nor as an error (then: missing too).
func parseBatch(r *batchReply, ids []string) (found []Object, missing []string) {
	seen := map[string]bool{}
	for _, o := range r.Results {
		if slices.Contains(ids, o.ID) && !seen[o.ID] && !o.Archived {
			seen[o.ID] = true
			found = append(found, o)
		}
	}
	for _, id := range ids {
		if !seen[id] && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	return found, missing
}

// assocReply is the v4 batch associations reply.
type assocReply struct {
	Results []struct {
		From struct {
			ID string `json:"id"`
		} `json:"from"`
		To []struct {
			ToObjectID       json.Number `json:"toObjectId"`
			AssociationTypes []struct {
				TypeID int    `json:"typeId"`
				Label  string `json:"label"`
			} `json:"associationTypes"`
		} `json:"to"`
	} `json:"results"`
}

// dealToPrimaryCompany is HubSpot's association type id of a deal's
// primary company.
const dealToPrimaryCompany = 5

// DealCompanies returns each deal's company: the primary one, else the
// lowest id. Deals without a company are absent.
func (c *Client) DealCompanies(ctx context.Context, dealIDs []string) (map[string]string, error) {
	if len(dealIDs) > MaxBatch {
		return nil, fmt.Errorf("hubspotapi: %d ids in one association read; at most %d", len(dealIDs), MaxBatch)
	}
	var r assocReply
	if err := c.post(ctx, "/crm/v4/associations/deals/companies/batch/read", map[string]any{"inputs": inputs(dealIDs)}, &r, false); err != nil {
		return nil, err
	}
	return parseAssociations(&r), nil
}

func parseAssociations(r *assocReply) map[string]string {
	out := map[string]string{}
	for _, res := range r.Results {
		if !validID(res.From.ID) {
			continue
		}
		var best string
		bestPrimary := false
		for _, to := range res.To {
			id := to.ToObjectID.String()
			if !validID(id) {
				continue
			}
			primary := false
			for _, t := range to.AssociationTypes {
				primary = primary || t.TypeID == dealToPrimaryCompany || t.Label == "Primary"
			}
			// A primary company beats any other; among equals, the lowest id.
			if best == "" || primary && !bestPrimary || primary == bestPrimary && lessID(id, best) {
				best, bestPrimary = id, primary
			}
		}
		if best != "" {
			out[res.From.ID] = best
		}
	}
	return out
}

// lessID orders decimal ids numerically.
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// cmpID compares decimal ids numerically.
func cmpID(a, b string) int {
	switch {
	case a == b:
		return 0
	case lessID(a, b):
		return -1
	}
	return 1
}

// validID: HubSpot object ids are decimal.
func validID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// searchReply is a CRM search page.
type searchReply struct {
	Total   int      `json:"total"`
	Results []Object `json:"results"`
	Paging  *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// SearchPage is one page of SearchModified.
type SearchPage struct {
	Total   int
	Results []Object
	// After is the cursor of the next page; "" on the last.
	After string
}

// SearchModified searches objectType for records with
// since <= hs_lastmodifieddate < until, oldest first, 100 a page, from
// cursor after ("" for the first page).
func (c *Client) SearchModified(ctx context.Context, objectType string, since, until time.Time, properties []string, after string) (SearchPage, error) {
	filters := []map[string]string{
		{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": strconv.FormatInt(since.UnixMilli(), 10)},
		{"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": strconv.FormatInt(until.UnixMilli(), 10)},
	}
	body := map[string]any{
		"filterGroups": []any{map[string]any{"filters": filters}},
		"sorts":        []any{map[string]string{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}},
		"properties":   properties,
		"limit":        100,
	}
	if after != "" {
		body["after"] = after
	}
	var r searchReply
	if err := c.post(ctx, "/crm/v3/objects/"+objectType+"/search", body, &r, true); err != nil {
		return SearchPage{}, err
	}
	p := SearchPage{Total: r.Total, Results: r.Results}
	if r.Paging != nil && r.Paging.Next != nil {
		p.After = r.Paging.Next.After
	}
	return p, nil
}
