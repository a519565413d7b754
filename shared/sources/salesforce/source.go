package salesforce

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

const (
	// name is the {source} path segment and secret key.
	name = "salesforce"
	// namespace starts every event source: "salesforce/org/<orgId18>".
	namespace = "salesforce/org/"
	// maxBatch: Salesforce sends 1 to 100 notifications in one Outbound
	// Message.
	maxBatch = 100
)

// Source describes the Salesforce Outbound Message source.
var Source = webhook.Source{
	Name:      name,
	Namespace: namespace,
	MaxBatch:  maxBatch,
	Open:      (&Adapter{}).Open,
	Respond:   (&Adapter{}).Respond,
	Sign:      sign,
	Sample:    sample,
	Account: func(id string) (string, error) {
		org, err := NormalizeID(id)
		if err != nil {
			return "", fmt.Errorf("want the 15- or 18-character organization id")
		}
		return org, nil
	},
	Export: webhook.Export{
		IDFields:   func(string) []string { return []string{"Id", "ID", "id"} },
		TimeFields: []string{"SystemModstamp", "LastModifiedDate"},
	},
}

// sign returns the headers of an Outbound Message. Salesforce signs
// nothing: the message proves its origin by its OrganizationId, which the
// body must carry (see sample); the secret is only checked for use.
func sign(secret json.RawMessage, d webhook.Delivery) (map[string]string, error) {
	if err := webhook.OneScheme(name, d); err != nil {
		return nil, err
	}
	if _, err := configuredOrg(secret); err != nil {
		return nil, err
	}
	return map[string]string{"Content-Type": ContentType, "SOAPAction": `""`}, nil
}

// sample is an Outbound Message for one Opportunity of the secret's
// organization, modified at o.Now.
func sample(o webhook.SampleOptions) ([]byte, error) {
	org, err := configuredOrg(o.Secret)
	if err != nil {
		return nil, err
	}
	rid := o.RecordID
	if rid == "" {
		rid = "0065e00000GoAl1AAA"
	}
	return BuildOutboundMessage(Message{
		OrganizationID: org,
		Notifications: []Notification{{
			ID:       "04l" + base36(o.Now.UnixMilli(), 15),
			Object:   "Opportunity",
			RecordID: rid,
			Fields: map[string]any{
				"Name":             "Acme renewal: 95% retention",
				"StageName":        "Negotiation/Review",
				"CloseDate":        o.Now.AddDate(0, 3, 0).Format(time.DateOnly),
				"Account_Name__c":  "Acme Corp",
				"LastModifiedDate": o.Now,
				"SystemModstamp":   o.Now,
			},
		}},
	}), nil
}

// base36 renders n in base 36, upper case, left-padded with zeros to width.
func base36(n int64, width int) string {
	s := strings.ToUpper(strconv.FormatInt(n, 36))
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s[len(s)-width:]
}
