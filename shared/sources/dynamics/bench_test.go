package dynamics

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

func BenchmarkVerifyParse(b *testing.B) {
	for _, file := range []string{"opportunity-update.json", "opportunity-create.json", "opportunity-delete.json"} {
		b.Run(file, func(b *testing.B) {
			body := readTestdata(b, file)
			secret := json.RawMessage(`{"header":"x-goalrelay-key","value":"` + testKey + `"}`)
			r := &webhook.Request{Method: "POST", Path: "/webhooks/dynamics", Body: body, Header: map[string]string{
				"content-type": "application/json", "x-goalrelay-key": testKey,
				"x-ms-dynamics-organization": "contoso.crm.dynamics.com", "x-ms-dynamics-entity-name": "opportunity",
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
