package hubspotapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi"
	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi/hubspottest"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

var start = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newReader(t *testing.T, s *hubspottest.Server, c clock, portal string) *hubspotapi.Reader {
	t.Helper()
	cred, _ := json.Marshal(map[string]any{"accessToken": s.Token, "portalId": portal})
	r, err := hubspotapi.Open(cred, webhook.ReaderOptions{BaseURL: s.URL, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	hr := r.(*hubspotapi.Reader)
	cl, err := hubspotapi.New(hubspotapi.Options{BaseURL: s.URL, AccessToken: s.Token, Now: c.Now, Sleep: c.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	hr.Client = cl
	return hr
}

func TestReadCompletesDealsWithTheirCompany(t *testing.T) {
	c := newClock(start)
	s := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.Now = c.Now })
	s.PutCompany("5001", "Globex")
	s.PutCompany("5002", "Initech")
	s.PutDeal(hubspottest.Deal{ID: "901", Properties: map[string]string{"dealname": "Adoption", "dealstage": "contractsent"}, CompanyID: "5002", OtherCompanyIDs: []string{"5001"}})
	s.PutDeal(hubspottest.Deal{ID: "902", Properties: map[string]string{"dealname": "No company"}})
	s.PutDeal(hubspottest.Deal{ID: "903", Properties: map[string]string{"dealname": "Named", "company_name": "Own"}})
	s.PutDeal(hubspottest.Deal{ID: "904", Properties: map[string]string{"dealname": "Deleted"}})
	s.DeleteDeal("904")
	r := newReader(t, s, c, "62515")

	res, err := r.Read(t.Context(), "hubspot/portal/62515", "deal", []string{"901", "902", "903", "904", "905", "901"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Gone, ","); got != "904,905" {
		t.Errorf("gone = %s, want 904,905", got)
	}
	d := res.Records["901"]
	if d.Fields["company_name"] != "Initech" || d.Fields["dealname"] != "Adoption" || d.Fields["hs_object_id"] != "901" {
		t.Errorf("901 fields = %v (want the primary company Initech)", d.Fields)
	}
	if want := fmt.Sprintf("hubspot:62515:deal:901:%d:readback", start.UnixMilli()); d.ID != want || !d.OccurredAt.Equal(start) || d.Source != "hubspot/portal/62515" || d.Op != webhook.OpUpsert {
		t.Errorf("901 = %+v, want id %s at %s", d, want, start)
	}
	if _, ok := res.Records["902"].Fields["company_name"]; ok {
		t.Errorf("902 has a company: %v", res.Records["902"].Fields)
	}
	if res.Records["903"].Fields["company_name"] != "Own" {
		t.Errorf("903 lost its own company_name: %v", res.Records["903"].Fields)
	}
	// One call each: the deals, the associations of the deals without
	// company_name, the companies.
	for _, p := range []string{"/crm/v3/objects/deals/batch/read", "/crm/v4/associations/deals/companies/batch/read", "/crm/v3/objects/companies/batch/read"} {
		if n := s.Count(p, true); n != 1 {
			t.Errorf("%s called %d times, want 1", p, n)
		}
	}
}

func TestReadBatchesOf100(t *testing.T) {
	c := newClock(start)
	s := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.Now = c.Now })
	var ids []string
	for i := range 250 {
		id := fmt.Sprint(1000 + i)
		ids = append(ids, id)
		s.PutDeal(hubspottest.Deal{ID: id, Properties: map[string]string{"dealname": id, "company_name": "X"}})
	}
	res, err := newReader(t, s, c, "").Read(t.Context(), "hubspot/portal/1", "deal", ids)
	if err != nil || len(res.Records) != 250 {
		t.Fatalf("read %d records, err %v", len(res.Records), err)
	}
	if n := s.Count("/deals/batch/read", true); n != 3 {
		t.Errorf("%d batch reads for 250 deals, want 3", n)
	}
}

func TestReadRefusesAnotherPortal(t *testing.T) {
	c := newClock(start)
	s := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.Now = c.Now })
	_, err := newReader(t, s, c, "62515").Read(t.Context(), "hubspot/portal/77", "deal", []string{"1"})
	if !errors.Is(err, crm.ErrAccount) {
		t.Fatalf("err = %v, want ErrAccount", err)
	}
	if o, _ := crm.Classify(err); o != crm.Refused {
		t.Errorf("outcome %v, want refused", o)
	}
	if len(s.Requests()) != 0 {
		t.Error("a call was made for another portal")
	}
}

func TestThrottledReadIsARateLimitError(t *testing.T) {
	c := newClock(start)
	s := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.Now = c.Now })
	s.PutDeal(hubspottest.Deal{ID: "901"})
	s.Throttle(1, 7*time.Second)
	r := newReader(t, s, c, "")
	_, err := r.Read(t.Context(), "hubspot/portal/1", "deal", []string{"901"})
	var rl *crm.RateLimitError
	if !errors.As(err, &rl) || !rl.Throttled || rl.RetryAfter != 7*time.Second {
		t.Fatalf("err = %v, want a throttled RateLimitError with 7s", err)
	}
	if o, d := crm.Classify(err); o != crm.Wait || d != 7*time.Second {
		t.Errorf("Classify = %v %v", o, d)
	}
	// The limiter holds the next call back for the Retry-After: it waits
	// (on the manual clock) and then succeeds.
	before := c.Now()
	if _, err := r.Read(t.Context(), "hubspot/portal/1", "deal", []string{"901"}); err != nil {
		t.Fatal(err)
	}
	if waited := c.Now().Sub(before); waited != 7*time.Second {
		t.Errorf("waited %s after the 429, want 7s", waited)
	}
}

func TestBadTokenIsUnauthorizedAndNeverQuoted(t *testing.T) {
	c := newClock(start)
	s := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.Now = c.Now })
	cl, err := hubspotapi.New(hubspotapi.Options{BaseURL: s.URL, AccessToken: "pat-wrong-secret-value", Now: c.Now, Sleep: c.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = cl.BatchRead(t.Context(), "deals", []string{"1"}, nil)
	var api *crm.APIError
	if !errors.As(err, &api) || !api.Unauthorized() || api.Code != "INVALID_AUTHENTICATION" {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "pat-wrong-secret-value") {
		t.Error("the token is in the error")
	}
	if o, _ := crm.Classify(err); o != crm.Retry {
		t.Errorf("a refused token is %v, want retry", o)
	}
}

func TestLimiterKeepsTheBurstWindow(t *testing.T) {
	c := newClock(start)
	s := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.Now = c.Now; o.BurstPer10s = 5 })
	s.PutDeal(hubspottest.Deal{ID: "1", Properties: map[string]string{"company_name": "X"}})
	cl, _ := hubspotapi.New(hubspotapi.Options{BaseURL: s.URL, AccessToken: s.Token, Now: c.Now, Sleep: c.Sleep, BurstPer10s: 100})
	// The client thinks it may make 100 calls; the fake allows 5 and says
	// so in X-HubSpot-RateLimit-Remaining, which the limiter follows.
	for i := range 12 {
		if _, _, err := cl.BatchRead(t.Context(), "deals", []string{"1"}, nil); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for _, r := range s.Requests() {
		if r.Status == 429 {
			t.Fatal("the fake answered 429: the limiter ignored the remaining header")
		}
	}
	if c.Now().Sub(start) < 20*time.Second {
		t.Errorf("12 calls at 5 per 10 s took %s", c.Now().Sub(start))
	}
}

func TestModifiedSplitsPastTheSearchCap(t *testing.T) {
	if testing.Short() {
		t.Skip("lists 10,250 deals")
	}
	c := newClock(start)
	s := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.Now = c.Now; o.BurstPer10s = -1 })
	const n = 10_250
	for i := range n {
		// Three deals per millisecond, so windows split inside a group.
		s.PutDeal(hubspottest.Deal{ID: fmt.Sprint(10_000 + i), Properties: map[string]string{"company_name": "X"}, Modified: start.Add(time.Duration(i/3) * time.Millisecond)})
	}
	r := newReader(t, s, c, "")
	seen := map[string]int{}
	var last time.Time
	for ch, err := range r.Modified(t.Context(), "hubspot/portal/1", "deal", start, start.Add(time.Hour)) {
		if err != nil {
			t.Fatal(err)
		}
		seen[ch.RecordID]++
		if ch.OccurredAt.Before(last) {
			t.Fatalf("%s listed after a later deal", ch.RecordID)
		}
		last = ch.OccurredAt
	}
	if len(seen) != n {
		t.Fatalf("listed %d deals, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("deal %s listed %d times", id, k)
		}
	}
	for _, q := range s.Requests() {
		if q.Status != 200 {
			t.Fatalf("a search answered %d", q.Status)
		}
	}
}

// clock is a manual clock whose Sleep advances it, so limiter waits cost
// no real time.
type clock struct{ *gainsighttest.ManualClock }

func newClock(t time.Time) clock { return clock{gainsighttest.NewManualClock(t)} }

func (c clock) Sleep(ctx context.Context, d time.Duration) error { c.Advance(d); return ctx.Err() }
