package pipedriveapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/crm/pipedriveapi"
	"github.com/goalrelay/goalrelay/shared/crm/pipedriveapi/pipedrivetest"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

var start = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newReader(t *testing.T, s *pipedrivetest.Server, c clock) *pipedriveapi.Reader {
	t.Helper()
	cred, _ := json.Marshal(map[string]any{"apiToken": s.APIToken, "companyId": "8100001"})
	r, err := pipedriveapi.Open(cred, webhook.ReaderOptions{BaseURL: s.URL, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	pr := r.(*pipedriveapi.Reader)
	pr.Client, err = pipedriveapi.New(pipedriveapi.Options{BaseURL: s.URL, APIToken: s.APIToken, Now: c.Now, Sleep: c.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func TestReadCompletesDealsWithTheirOrganisation(t *testing.T) {
	c := newClock(start)
	s := pipedrivetest.NewServer(t, func(o *pipedrivetest.Options) { o.Now = c.Now })
	s.PutOrganization(7, "Globex")
	s.PutDeal(pipedrivetest.Deal{ID: 43, Title: "Onboarding", OrgID: 7, ExpectedCloseDate: "2027-02-27"})
	s.PutDeal(pipedrivetest.Deal{ID: 44, Title: "Gone"})
	s.DeleteDeal(44)
	r := newReader(t, s, c)
	res, err := r.Read(t.Context(), "pipedrive/company/8100001", "deal", []string{"43", "44", "45", "x"})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Records["43"]
	if d.Fields["org_name"] != "Globex" || d.Fields["title"] != "Onboarding" || !d.OccurredAt.Equal(start) {
		t.Errorf("43 = %+v", d)
	}
	if want := fmt.Sprintf("pipedrive:8100001:readback:deal:43:%d", start.UnixMicro()); d.ID != want {
		t.Errorf("id %s, want %s", d.ID, want)
	}
	if got := strings.Join(res.Gone, ","); got != "x,44,45" {
		t.Errorf("gone = %s", got)
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("%d calls, want 2 (deals, organisations)", n)
	}
	for _, q := range s.Requests() {
		if strings.Contains(q.Query, s.APIToken) {
			t.Error("the token is in a URL")
		}
	}
}

func TestReadTreatsADeletedDealAsGone(t *testing.T) {
	c := newClock(start)
	s := pipedrivetest.NewServer(t, func(o *pipedrivetest.Options) { o.Now = c.Now; o.ReturnDeleted = true })
	s.PutDeal(pipedrivetest.Deal{ID: 44, Title: "Gone"})
	s.DeleteDeal(44)
	res, err := newReader(t, s, c).Read(t.Context(), "pipedrive/company/8100001", "deal", []string{"44"})
	if err != nil || len(res.Records) != 0 || len(res.Gone) != 1 {
		t.Fatalf("res %+v err %v", res, err)
	}
}

func TestReadRefusesAnotherCompany(t *testing.T) {
	c := newClock(start)
	s := pipedrivetest.NewServer(t, func(o *pipedrivetest.Options) { o.Now = c.Now })
	if _, err := newReader(t, s, c).Read(t.Context(), "pipedrive/company/9", "deal", []string{"1"}); !errors.Is(err, crm.ErrAccount) {
		t.Fatalf("err = %v", err)
	}
}

func TestThrottledIsARateLimitErrorAndPauses(t *testing.T) {
	c := newClock(start)
	s := pipedrivetest.NewServer(t, func(o *pipedrivetest.Options) { o.Now = c.Now })
	s.PutDeal(pipedrivetest.Deal{ID: 43, Title: "x"})
	s.Throttle(1, 3*time.Second)
	r := newReader(t, s, c)
	_, err := r.Read(t.Context(), "pipedrive/company/8100001", "deal", []string{"43"})
	var rl *crm.RateLimitError
	if !errors.As(err, &rl) || !rl.Throttled || rl.RetryAfter != 3*time.Second {
		t.Fatalf("err = %v", err)
	}
	before := c.Now()
	if _, err := r.Read(t.Context(), "pipedrive/company/8100001", "deal", []string{"43"}); err != nil {
		t.Fatal(err)
	}
	if c.Now().Sub(before) != 3*time.Second {
		t.Errorf("waited %s", c.Now().Sub(before))
	}
}

func TestBudgetKeepsTheBurstAndTheDay(t *testing.T) {
	c := newClock(start)
	s := pipedrivetest.NewServer(t, func(o *pipedrivetest.Options) { o.Now = c.Now; o.BurstPer2s = 3; o.DailyTokens = 100 })
	s.PutDeal(pipedrivetest.Deal{ID: 43, Title: "x"})
	cl, _ := pipedriveapi.New(pipedriveapi.Options{BaseURL: s.URL, APIToken: s.APIToken, Now: c.Now, Sleep: c.Sleep, BurstPer2s: 3, DailyTokens: 100})
	for i := range 10 {
		if _, err := cl.Deals(t.Context(), []string{"43"}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// The eleventh would spend more than the day's 100 tokens.
	_, err := cl.Deals(t.Context(), []string{"43"})
	var rl *crm.RateLimitError
	if !errors.As(err, &rl) || !rl.Daily || rl.Throttled {
		t.Fatalf("err = %v, want the limiter's own daily RateLimitError", err)
	}
	for _, q := range s.Requests() {
		if q.Status != 200 {
			t.Fatalf("the fake answered %d: the limiter let a call over the burst through", q.Status)
		}
	}
	if c.Now().Sub(start) < 6*time.Second {
		t.Errorf("10 calls at 3 per 2 s took %s", c.Now().Sub(start))
	}
}

func TestModifiedPagesInUpdateOrder(t *testing.T) {
	c := newClock(start)
	s := pipedrivetest.NewServer(t, func(o *pipedrivetest.Options) { o.Now = c.Now; o.BurstPer2s = -1 })
	s.PutOrganization(7, "Globex")
	for i := range 1200 {
		s.PutDeal(pipedrivetest.Deal{ID: int64(1000 + i), Title: "d", OrgID: 7, Updated: start.Add(time.Duration(i) * time.Second)})
	}
	r := newReader(t, s, c)
	n := 0
	var last time.Time
	for ch, err := range r.Modified(t.Context(), "pipedrive/company/8100001", "deal", start.Add(100*time.Second), start.Add(1100*time.Second)) {
		if err != nil {
			t.Fatal(err)
		}
		if ch.OccurredAt.Before(last) || ch.Fields["org_name"] != "Globex" {
			t.Fatalf("%+v", ch)
		}
		last = ch.OccurredAt
		n++
	}
	if n != 1000 {
		t.Errorf("listed %d deals, want 1000", n)
	}
}

// clock is a manual clock whose Sleep advances it, so limiter waits cost
// no real time.
type clock struct{ *gainsighttest.ManualClock }

func newClock(t time.Time) clock { return clock{gainsighttest.NewManualClock(t)} }

func (c clock) Sleep(ctx context.Context, d time.Duration) error { c.Advance(d); return ctx.Err() }
