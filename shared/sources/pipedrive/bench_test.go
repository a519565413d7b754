package pipedrive

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

func BenchmarkVerifyParse(b *testing.B) {
	for _, file := range []string{"v2-change-deal.json", "v2-create-deal.json", "v2-delete-deal.json", "v1-updated-deal.json"} {
		b.Run(file, func(b *testing.B) {
			body := readTestdata(b, file)
			secret := json.RawMessage(refSecret)
			r := &webhook.Request{Method: "POST", Path: "/webhooks/pipedrive", Body: body, Header: map[string]string{
				"content-type": "application/json", "authorization": refAuth,
			}}
			var a Adapter
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := a.Verify(r, secret, time.Time{}); err != nil {
					b.Fatal(err)
				}
				if _, err := a.Parse(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
