package hubspotapi

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

// namespace is the HubSpot source's event-source prefix.
const namespace = "hubspot/portal/"

// DealProperties are the deal properties every read asks for: what the
// default mapping reads, and the record's id and last modification.
var DealProperties = []string{
	"dealname", "dealstage", "closedate", "description", "pipeline", "amount",
	"hs_object_id", "hs_lastmodifieddate", "company_name",
}

// CompanyNameField is the field a read-back deal carries its company's
// name in, as the README asks workflow webhooks to.
const CompanyNameField = "company_name"

// Credentials are the hubspot member of the CRM credentials secret.
type Credentials struct {
	AccessToken string   `json:"accessToken"`
	PortalID    string   `json:"portalId"`
	BurstPer10s int      `json:"burstPer10s"`
	DailyLimit  int      `json:"dailyLimit"`
	Properties  []string `json:"properties"`
}

// ParseCredentials reads the member. Errors wrap crm.ErrCredentials and
// never quote the value.
func ParseCredentials(raw json.RawMessage) (Credentials, error) {
	var c Credentials
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&c); err != nil {
		return Credentials{}, fmt.Errorf("hubspot: %w: want {\"accessToken\": \"...\"}", crm.ErrCredentials)
	}
	c.AccessToken = strings.TrimSpace(c.AccessToken)
	switch {
	case c.AccessToken == "":
		return Credentials{}, fmt.Errorf("hubspot: %w: accessToken is required", crm.ErrCredentials)
	case c.PortalID != "" && !validID(c.PortalID):
		return Credentials{}, fmt.Errorf("hubspot: %w: portalId is not a HubSpot account id", crm.ErrCredentials)
	case c.BurstPer10s < 0 || c.DailyLimit < 0:
		return Credentials{}, fmt.Errorf("hubspot: %w: burstPer10s and dailyLimit must be positive", crm.ErrCredentials)
	case len(c.Properties) > 200:
		return Credentials{}, fmt.Errorf("hubspot: %w: more than 200 properties", crm.ErrCredentials)
	}
	for i, p := range c.Properties {
		if p == "" || len(p) > 100 || strings.ContainsAny(p, " \t\r\n\"") {
			return Credentials{}, fmt.Errorf("hubspot: %w: properties[%d] is not a property name", crm.ErrCredentials, i)
		}
	}
	return c, nil
}

// Open is the HubSpot source's webhook.ReadBack.Open.
func Open(raw json.RawMessage, o webhook.ReaderOptions) (webhook.Reader, error) {
	creds, err := ParseCredentials(raw)
	if err != nil {
		return nil, err
	}
	c, err := New(Options{BaseURL: o.BaseURL, AccessToken: creds.AccessToken, HTTPClient: o.HTTPClient, Now: o.Now,
		BurstPer10s: creds.BurstPer10s, DailyLimit: creds.DailyLimit})
	if err != nil {
		return nil, err
	}
	props := slices.Clone(DealProperties)
	for _, p := range creds.Properties {
		if !slices.Contains(props, p) {
			props = append(props, p)
		}
	}
	return &Reader{Client: c, PortalID: creds.PortalID, Properties: props}, nil
}

// Reader reads deals back as webhook changes.
type Reader struct {
	Client *Client
	// PortalID, when set, is the only portal the token reads.
	PortalID string
	// Properties are the deal properties read.
	Properties []string
}

var _ webhook.Reader = (*Reader)(nil)

// portal checks that source is a HubSpot portal the reader may read.
func (r *Reader) portal(source, object string) (string, error) {
	portal, ok := strings.CutPrefix(source, namespace)
	switch {
	case !ok || !validID(portal):
		return "", fmt.Errorf("hubspot: %w: %q is not a HubSpot portal source", crm.ErrAccount, source)
	case r.PortalID != "" && portal != r.PortalID:
		return "", fmt.Errorf("hubspot: %w: portal %s (the credentials are for %s)", crm.ErrAccount, portal, r.PortalID)
	case object != "deal":
		return "", fmt.Errorf("hubspot: %w: object %q is not read back (deals only)", crm.ErrAccount, object)
	}
	return portal, nil
}

// Read reads the deals ids of source's portal, MaxBatch at a time: one
// batch read of the deals, and for those without company_name one read of
// their associations and one of the companies' names.
func (r *Reader) Read(ctx context.Context, source, object string, ids []string) (webhook.ReadResult, error) {
	portal, err := r.portal(source, object)
	if err != nil {
		return webhook.ReadResult{}, err
	}
	res := webhook.ReadResult{Records: map[string]webhook.Change{}}
	var uniq []string
	for _, id := range ids {
		if !validID(id) {
			res.Gone = append(res.Gone, id) // no HubSpot record has such an id
			continue
		}
		if !slices.Contains(uniq, id) {
			uniq = append(uniq, id)
		}
	}
	for chunk := range slices.Chunk(uniq, MaxBatch) {
		deals, missing, err := r.Client.BatchRead(ctx, "deals", chunk, r.Properties)
		if err != nil {
			return webhook.ReadResult{}, err
		}
		res.Gone = append(res.Gone, missing...)
		names, err := r.companyNames(ctx, deals)
		if err != nil {
			return webhook.ReadResult{}, err
		}
		for _, d := range deals {
			res.Records[d.ID] = change(portal, d, names[d.ID])
		}
	}
	return res, nil
}

// companyNames returns the company name of each deal that lacks
// company_name, by deal id.
func (r *Reader) companyNames(ctx context.Context, deals []Object) (map[string]string, error) {
	var need []string
	for _, d := range deals {
		if d.Prop(CompanyNameField) == "" {
			need = append(need, d.ID)
		}
	}
	if len(need) == 0 {
		return nil, nil
	}
	companyOf, err := r.Client.DealCompanies(ctx, need)
	if err != nil {
		return nil, err
	}
	var companies []string
	for _, c := range companyOf {
		if !slices.Contains(companies, c) {
			companies = append(companies, c)
		}
	}
	if len(companies) == 0 {
		return nil, nil
	}
	slices.SortFunc(companies, cmpID)
	found, _, err := r.Client.BatchRead(ctx, "companies", companies, []string{"name"})
	if err != nil {
		return nil, err
	}
	name := map[string]string{}
	for _, c := range found {
		name[c.ID] = c.Prop("name")
	}
	out := map[string]string{}
	for deal, c := range companyOf {
		if n := name[c]; n != "" {
			out[deal] = n
		}
	}
	return out, nil
}

// change is a deal as a full-record change.
func change(portal string, d Object, companyName string) webhook.Change {
	fields := make(map[string]any, len(d.Properties)+2)
	for k, v := range d.Properties {
		if v != nil {
			fields[k] = *v
		} else {
			fields[k] = nil
		}
	}
	fields["hs_object_id"] = d.ID
	if companyName != "" && d.Prop(CompanyNameField) == "" {
		fields[CompanyNameField] = companyName
	}
	at := modifiedAt(d)
	return webhook.Change{
		ID:         "hubspot:" + portal + ":deal:" + d.ID + ":" + strconv.FormatInt(at.UnixMilli(), 10) + ":readback",
		Source:     namespace + portal,
		Object:     "deal",
		RecordID:   d.ID,
		Op:         webhook.OpUpsert,
		OccurredAt: at,
		Fields:     fields,
	}
}

// modifiedAt is hs_lastmodifieddate (ms or RFC 3339), else updatedAt;
// the Unix epoch when neither reads (a version older than any webhook's).
func modifiedAt(d Object) time.Time {
	for _, v := range []string{d.Prop("hs_lastmodifieddate"), d.UpdatedAt} {
		if v == "" {
			continue
		}
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 && ms < 253402300800000 {
			return time.UnixMilli(ms).UTC()
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.Year() >= 1970 && t.Year() <= 9999 {
			return t.UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

// Modified lists the deals of source's portal modified in [since, until),
// oldest first, with their company names (read per page of 100). A window
// whose pages reach SearchCap is continued by a new search from the last
// modification seen; deals seen at that instant are not listed twice.
func (r *Reader) Modified(ctx context.Context, source, object string, since, until time.Time) iter.Seq2[webhook.Change, error] {
	return func(yield func(webhook.Change, error) bool) {
		portal, err := r.portal(source, object)
		if err != nil {
			yield(webhook.Change{}, err)
			return
		}
		from := since
		var atFrom []string // ids already listed at exactly from
		for {
			after, listed, last := "", 0, from
			var atLast []string
			progressed := false
			for {
				page, err := r.Client.SearchModified(ctx, "deals", from, until, r.Properties, after)
				if err != nil {
					yield(webhook.Change{}, err)
					return
				}
				var keep []Object
				for _, d := range page.Results {
					at := modifiedAt(d)
					if at.Equal(from) && slices.Contains(atFrom, d.ID) {
						continue
					}
					keep = append(keep, d)
					switch {
					case at.After(last):
						last, atLast = at, []string{d.ID}
					case at.Equal(last):
						atLast = append(atLast, d.ID)
					}
				}
				names, err := r.companyNames(ctx, keep)
				if err != nil {
					yield(webhook.Change{}, err)
					return
				}
				for _, d := range keep {
					progressed = true
					if !yield(change(portal, d, names[d.ID]), nil) {
						return
					}
				}
				listed += len(page.Results)
				if page.After == "" || len(page.Results) == 0 {
					return
				}
				if n, err := strconv.Atoi(page.After); (err == nil && n >= SearchCap) || listed >= SearchCap {
					break
				}
				after = page.After
			}
			// The cap: search again from the last modification seen.
			if !progressed && last.Equal(from) {
				yield(webhook.Change{}, fmt.Errorf("hubspot: more than %d deals modified at %s; cannot list past them", SearchCap, from.Format(time.RFC3339Nano)))
				return
			}
			if last.Equal(from) {
				atFrom = append(atFrom, atLast...)
			} else {
				from, atFrom = last, atLast
			}
		}
	}
}
