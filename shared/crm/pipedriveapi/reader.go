package pipedriveapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

const namespace = "pipedrive/company/"

// OrgNameField is the field a read-back deal carries its organisation's
// name in, as v1 webhooks do.
const OrgNameField = "org_name"

// Credentials are the pipedrive member of the CRM credentials secret.
type Credentials struct {
	APIToken    string `json:"apiToken"`
	AccessToken string `json:"accessToken"`
	CompanyID   string `json:"companyId"`
	BurstPer2s  int    `json:"burstPer2s"`
	DailyTokens int    `json:"dailyTokens"`
}

// ParseCredentials reads the member. Errors wrap crm.ErrCredentials and
// never quote the value.
func ParseCredentials(raw json.RawMessage) (Credentials, error) {
	var c Credentials
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&c); err != nil {
		return Credentials{}, fmt.Errorf("pipedrive: %w: want {\"apiToken\": \"...\"}", crm.ErrCredentials)
	}
	c.APIToken, c.AccessToken = strings.TrimSpace(c.APIToken), strings.TrimSpace(c.AccessToken)
	switch {
	case c.APIToken == "" && c.AccessToken == "":
		return Credentials{}, fmt.Errorf("pipedrive: %w: apiToken or accessToken is required", crm.ErrCredentials)
	case c.CompanyID != "" && !validID(c.CompanyID):
		return Credentials{}, fmt.Errorf("pipedrive: %w: companyId is not a Pipedrive company id", crm.ErrCredentials)
	case c.BurstPer2s < 0 || c.DailyTokens < 0:
		return Credentials{}, fmt.Errorf("pipedrive: %w: burstPer2s and dailyTokens must be positive", crm.ErrCredentials)
	}
	return c, nil
}

// Open is the Pipedrive source's webhook.ReadBack.Open.
func Open(raw json.RawMessage, o webhook.ReaderOptions) (webhook.Reader, error) {
	creds, err := ParseCredentials(raw)
	if err != nil {
		return nil, err
	}
	c, err := New(Options{BaseURL: o.BaseURL, APIToken: creds.APIToken, AccessToken: creds.AccessToken,
		HTTPClient: o.HTTPClient, Now: o.Now, BurstPer2s: creds.BurstPer2s, DailyTokens: creds.DailyTokens})
	if err != nil {
		return nil, err
	}
	return &Reader{Client: c, CompanyID: creds.CompanyID}, nil
}

// Reader reads deals back as webhook changes.
type Reader struct {
	Client *Client
	// CompanyID, when set, is the only company the token reads.
	CompanyID string
}

var _ webhook.Reader = (*Reader)(nil)

func (r *Reader) company(source, object string) (string, error) {
	company, ok := strings.CutPrefix(source, namespace)
	switch {
	case !ok || !validID(company):
		return "", fmt.Errorf("pipedrive: %w: %q is not a Pipedrive company source", crm.ErrAccount, source)
	case r.CompanyID != "" && company != r.CompanyID:
		return "", fmt.Errorf("pipedrive: %w: company %s (the credentials are for %s)", crm.ErrAccount, company, r.CompanyID)
	case object != "deal":
		return "", fmt.Errorf("pipedrive: %w: object %q is not read back (deals only)", crm.ErrAccount, object)
	}
	return company, nil
}

// validID: Pipedrive ids are decimal.
func validID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// idText is a record's id member as decimal text ("" when it is not one).
func idText(v any) string {
	switch v := v.(type) {
	case float64:
		if v >= 0 && v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10)
		}
	case string:
		if validID(v) {
			return v
		}
	case map[string]any: // v1 style {"value": 5}
		return idText(v["value"])
	}
	return ""
}

// deleted reports a deal Pipedrive returns although it was deleted.
func deleted(d map[string]any) bool {
	return d["is_deleted"] == true || d["status"] == "deleted"
}

// Read reads the deals ids of source's company, MaxIDs at a time, and
// their organisations' names.
func (r *Reader) Read(ctx context.Context, source, object string, ids []string) (webhook.ReadResult, error) {
	company, err := r.company(source, object)
	if err != nil {
		return webhook.ReadResult{}, err
	}
	res := webhook.ReadResult{Records: map[string]webhook.Change{}}
	var uniq []string
	for _, id := range ids {
		switch {
		case !validID(id):
			res.Gone = append(res.Gone, id)
		case !slices.Contains(uniq, id):
			uniq = append(uniq, id)
		}
	}
	for chunk := range slices.Chunk(uniq, MaxIDs) {
		deals, err := r.Client.Deals(ctx, chunk)
		if err != nil {
			return webhook.ReadResult{}, err
		}
		found := keepDeals(deals, chunk)
		names, err := r.orgNames(ctx, found)
		if err != nil {
			return webhook.ReadResult{}, err
		}
		for _, id := range chunk {
			d, ok := found[id]
			if !ok {
				res.Gone = append(res.Gone, id)
				continue
			}
			res.Records[id] = change(company, id, d, names)
		}
	}
	return res, nil
}

// keepDeals are the deals asked for, by id, without deleted ones.
func keepDeals(deals []map[string]any, asked []string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, d := range deals {
		id := idText(d["id"])
		if id == "" || !slices.Contains(asked, id) || deleted(d) {
			continue
		}
		out[id] = d
	}
	return out
}

// orgNames reads the names of the deals' organisations, by org id.
func (r *Reader) orgNames(ctx context.Context, deals map[string]map[string]any) (map[string]string, error) {
	var orgs []string
	for _, d := range deals {
		if _, ok := d[OrgNameField].(string); ok {
			continue
		}
		if o := idText(d["org_id"]); o != "" && !slices.Contains(orgs, o) {
			orgs = append(orgs, o)
		}
	}
	names := map[string]string{}
	slices.Sort(orgs)
	for chunk := range slices.Chunk(orgs, MaxIDs) {
		list, err := r.Client.Organizations(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, o := range list {
			if id, name := idText(o["id"]), o["name"]; id != "" && slices.Contains(chunk, id) {
				if s, ok := name.(string); ok && s != "" {
					names[id] = s
				}
			}
		}
	}
	return names, nil
}

// change is a deal as a full-record change.
func change(company, id string, d map[string]any, orgNames map[string]string) webhook.Change {
	fields := make(map[string]any, len(d)+1)
	for k, v := range d {
		fields[k] = v
	}
	if _, ok := fields[OrgNameField].(string); !ok {
		if n := orgNames[idText(d["org_id"])]; n != "" {
			fields[OrgNameField] = n
		}
	}
	at := updatedAt(d)
	return webhook.Change{
		ID:         "pipedrive:" + company + ":readback:deal:" + id + ":" + strconv.FormatInt(at.UnixMicro(), 10),
		Source:     namespace + company,
		Object:     "deal",
		RecordID:   id,
		Op:         webhook.OpUpsert,
		OccurredAt: at,
		Fields:     fields,
	}
}

// updatedAt is update_time (RFC 3339, or "2006-01-02 15:04:05" UTC); the
// Unix epoch when it does not read.
func updatedAt(d map[string]any) time.Time {
	if s, ok := d["update_time"].(string); ok {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1970 && t.Year() <= 9999 {
				return t.UTC()
			}
		}
	}
	return time.Unix(0, 0).UTC()
}

// Modified lists the deals of source's company updated in [since, until),
// oldest first, with their organisations' names (read per page).
func (r *Reader) Modified(ctx context.Context, source, object string, since, until time.Time) iter.Seq2[webhook.Change, error] {
	return func(yield func(webhook.Change, error) bool) {
		company, err := r.company(source, object)
		if err != nil {
			yield(webhook.Change{}, err)
			return
		}
		cursor := ""
		// updated_since has whole seconds: start at the second of since.
		from := since.Truncate(time.Second)
		for {
			page, err := r.Client.UpdatedDeals(ctx, from, until, cursor)
			if err != nil {
				yield(webhook.Change{}, err)
				return
			}
			found := map[string]map[string]any{}
			var order []string
			for _, d := range page.Records {
				id := idText(d["id"])
				if id == "" || deleted(d) {
					continue
				}
				if at := updatedAt(d); at.Before(since) || !at.Before(until) {
					continue
				}
				if _, dup := found[id]; !dup {
					order = append(order, id)
				}
				found[id] = d
			}
			names, err := r.orgNames(ctx, found)
			if err != nil {
				yield(webhook.Change{}, err)
				return
			}
			for _, id := range order {
				if !yield(change(company, id, found[id], names), nil) {
					return
				}
			}
			if page.NextCursor == "" || len(page.Records) == 0 {
				return
			}
			cursor = page.NextCursor
		}
	}
}
