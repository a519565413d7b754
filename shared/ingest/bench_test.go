package ingest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/testevents"
)

// marshalPublisher marshals every event, as the queue publisher does, and
// sends nothing.
type marshalPublisher struct{ n int }

func (p *marshalPublisher) Publish(_ context.Context, evs []goalevents.Event) error {
	for i := range evs {
		if _, err := json.Marshal(&evs[i]); err != nil {
			return err
		}
	}
	p.n += len(evs)
	return nil
}

// BenchmarkHandle measures Service.Handle on a typical delivery of each
// source: verify, parse, map, validate, marshal, the answer and the log line
// (JSON, discarded), with no network. events/s is per core (one goroutine).
func BenchmarkHandle(b *testing.B) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	set, err := testevents.Generate(now, "../..")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ source, file string }{
		{"hubspot", "hubspot-property-changes.json"},
		{"salesforce", "salesforce-two-opportunities.json"},
		{"dynamics", "dynamics-update.json"},
		{"pipedrive", "pipedrive-v2-change-deal.json"},
		{"generic", "generic-batch.json"},
	} {
		b.Run(tc.source, func(b *testing.B) {
			f, ok := set.Lookup(tc.file)
			if !ok {
				b.Fatalf("no %s", tc.file)
			}
			req, err := f.Request()
			if err != nil {
				b.Fatal(err)
			}
			pub := &marshalPublisher{}
			svc := &ingest.Service{
				Sources:   sources.All(),
				Secrets:   testevents.NewSecrets(),
				Mapper:    mapping.Default(),
				Publisher: pub,
				Now:       func() time.Time { return now },
				Log:       slog.New(slog.NewJSONHandler(io.Discard, nil)),
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(req.Body)))
			for b.Loop() {
				resp, err := svc.Handle(b.Context(), req)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("status %d, %v: %s", resp.StatusCode, err, resp.Body)
				}
			}
			if pub.n != b.N*f.Queued || f.Queued == 0 {
				b.Fatalf("%d events for %d requests of %d", pub.n, b.N, f.Queued)
			}
			nsPerEvent := float64(b.Elapsed().Nanoseconds()) / float64(pub.n)
			b.ReportMetric(nsPerEvent, "ns/event")
			b.ReportMetric(1e9/nsPerEvent, "events/s")
		})
	}
}
