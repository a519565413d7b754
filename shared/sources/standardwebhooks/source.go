package standardwebhooks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// name is the {source} path segment and secret key: any sender that signs
// Standard Webhooks.
const name = "generic"

// Source describes the generic source: canonical events signed with the
// Standard Webhooks scheme. Its senders name each event's source
// themselves, so it has no namespace of its own.
var Source = webhook.Source{
	Name:     name,
	MaxBatch: MaxEvents,
	Open:     webhook.VerifyThenParse(Adapter{}.Verify, Adapter{}.parse),
	Sign:     sign,
	Sample:   sample,
}

// sign returns the three Standard Webhooks headers, signed with the
// secret's first key; d.ID is the message id (default: from d.Time).
func sign(secret json.RawMessage, d webhook.Delivery) (map[string]string, error) {
	if err := webhook.OneScheme(name, d); err != nil {
		return nil, err
	}
	var s Secret
	if err := json.Unmarshal(secret, &s); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object with secret", ErrSecret)
	}
	key := s.Secret
	if key == "" && len(s.Secrets) > 0 {
		key = s.Secrets[0]
	}
	id := d.ID
	if id == "" {
		id = "msg_" + strconv.FormatInt(d.Time.UnixNano(), 36)
	}
	h, err := SignedHeaders(key, id, d.Time, d.Body)
	if err != nil {
		return nil, err
	}
	h["Content-Type"] = "application/json"
	return h, nil
}

// sample is one canonical goal.upserted event at o.Now.
func sample(o webhook.SampleOptions) ([]byte, error) {
	rid := o.RecordID
	if rid == "" {
		rid = "goalctl-sample-1"
	}
	return json.Marshal(map[string]any{
		"specversion":     "1.0",
		"id":              "goalctl:sample:" + rid + ":" + strconv.FormatInt(o.Now.UnixMilli(), 10),
		"source":          "goalctl/sample",
		"type":            "goal.upserted",
		"subject":         rid,
		"time":            o.Now.Format(time.RFC3339Nano),
		"datacontenttype": "application/json",
		"data": map[string]any{
			"externalId": rid,
			"fields": map[string]any{
				"Name": "Reach 80% seat adoption", "StatusName": "On Track",
				"DueDate":    o.Now.AddDate(0, 3, 0).Format(time.DateOnly),
				"EntityType": "COMPANY", "CompanyName": "Acme Corp", "GoalTypeName": "Default",
			},
		},
	})
}
