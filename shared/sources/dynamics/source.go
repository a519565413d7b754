package dynamics

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

const (
	// name is the {source} path segment and secret key.
	name = "dynamics"
	// namespace starts every event source: "dynamics/org/<OrganizationId>".
	namespace = "dynamics/org/"
	// maxBatch: a Dataverse webhook carries one RemoteExecutionContext,
	// one operation on one row.
	maxBatch = 1
)

// Source describes the Dynamics 365 / Dataverse source.
var Source = webhook.Source{
	Name:      name,
	Namespace: namespace,
	MaxBatch:  maxBatch,
	Open:      webhook.VerifyThenParse(Adapter{}.Verify, Adapter{}.parse),
	Sign:      sign,
	Sample:    sample,
	Account: func(id string) (string, error) {
		return strings.ToLower(id), nil
	},
	Export: webhook.Export{
		IDFields: func(object string) []string {
			return []string{strings.ToLower(object) + "id", "id", "Id"}
		},
		TimeFields: []string{"modifiedon"},
	},
}

// sign returns the header Dataverse sends with the secret's first value.
func sign(secret json.RawMessage, d webhook.Delivery) (map[string]string, error) {
	if err := webhook.OneScheme(name, d); err != nil {
		return nil, err
	}
	header, value, err := AuthHeader(secret)
	if err != nil {
		return nil, err
	}
	return map[string]string{"Content-Type": "application/json", header: value}, nil
}

// sample is a RemoteExecutionContext of an Update of an opportunity at
// o.Now, with a post-image.
func sample(o webhook.SampleOptions) ([]byte, error) {
	rid := o.RecordID
	if rid == "" {
		rid = "5f1e2d3c-0000-0000-0000-0000000000aa"
	}
	org := o.Account
	if org == "" {
		org = "4ef5b371-0000-0000-0000-000000000005"
	}
	ms := o.Now.UnixMilli()
	date := func(ms int64) string { return "/Date(" + strconv.FormatInt(ms, 10) + ")/" }
	ref := func(logical, id, name string) map[string]any {
		return map[string]any{"__type": "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts", "Id": id, "LogicalName": logical, "Name": name}
	}
	option := func(v int) map[string]any {
		return map[string]any{"__type": "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": v}
	}
	attrs := []map[string]any{
		{"key": "opportunityid", "value": rid},
		{"key": "name", "value": "Acme renewal"},
		{"key": "statuscode", "value": option(1)},
		{"key": "parentaccountid", "value": ref("account", "3a4b5c6d-0000-0000-0000-0000000000bb", "Acme Corp")},
		{"key": "estimatedclosedate", "value": date(o.Now.AddDate(0, 3, 0).UnixMilli())},
		{"key": "modifiedon", "value": date(ms)},
	}
	entity := map[string]any{
		"__type": "Entity:http://schemas.microsoft.com/xrm/2011/Contracts", "Attributes": attrs,
		"FormattedValues": []map[string]any{{"key": "statuscode", "value": "In Progress"}},
		"Id":              rid, "LogicalName": "opportunity",
	}
	return json.Marshal(map[string]any{
		"MessageName":        "Update",
		"OrganizationId":     org,
		"OperationId":        guidOf(ms),
		"CorrelationId":      guidOf(ms + 1),
		"OperationCreatedOn": date(ms),
		"PrimaryEntityId":    rid,
		"PrimaryEntityName":  "opportunity",
		"InputParameters":    []map[string]any{{"key": "Target", "value": entity}},
		"PostEntityImages":   []map[string]any{{"key": "PostImage", "value": entity}},
		"PreEntityImages":    []any{},
		"Stage":              40,
	})
}

// guidOf makes a GUID-shaped id from n.
func guidOf(n int64) string {
	h := fmt.Sprintf("%032x", uint64(n))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
