package reconcile_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi"
	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi/hubspottest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/reconcile"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

const portal = "hubspot/portal/62515"

// published records what was queued.
type published struct {
	mu  sync.Mutex
	ids []string
	// fail makes Publish fail after that many events (0: never).
	fail int
}

func (p *published) Publish(_ context.Context, evs []events.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 && len(p.ids)+len(evs) > p.fail {
		return errors.New("queue down")
	}
	for _, e := range evs {
		p.ids = append(p.ids, e.ID)
	}
	return nil
}

// memMarks is an in-memory WatermarkStore with the same no-regression rule.
type memMarks struct {
	m      map[string]reconcile.Watermark
	writes int
}

func (s *memMarks) Get(_ context.Context, k string) (reconcile.Watermark, bool, error) {
	w, ok := s.m[k]
	return w, ok, nil
}

func (s *memMarks) Put(_ context.Context, k string, w reconcile.Watermark) error {
	if s.m == nil {
		s.m = map[string]reconcile.Watermark{}
	}
	if old, ok := s.m[k]; ok && old.At.After(w.At) {
		return reconcile.ErrOvertaken
	}
	s.m[k] = w
	s.writes++
	return nil
}

// newHubSpot is a HubSpot fake without limits and a reader on it.
func newHubSpot(t *testing.T) (*hubspottest.Server, webhook.Reader) {
	t.Helper()
	s := hubspottest.NewServer(t, func(o *hubspottest.Options) { o.BurstPer10s, o.SearchPerSecond = -1, -1 })
	cred, _ := json.Marshal(map[string]any{"accessToken": s.Token, "portalId": "62515", "burstPer10s": 1000})
	r, err := hubspotapi.Open(cred, webhook.ReaderOptions{BaseURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

// putDeals adds n deals modified one millisecond apart from base (ids from
// first on), with a company.
func putDeals(s *hubspottest.Server, first, n int, base time.Time) {
	s.PutCompany("5001", "Globex")
	for i := range n {
		id := fmt.Sprint(first + i)
		s.PutDeal(hubspottest.Deal{ID: id, CompanyID: "5001", Modified: base.Add(time.Duration(i) * time.Millisecond),
			Properties: map[string]string{"dealname": "Deal " + id, "dealstage": "contractsent", "closedate": "2027-03-31T00:00:00Z"}})
	}
}

func TestSweepQueuesEveryModifiedRecordOnceAndMovesTheWatermark(t *testing.T) {
	s, r := newHubSpot(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()
	putDeals(s, 1000, 250, base)
	pub, marks := &published{}, &memMarks{}
	var pages []int
	sw := &reconcile.Sweeper{Publisher: pub, Mapper: mapping.Default(), Watermarks: marks,
		OnPage: func(p reconcile.Progress) { pages = append(pages, p.Events) }}
	p, err := sw.Sweep(t.Context(), reconcile.Run{Source: portal, Object: "deal", Reader: r, Since: base.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Listed != 250 || p.Events != 250 || len(pub.ids) != 250 || !p.Complete || p.Pages != 3 {
		t.Fatalf("progress %+v, %d queued; want 250 listed and queued in 3 pages", p, len(pub.ids))
	}
	if !slices.Equal(pages, []int{100, 200, 250}) {
		t.Errorf("pages reported %v", pages)
	}
	if want := fmt.Sprintf("hubspot:62515:deal:1000:%d:readback", base.UnixMilli()); pub.ids[0] != want {
		t.Errorf("first id %s, want %s", pub.ids[0], want)
	}
	wm := marks.m[portal]
	if !wm.At.Equal(p.Until) || len(wm.IDs) != 0 || marks.writes != 4 {
		t.Errorf("watermark %+v after %d writes, want %s (the end of the range) after 3 pages and the end", wm, marks.writes, p.Until)
	}

	// The next run lists only what changed since: nothing, then one deal.
	pub.ids = nil
	p, err = sw.Sweep(t.Context(), reconcile.Run{Source: portal, Object: "deal", Reader: r, Since: base})
	if err != nil || p.Listed != 0 || len(pub.ids) != 0 {
		t.Fatalf("second run: %+v, %v, %d queued; want nothing", p, err, len(pub.ids))
	}
	s.PutDeal(hubspottest.Deal{ID: "1003", CompanyID: "5001", Modified: p.Until.Add(time.Second),
		Properties: map[string]string{"dealname": "Renamed", "dealstage": "closedwon"}})
	sw.Now = func() time.Time { return time.Now().Add(time.Hour) }
	p, err = sw.Sweep(t.Context(), reconcile.Run{Source: portal, Object: "deal", Reader: r})
	if err != nil || p.Listed != 1 || len(pub.ids) != 1 {
		t.Fatalf("third run: %+v, %v, %v; want the renamed deal only", p, err, pub.ids)
	}
}

func TestSweepStoppedMidRunResumesFromItsWatermark(t *testing.T) {
	s, r := newHubSpot(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()
	putDeals(s, 1000, 250, base)
	pub, marks := &published{}, &memMarks{}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sw := &reconcile.Sweeper{Publisher: pub, Mapper: mapping.Default(), Watermarks: marks,
		// The run is killed right after its second page is queued.
		OnPage: func(p reconcile.Progress) {
			if p.Pages == 2 {
				cancel()
			}
		}}
	run := reconcile.Run{Source: portal, Object: "deal", Reader: r, Since: base.Add(-time.Minute)}
	p, err := sw.Sweep(ctx, run)
	if !errors.Is(err, context.Canceled) || p.Events != 200 || p.Complete {
		t.Fatalf("killed run: %+v, %v; want 200 queued and context.Canceled", p, err)
	}
	if wm := marks.m[portal]; !wm.At.Equal(base.Add(199*time.Millisecond)) || !slices.Equal(wm.IDs, []string{"1199"}) {
		t.Fatalf("watermark after the kill %+v, want deal 1199's modification", wm)
	}
	searches := s.Count("/search", true)

	sw.OnPage = nil
	p, err = sw.Sweep(t.Context(), run)
	if err != nil || !p.Complete {
		t.Fatal(p, err)
	}
	// Resumed at the watermark: the one deal at that instant is listed
	// again by the CRM and skipped; nothing before it is listed.
	if p.Listed != 51 || p.Skipped != 1 || p.Events != 50 {
		t.Errorf("resumed run: %+v, want 51 listed (1 skipped at the watermark), 50 queued", p)
	}
	if len(pub.ids) != 250 || len(slices.Compact(slices.Sorted(slices.Values(pub.ids)))) != 250 {
		t.Errorf("%d events queued over both runs (%d distinct), want 250 once each", len(pub.ids), len(slices.Compact(slices.Sorted(slices.Values(pub.ids)))))
	}
	if n := s.Count("/search", true) - searches; n != 1 {
		t.Errorf("the resumed run made %d searches, want 1 (one page of 51)", n)
	}
}

func TestMaxPagesStopsARunThatTheNextOneFinishes(t *testing.T) {
	s, r := newHubSpot(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()
	putDeals(s, 1000, 150, base)
	pub, marks := &published{}, &memMarks{}
	sw := &reconcile.Sweeper{Publisher: pub, Mapper: mapping.Default(), Watermarks: marks}
	run := reconcile.Run{Source: portal, Object: "deal", Reader: r, Since: base, MaxPages: 1}
	if p, err := sw.Sweep(t.Context(), run); !errors.Is(err, reconcile.ErrStopped) || p.Events != 100 {
		t.Fatalf("first run %+v, %v; want ErrStopped after 100", p, err)
	}
	if p, err := sw.Sweep(t.Context(), run); err != nil || p.Events != 50 || !p.Complete {
		t.Fatalf("second run %+v, %v; want the last 50", p, err)
	}
}

// changes is a fake reader listing fixed changes.
type changes struct {
	list []webhook.Change
	err  error // after the list
}

func (c changes) Read(context.Context, string, string, []string) (webhook.ReadResult, error) {
	return webhook.ReadResult{}, nil
}

func (c changes) Modified(_ context.Context, _, _ string, since, until time.Time) iter.Seq2[webhook.Change, error] {
	return func(yield func(webhook.Change, error) bool) {
		for _, ch := range c.list {
			if ch.OccurredAt.Before(since) || !ch.OccurredAt.Before(until) {
				continue
			}
			if !yield(ch, nil) {
				return
			}
		}
		if c.err != nil {
			yield(webhook.Change{}, c.err)
		}
	}
}

func deal(id string, at time.Time, fields map[string]any) webhook.Change {
	if fields == nil {
		fields = map[string]any{"dealname": "Deal " + id, "dealstage": "contractsent", "hs_object_id": id, "company_name": "Globex"}
	}
	return webhook.Change{ID: "hubspot:62515:deal:" + id + ":" + fmt.Sprint(at.UnixMilli()) + ":readback", Source: portal,
		Object: "deal", RecordID: id, Op: webhook.OpUpsert, OccurredAt: at, Fields: fields}
}

// secondApart is n deals modified a second apart from t0.
func secondApart(t0 time.Time, n int) []webhook.Change {
	var list []webhook.Change
	for i := range n {
		list = append(list, deal(fmt.Sprint(i+1), t0.Add(time.Duration(i)*time.Second), nil))
	}
	return list
}

func TestACRMErrorKeepsWhatWasListedAndSameInstantRecordsAreNotLost(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	list := []webhook.Change{deal("1", t0, nil), deal("2", t0.Add(time.Second), nil), deal("3", t0.Add(time.Second), nil)}
	pub, marks := &published{}, &memMarks{}
	sw := &reconcile.Sweeper{Publisher: pub, Mapper: mapping.Default(), Watermarks: marks, PageSize: 2,
		Now: func() time.Time { return t0.Add(time.Hour) }}
	run := reconcile.Run{Source: portal, Object: "deal", Since: t0}
	run.Reader = changes{list: list, err: errors.New("hubspot API: HTTP 502")}
	if _, err := sw.Sweep(t.Context(), run); err == nil || len(pub.ids) != 3 {
		t.Fatalf("err %v, %d queued; want the CRM error after all three were queued", err, len(pub.ids))
	}
	// Deals 2 and 3 share an instant; a fourth at that instant appears.
	if wm := marks.m[portal]; !wm.At.Equal(t0.Add(time.Second)) || !slices.Equal(wm.IDs, []string{"2", "3"}) {
		t.Fatalf("watermark %+v", wm)
	}
	run.Reader = changes{list: append(list, deal("4", t0.Add(time.Second), nil))}
	pub.ids = nil
	p, err := sw.Sweep(t.Context(), run)
	if err != nil || !slices.Equal(pub.ids, []string{deal("4", t0.Add(time.Second), nil).ID}) || p.Skipped != 2 {
		t.Fatalf("resumed: %+v, %v, queued %v; want deal 4 only", p, err, pub.ids)
	}
}

func TestUnmappableRecordsAreCountedNotQueued(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	pub := &published{}
	sw := &reconcile.Sweeper{Publisher: pub, Mapper: mapping.Default(), Now: func() time.Time { return t0.Add(time.Hour) }}
	bad := deal("9", t0, map[string]any{"dealname": map[string]any{"not": "a name"}, "hs_object_id": "9"})
	p, err := sw.Sweep(t.Context(), reconcile.Run{Source: portal, Object: "deal", Since: t0,
		Reader: changes{list: []webhook.Change{deal("1", t0, nil), bad}}})
	if err != nil || p.Events != 1 || p.Invalid+p.Ignored != 1 {
		t.Fatalf("%+v, %v; want one queued and one not", p, err)
	}
}

func TestAFailedQueueLeavesTheWatermarkBeforeThePage(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	list := secondApart(t0, 30)
	pub, marks := &published{fail: 15}, &memMarks{}
	sw := &reconcile.Sweeper{Publisher: pub, Mapper: mapping.Default(), Watermarks: marks, PageSize: 10,
		Now: func() time.Time { return t0.Add(time.Hour) }}
	run := reconcile.Run{Source: portal, Object: "deal", Since: t0, Reader: changes{list: list}}
	if _, err := sw.Sweep(t.Context(), run); err == nil {
		t.Fatal("no error from a failing queue")
	}
	if wm := marks.m[portal]; !wm.At.Equal(t0.Add(9 * time.Second)) {
		t.Fatalf("watermark %s, want the end of the first page (deal 10)", wm.At)
	}
	pub.fail = 0
	if p, err := sw.Sweep(t.Context(), run); err != nil || p.Events != 20 {
		t.Fatalf("resumed: %+v, %v; want the 20 after the first page", p, err)
	}
}

func TestARunPastItsDeadlineMarginStops(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	list := secondApart(t0, 30)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	pub := &published{}
	sw := &reconcile.Sweeper{Publisher: pub, Mapper: mapping.Default(), Watermarks: &memMarks{}, PageSize: 10, Margin: time.Minute,
		Now: func() time.Time { return t0.Add(time.Hour) }}
	p, err := sw.Sweep(ctx, reconcile.Run{Source: portal, Object: "deal", Since: t0, Reader: changes{list: list}})
	if !errors.Is(err, reconcile.ErrStopped) || p.Events != 10 {
		t.Fatalf("%+v, %v; want ErrStopped after the first page", p, err)
	}
}
