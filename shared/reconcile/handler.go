package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/readback"
)

// Config is the scheduled function's configuration, from its environment.
type Config struct {
	QueueURL   string // QUEUE_URL
	StateTable string // STATE_TABLE
	// CRMCredentialsID names the CRM credentials secret
	// (CRM_CREDENTIALS_ID); empty: nothing is swept.
	CRMCredentialsID string
	// Sources are the event sources swept (RECONCILE_SOURCES, comma
	// separated, e.g. "hubspot/portal/62515,pipedrive/company/8100001");
	// empty: nothing is swept.
	Sources []string
	// Lookback is where a source's first sweep starts, before now
	// (RECONCILE_LOOKBACK, default 24h: the CRMs' own retries cover
	// about a day; older records are for goalctl reconcile --since).
	Lookback time.Duration
	// Lag keeps a run behind now (RECONCILE_LAG, default DefaultLag).
	Lag time.Duration
	// MappingFile is the mapping (MAPPING_FILE; the shipped defaults when
	// empty), the same file as ingest's and apply's.
	MappingFile string
	// PagesPerRun bounds the pages of 100 records one run queues per
	// source (RECONCILE_PAGES_PER_RUN, default 0: no bound but the
	// function's time-out), and so the CRM calls it makes.
	PagesPerRun int
}

// DefaultLookback is Config.Lookback's default.
const DefaultLookback = 24 * time.Hour

// ConfigFromEnv reads the configuration with getenv and reports every
// missing or invalid variable at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		QueueURL:         strings.TrimSpace(getenv("QUEUE_URL")),
		StateTable:       strings.TrimSpace(getenv("STATE_TABLE")),
		CRMCredentialsID: strings.TrimSpace(getenv("CRM_CREDENTIALS_ID")),
		MappingFile:      strings.TrimSpace(getenv("MAPPING_FILE")),
		Lookback:         DefaultLookback,
		Lag:              DefaultLag,
	}
	var problems []string
	for name, v := range map[string]string{"QUEUE_URL": c.QueueURL, "STATE_TABLE": c.StateTable} {
		if v == "" {
			problems = append(problems, name+" is required")
		}
	}
	for _, s := range strings.Split(getenv("RECONCILE_SOURCES"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.Sources = append(c.Sources, s)
		}
	}
	dur := func(name string, dst *time.Duration) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			problems = append(problems, fmt.Sprintf("%s %q is not a duration (e.g. 24h)", name, v))
			return
		}
		*dst = d
	}
	if v := strings.TrimSpace(getenv("RECONCILE_PAGES_PER_RUN")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("RECONCILE_PAGES_PER_RUN %q is not a number of pages", v))
		}
		c.PagesPerRun = n
	}
	dur("RECONCILE_LOOKBACK", &c.Lookback)
	dur("RECONCILE_LAG", &c.Lag)
	if len(problems) > 0 {
		return c, fmt.Errorf("reconcile: configuration: %s", strings.Join(problems, "; "))
	}
	return c, nil
}

// Targets finds the reader of an event source (*readback.Readers).
type Targets interface {
	For(ctx context.Context, eventSource string) (readback.Target, error)
}

// Handler is the scheduled function: one sweep per configured source.
type Handler struct {
	Sweeper *Sweeper
	// Targets is nil when there is no CRM credentials secret.
	Targets  Targets
	Sources  []string
	Lookback time.Duration
	// MaxPages bounds each source's run (Config.PagesPerRun).
	MaxPages int
	Log      *slog.Logger
}

// Report is what one invocation did, per source.
type Report struct {
	Sources []Progress `json:"sources"`
	// Skipped are the sources without a reader (no member in the CRM
	// credentials secret).
	Skipped []string `json:"skipped,omitempty"`
}

// Handle sweeps every source that has credentials, one after the other.
// A source without a member in the CRM credentials secret is skipped
// quietly (the sweep is off for it); with no secret at all, or no source
// configured, nothing is done. The error joins the sources' failures
// (the scheduler's retry policy, then the next run, goes on from their
// watermarks); a run stopped by the deadline is not a failure.
func (h *Handler) Handle(ctx context.Context) (Report, error) {
	var rep Report
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if h.Targets == nil || len(h.Sources) == 0 {
		log.InfoContext(ctx, "reconcile: nothing to sweep (no CRM credentials secret or no RECONCILE_SOURCES)")
		return rep, nil
	}
	var errs []error
	for _, src := range h.Sources {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		t, err := h.Targets.For(ctx, src)
		if errors.Is(err, readback.ErrNoReader) {
			rep.Skipped = append(rep.Skipped, src)
			log.InfoContext(ctx, "reconcile: source skipped: no CRM credentials", slog.String("source", src))
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", src, err))
			log.ErrorContext(ctx, "reconcile: no reader", slog.String("source", src), slog.String("error", err.Error()))
			continue
		}
		lookback := h.Lookback
		if lookback <= 0 {
			lookback = DefaultLookback
		}
		p, err := h.Sweeper.Sweep(ctx, Run{Source: src, Object: t.Object, Reader: t.Reader, Since: h.Sweeper.now().Add(-lookback), MaxPages: h.MaxPages})
		rep.Sources = append(rep.Sources, p)
		attrs := []any{slog.String("source", src), slog.Time("from", p.From), slog.Time("watermark", p.Watermark),
			slog.Int("listed", p.Listed), slog.Int("events", p.Events), slog.Int("pages", p.Pages),
			slog.Int("ignored", p.Ignored), slog.Int("invalid", p.Invalid), slog.Bool("complete", p.Complete)}
		for _, e := range p.Errors {
			log.WarnContext(ctx, "reconcile: record not mapped", slog.String("source", src), slog.String("error", e))
		}
		switch {
		case err == nil:
			log.InfoContext(ctx, "reconcile: swept", attrs...)
		case errors.Is(err, ErrStopped), errors.Is(err, ErrOvertaken):
			log.WarnContext(ctx, "reconcile: stopped early; the next run goes on from the watermark", append(attrs, slog.String("error", err.Error()))...)
		default:
			errs = append(errs, fmt.Errorf("%s: %w", src, err))
			log.ErrorContext(ctx, "reconcile: sweep failed; the next run goes on from the watermark", append(attrs, slog.String("error", err.Error()))...)
		}
	}
	return rep, errors.Join(errs...)
}
