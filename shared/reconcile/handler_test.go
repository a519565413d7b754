package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/readback"
	"github.com/goalrelay/goalrelay/shared/reconcile"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// targets gives a reader for the sources it has, ErrNoReader otherwise.
type targets map[string]webhook.Reader

func (ts targets) For(_ context.Context, src string) (readback.Target, error) {
	r, ok := ts[src]
	if !ok {
		return readback.Target{}, fmt.Errorf("%w: %s", readback.ErrNoReader, src)
	}
	return readback.Target{Reader: r, Object: "deal"}, nil
}

func TestHandlerSweepsSourcesWithCredentialsAndSkipsTheOthers(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	pub := &published{}
	sw := &reconcile.Sweeper{Publisher: pub, Mapper: mapping.Default(), Watermarks: &memMarks{}, Now: func() time.Time { return t0.Add(time.Hour) }}
	h := &reconcile.Handler{Sweeper: sw, Sources: []string{portal, "pipedrive/company/8100001"},
		Targets: targets{portal: changes{list: []webhook.Change{deal("1", t0.Add(-time.Hour), nil), deal("2", t0, nil)}}}}
	rep, err := h.Handle(t.Context())
	if err != nil || len(rep.Sources) != 1 || !slices.Equal(rep.Skipped, []string{"pipedrive/company/8100001"}) {
		t.Fatalf("report %+v, %v", rep, err)
	}
	// The first run starts Lookback (24 h) before now: both deals.
	if rep.Sources[0].Events != 2 {
		t.Errorf("first run queued %d, want 2", rep.Sources[0].Events)
	}

	sw.Watermarks = &memMarks{}
	h.Targets = targets{portal: changes{err: errors.New("hubspot API: HTTP 503")}}
	if _, err := h.Handle(t.Context()); err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("a failed source: %v", err)
	}

	for _, off := range []*reconcile.Handler{{Sweeper: sw, Sources: []string{portal}}, {Sweeper: sw, Targets: h.Targets}} {
		if rep, err := off.Handle(t.Context()); err != nil || len(rep.Sources)+len(rep.Skipped) != 0 {
			t.Errorf("without credentials or sources: %+v, %v", rep, err)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"QUEUE_URL": "https://q", "STATE_TABLE": "t", "RECONCILE_SOURCES": " hubspot/portal/1 ,, pipedrive/company/2",
		"RECONCILE_LOOKBACK": "2h", "RECONCILE_PAGES_PER_RUN": "3"}
	c, err := reconcile.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || !slices.Equal(c.Sources, []string{"hubspot/portal/1", "pipedrive/company/2"}) || c.Lookback != 2*time.Hour || c.Lag != reconcile.DefaultLag || c.PagesPerRun != 3 {
		t.Fatalf("%+v, %v", c, err)
	}
	_, err = reconcile.ConfigFromEnv(func(k string) string {
		return map[string]string{"RECONCILE_LAG": "soon", "RECONCILE_PAGES_PER_RUN": "-1"}[k]
	})
	for _, want := range []string{"QUEUE_URL is required", "STATE_TABLE is required", "RECONCILE_LAG", "RECONCILE_PAGES_PER_RUN"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
