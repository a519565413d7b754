package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Defaults of a Sweeper.
const (
	// DefaultPageSize is how many records are queued between two
	// watermark writes: one page of the CRMs' searches.
	DefaultPageSize = 100
	// DefaultLag keeps a run this far behind now: the CRMs' search indexes
	// trail their writes by seconds, and a record indexed after the run
	// listed its instant would be missed for good.
	DefaultLag = 2 * time.Minute
	// DefaultMargin is the time kept before the context's deadline to
	// queue the page at hand and write the watermark.
	DefaultMargin = 10 * time.Second
	// publishBatch is the most events one Publish gets (an SQS batch).
	publishBatch = 10
)

// Publisher queues events (*queue.Publisher).
type Publisher interface {
	Publish(ctx context.Context, evs []events.Event) error
}

// Mapper turns a record change into canonical events (*mapping.Mapper).
type Mapper interface {
	Map(ch webhook.Change) ([]events.Event, error)
}

// WatermarkStore keeps watermarks (*Watermarks).
type WatermarkStore interface {
	Get(ctx context.Context, key string) (Watermark, bool, error)
	Put(ctx context.Context, key string, wm Watermark) error
}

// Sweeper lists modified records and queues their events.
type Sweeper struct {
	Publisher Publisher
	Mapper    Mapper
	// Watermarks is nil for a run without one (it cannot resume).
	Watermarks WatermarkStore
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// PageSize, Lag and Margin: DefaultPageSize, DefaultLag and
	// DefaultMargin when zero.
	PageSize int
	Lag      time.Duration
	Margin   time.Duration
	// OnPage is told after each page is queued and its watermark written.
	OnPage func(Progress)
}

// Run is one sweep: the records of Object in the CRM account of Source.
type Run struct {
	// Source is the event source ("hubspot/portal/62515").
	Source string
	Object string
	Reader webhook.Reader
	// Key names the watermark (Source when empty).
	Key string
	// Since is where a sweep without a watermark starts.
	Since time.Time
	// Until ends the sweep (exclusive); now minus the lag when zero.
	Until time.Time
	// MaxPages stops the run after that many pages (0: no limit).
	MaxPages int
}

// Progress is what a run has done so far.
type Progress struct {
	Source string `json:"source"`
	// From and Until are the range listed: From is where the run started
	// (the stored watermark, else Run.Since).
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
	// Listed records; Skipped those at the watermark's instant that an
	// earlier run had queued; Ignored those the mapping gives no event for;
	// Invalid those it cannot map (each in Errors, up to 20).
	Listed  int `json:"listed"`
	Skipped int `json:"skipped,omitempty"`
	Ignored int `json:"ignored,omitempty"`
	Invalid int `json:"invalid,omitempty"`
	// Events queued, in Pages pages.
	Events int `json:"events"`
	Pages  int `json:"pages"`
	// Watermark is where the stored watermark now stands.
	Watermark time.Time `json:"watermark"`
	// Complete: every record of the range is queued.
	Complete bool     `json:"complete"`
	Errors   []string `json:"invalidRecords,omitempty"`
}

// ErrStopped is returned by a run stopped before the end of its range by
// MaxPages or the deadline's margin; what it queued is in its Progress and
// its watermark, and the next run goes on from there.
var ErrStopped = errors.New("reconcile: run stopped before the end of its range")

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Sweep runs r: from the watermark (else r.Since) to r.Until, a page at a
// time, each page queued and then the watermark moved past it. The error
// is the reader's, the queue's or the store's, ErrStopped, or
// ErrOvertaken; the Progress says what was done in any case.
func (s *Sweeper) Sweep(ctx context.Context, r Run) (Progress, error) {
	key := r.Key
	if key == "" {
		key = r.Source
	}
	p := Progress{Source: r.Source, From: r.Since.UTC()}
	var skip []string
	if s.Watermarks != nil {
		wm, ok, err := s.Watermarks.Get(ctx, key)
		if err != nil {
			return p, err
		}
		if ok {
			p.From, skip = wm.At, wm.IDs
		}
	}
	p.Watermark = p.From
	p.Until = r.Until.UTC()
	if r.Until.IsZero() {
		p.Until = s.now().Add(-orDefault(s.Lag, DefaultLag)).UTC()
	}
	if !p.From.Before(p.Until) {
		p.Complete = true
		return p, nil
	}
	pageSize := orDefault(s.PageSize, DefaultPageSize)
	margin := orDefault(s.Margin, DefaultMargin)

	// at and atIDs: the last modification queued or pending, and the ids
	// modified then.
	at, atIDs := p.From, slices.Clone(skip)
	var page []webhook.Change
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		var evs []events.Event
		for _, ch := range page {
			out, err := s.Mapper.Map(ch)
			switch {
			case err != nil:
				p.Invalid++
				if len(p.Errors) < 20 {
					p.Errors = append(p.Errors, fmt.Sprintf("%s %s: %v", ch.Object, ch.RecordID, err))
				}
			case len(out) == 0:
				p.Ignored++
			}
			evs = append(evs, out...)
		}
		for chunk := range slices.Chunk(evs, publishBatch) {
			if err := s.Publisher.Publish(ctx, chunk); err != nil {
				return err
			}
			p.Events += len(chunk)
		}
		if s.Watermarks != nil {
			if err := s.Watermarks.Put(ctx, key, Watermark{At: at, IDs: atIDs}); err != nil {
				return err
			}
		}
		p.Watermark = at
		p.Pages++
		page = page[:0]
		if s.OnPage != nil {
			s.OnPage(p)
		}
		return nil
	}
	stop := func() bool {
		if r.MaxPages > 0 && p.Pages >= r.MaxPages {
			return true
		}
		d, ok := ctx.Deadline()
		return ok && time.Until(d) < margin
	}

	for ch, err := range r.Reader.Modified(ctx, r.Source, r.Object, p.From, p.Until) {
		if err != nil {
			// What is listed is queued, so the next run starts after it.
			if ferr := flush(); ferr != nil {
				return p, errors.Join(err, ferr)
			}
			return p, err
		}
		p.Listed++
		t := ch.OccurredAt.UTC()
		if t.Equal(p.From) && slices.Contains(skip, ch.RecordID) {
			p.Skipped++
			continue
		}
		switch {
		case t.After(at):
			at, atIDs = t, []string{ch.RecordID}
		case t.Equal(at):
			atIDs = append(atIDs, ch.RecordID)
		}
		page = append(page, ch)
		if len(page) < pageSize {
			continue
		}
		if err := flush(); err != nil {
			return p, err
		}
		if stop() {
			return p, ErrStopped
		}
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	if err := flush(); err != nil {
		return p, err
	}
	if s.Watermarks != nil {
		if err := s.Watermarks.Put(ctx, key, Watermark{At: p.Until}); err != nil {
			return p, err
		}
	}
	p.Watermark, p.Complete = p.Until, true
	return p, nil
}
