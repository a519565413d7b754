package standardwebhooks

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

func benchmarkVerifyParse(b *testing.B, file string) {
	body := readTestdata(b, file)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h, err := SignedHeaders(illustrativeSecret, "msg_bench", now, body)
	if err != nil {
		b.Fatal(err)
	}
	secret := json.RawMessage(`{"secret":"` + illustrativeSecret + `"}`)
	r := &webhook.Request{Method: "POST", Path: "/webhooks/generic", Header: h, Body: body}
	var a Adapter
	n := 0
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := a.Verify(r, secret, now); err != nil {
			b.Fatal(err)
		}
		cs, err := a.Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		n += len(cs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkVerifyParse(b *testing.B) {
	b.Run("single", func(b *testing.B) { benchmarkVerifyParse(b, "goal-upserted.json") })
	b.Run("batch2", func(b *testing.B) { benchmarkVerifyParse(b, "batch.json") })
}
