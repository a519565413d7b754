package goalctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/goalrelay/goalrelay/shared/sources/dynamics"
	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/sources/pipedrive"
	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
)

// Sources are the webhook sources send knows, as in POST /webhooks/{source}.
var Sources = []string{"hubspot", "salesforce", "dynamics", "pipedrive", "generic"}

// maxShownResponse bounds how much of an answer send prints.
const maxShownResponse = 64 << 10

type sendFlags struct {
	url         string
	publicURL   string
	file        string
	secretsFile string
	secret      []string
	signature   string
	recordID    string
	account     string
	timeout     time.Duration
}

func newSendCommand(a *app) *cobra.Command {
	f := &sendFlags{}
	cmd := &cobra.Command{
		Use:   "send SOURCE --url URL [--file BODY] (--secrets FILE | --secret KEY=VALUE ...)",
		Short: "Sign and send a sample webhook of a source to a URL",
		Long: `Send signs a webhook body the way the CRM would and POSTs it to --url,
then prints the HTTP status and the answer. SOURCE is one of hubspot,
salesforce, dynamics, pipedrive, generic.

The body is --file (- for stdin) or a built-in sample for the source, made
fresh for the current time so that it is not deduplicated:
  hubspot     a Webhooks API deal.propertyChange (dealname), signature v3;
              with --hubspot-signature v2 a workflow "Send a webhook" body
  salesforce  an Outbound Message for one Opportunity, from the secret's
              organizationId
  dynamics    a Dataverse RemoteExecutionContext (Update of an opportunity)
  pipedrive   a webhooks v2 deal create
  generic     a canonical goal.upserted event, Standard Webhooks signature

The secret is the source's member of the webhook secret JSON (the
WEBHOOK_SECRETS_ID value, e.g. testevents/secrets.json), given as --secrets
FILE, or built from --secret KEY=VALUE flags (or one --secret '{...}'):
  hubspot     clientSecret=...              salesforce  organizationId=00D...
  dynamics    header=x-goalrelay-key value=...
  pipedrive   username=... password=...     generic     secret=whsec_...
HubSpot signs the URL: when the receiver knows itself under another address
(PUBLIC_BASE_URL), give that as --public-url.

Exit status 1 when the answer is not 2xx.`,
		Example: `  goalctl send hubspot --url http://127.0.0.1:8080/webhooks/hubspot --secrets testevents/secrets.json
  goalctl send generic --url http://127.0.0.1:8080/webhooks/generic --secret secret=whsec_... --file event.json
  goalctl send salesforce --url https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/salesforce \
      --secret organizationId=00D000000000062EAA --file shared/sources/salesforce/testdata/one-opportunity.xml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("send needs exactly one SOURCE (one of %s), got %d arguments", strings.Join(Sources, ", "), len(args))
			}
			if !slices.Contains(Sources, args[0]) {
				return usageErrorf("unknown source %q: use one of %s", args[0], strings.Join(Sources, ", "))
			}
			return nil
		},
		ValidArgs: Sources,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSend(cmd.Context(), a, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "URL to POST to, e.g. http://127.0.0.1:8080/webhooks/hubspot (required)")
	fl.StringVar(&f.publicURL, "public-url", "", "URL the receiver verifies HubSpot signatures against (default: --url)")
	fl.StringVar(&f.file, "file", "", "request body to send (- for stdin; default: a built-in sample)")
	fl.StringVar(&f.secretsFile, "secrets", "", "webhook secret JSON keyed by source (the WEBHOOK_SECRETS_ID value)")
	fl.StringArrayVar(&f.secret, "secret", nil, "a member of the source's secret as KEY=VALUE, or the whole member as JSON (repeatable)")
	fl.StringVar(&f.signature, "hubspot-signature", "v3", "HubSpot signature version: v3 (Webhooks API) or v2 (workflow webhook)")
	fl.StringVar(&f.recordID, "record-id", "", "CRM record id of the built-in sample (default: a sample id per source)")
	fl.StringVar(&f.account, "account", "", "CRM account of the built-in sample: HubSpot portal, Pipedrive company, Dynamics organization id")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the answer")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}

func runSend(ctx context.Context, a *app, f *sendFlags, source string) error {
	if f.secretsFile != "" && len(f.secret) > 0 {
		return usageErrorf("give either --secrets or --secret, not both")
	}
	if f.secretsFile == "" && len(f.secret) == 0 {
		return usageErrorf("no secret for %s: give --secrets FILE or --secret KEY=VALUE", source)
	}
	if f.signature != "v3" && f.signature != "v2" {
		return usageErrorf("invalid --hubspot-signature %q: use v3 or v2", f.signature)
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if _, err := parseHTTPURL(f.url); err != nil {
		return usageErrorf("invalid --url: %v", err)
	}
	publicURL := f.publicURL
	if publicURL == "" {
		publicURL = f.url
	}
	secret, err := loadSecret(f, source)
	if err != nil {
		return err
	}
	now := a.env.Now().UTC()
	var body []byte
	if f.file != "" {
		if body, err = readInput(a.env.Stdin, f.file); err != nil {
			return err
		}
	} else {
		if body, err = sampleBody(source, sampleOptions{now: now, recordID: f.recordID, account: f.account, signature: f.signature, secret: secret}); err != nil {
			return err
		}
	}
	headers, err := signHeaders(source, f.signature, secret, publicURL, body, now)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return usageErrorf("invalid --url: %v", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	shown := redactQuery(f.url)
	fmt.Fprintf(a.env.Stderr, "POST %s (%s, %d bytes)\n", shown, source, len(body))
	resp, err := a.env.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// The URL may carry a key (Dataverse's ?code=): not echoed.
			err = &url.Error{Op: ue.Op, URL: shown, Err: ue.Err}
		}
		return fmt.Errorf("send %s webhook: %w", source, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxShownResponse+1))
	if err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	truncated := len(answer) > maxShownResponse
	if truncated {
		answer = answer[:maxShownResponse]
	}
	out := a.env.Stdout
	fmt.Fprintf(out, "HTTP %s\n", resp.Status)
	if len(answer) > 0 {
		out.Write(answer)
		if answer[len(answer)-1] != '\n' {
			fmt.Fprintln(out)
		}
	}
	if truncated {
		fmt.Fprintf(out, "[answer cut at %d bytes]\n", maxShownResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s webhook refused: HTTP %s", source, resp.Status)
	}
	return nil
}

// loadSecret returns the source's member of the webhook secret JSON. No
// error message quotes a secret value.
func loadSecret(f *sendFlags, source string) (json.RawMessage, error) {
	if f.secretsFile != "" {
		b, err := os.ReadFile(f.secretsFile)
		if err != nil {
			return nil, fmt.Errorf("read secrets: %w", err)
		}
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return nil, fmt.Errorf("secrets file %s is not a JSON object keyed by source", f.secretsFile)
		}
		s, ok := all[source]
		if !ok {
			return nil, fmt.Errorf("secrets file %s has no %q member", f.secretsFile, source)
		}
		return s, nil
	}
	if len(f.secret) == 1 && strings.HasPrefix(strings.TrimSpace(f.secret[0]), "{") {
		raw := json.RawMessage(strings.TrimSpace(f.secret[0]))
		if !json.Valid(raw) {
			return nil, usageErrorf("--secret is not valid JSON")
		}
		return raw, nil
	}
	m := map[string]string{}
	for _, kv := range f.secret {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErrorf("--secret must be KEY=VALUE (or a JSON object); got an entry without '='")
		}
		m[strings.TrimSpace(k)] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// signHeaders returns the HTTP headers of a delivery of body as the
// source's CRM would send it.
func signHeaders(source, signature string, secret json.RawMessage, publicURL string, body []byte, now time.Time) (map[string]string, error) {
	h := map[string]string{"Content-Type": "application/json", "User-Agent": "goalctl/1"}
	switch source {
	case "hubspot":
		var s hubspot.Secret
		if err := json.Unmarshal(secret, &s); err != nil || s.ClientSecret == "" {
			return nil, secretError(source, "clientSecret")
		}
		var sig map[string]string
		if signature == "v2" {
			sig = hubspot.SignV2(s.ClientSecret, http.MethodPost, publicURL, body)
		} else {
			sig = hubspot.SignV3(s.ClientSecret, http.MethodPost, publicURL, body, now)
		}
		for k, v := range sig {
			h[k] = v
		}
	case "salesforce":
		h["Content-Type"] = "text/xml; charset=utf-8"
		h["SOAPAction"] = `""`
	case "dynamics":
		name, value, err := dynamics.AuthHeader(secret)
		if err != nil {
			return nil, secretError(source, "header and value")
		}
		h[name] = value
	case "pipedrive":
		v, err := pipedrive.AuthHeader(secret)
		if err != nil {
			return nil, secretError(source, "username and password")
		}
		h["Authorization"] = v
	case "generic":
		var s standardwebhooks.Secret
		if err := json.Unmarshal(secret, &s); err != nil || (s.Secret == "" && len(s.Secrets) == 0) {
			return nil, secretError(source, "secret")
		}
		key := s.Secret
		if key == "" {
			key = s.Secrets[0]
		}
		sig, err := standardwebhooks.SignedHeaders(key, "msg_goalctl_"+strconv.FormatInt(now.UnixNano(), 36), now, body)
		if err != nil {
			return nil, secretError(source, "secret (whsec_...)")
		}
		for k, v := range sig {
			h[k] = v
		}
	}
	return h, nil
}

func secretError(source, want string) error {
	return usageErrorf("the %s secret is not usable: it needs %s", source, want)
}

// readInput reads name, or stdin for "-".
func readInput(stdin io.Reader, name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}

type sampleOptions struct {
	now       time.Time
	recordID  string
	account   string
	signature string
	secret    json.RawMessage
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// jsonID writes a numeric-looking id as a JSON number, as HubSpot does.
func jsonID(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

// sampleBody builds a fresh sample delivery for source at o.now.
func sampleBody(source string, o sampleOptions) ([]byte, error) {
	ms := o.now.UnixMilli()
	stamp := strconv.FormatInt(ms, 10)
	due := o.now.AddDate(0, 3, 0).Format("2006-01-02")
	switch source {
	case "hubspot":
		rid, portal := orDefault(o.recordID, "901"), orDefault(o.account, "62515")
		if o.signature == "v2" {
			return json.Marshal(map[string]any{
				"id":         rid,
				"portalId":   jsonID(portal),
				"objectType": "deal",
				"properties": map[string]any{
					"hs_object_id":        rid,
					"dealname":            "Reach 80% seat adoption",
					"dealstage":           "contractsent",
					"closedate":           due + "T00:00:00Z",
					"description":         "sent by goalctl",
					"hs_lastmodifieddate": o.now.Format(time.RFC3339Nano),
				},
				"updatedAt": o.now.Format(time.RFC3339Nano),
			})
		}
		return json.Marshal([]map[string]any{{
			"eventId":          ms,
			"subscriptionId":   2400001,
			"portalId":         jsonID(portal),
			"appId":            987654,
			"occurredAt":       ms,
			"subscriptionType": "deal.propertyChange",
			"attemptNumber":    0,
			"objectId":         jsonID(rid),
			"propertyName":     "dealname",
			"propertyValue":    "Reach 80% seat adoption",
			"changeSource":     "CRM_UI",
			"sourceId":         "goalctl",
		}})
	case "salesforce":
		var s salesforce.Secret
		if err := json.Unmarshal(o.secret, &s); err != nil || s.OrganizationID == "" {
			return nil, secretError(source, "organizationId")
		}
		return salesforce.BuildOutboundMessage(salesforce.Message{
			OrganizationID: s.OrganizationID,
			Notifications: []salesforce.Notification{{
				ID:       "04l" + base36(ms, 15),
				Object:   "Opportunity",
				RecordID: orDefault(o.recordID, "0065e00000GoAl1AAA"),
				Fields: map[string]any{
					"Name":             "Acme renewal: 95% retention",
					"StageName":        "Negotiation/Review",
					"CloseDate":        due,
					"Account_Name__c":  "Acme Corp",
					"LastModifiedDate": o.now,
					"SystemModstamp":   o.now,
				},
			}},
		}), nil
	case "dynamics":
		rid := orDefault(o.recordID, "5f1e2d3c-0000-0000-0000-0000000000aa")
		org := orDefault(o.account, "4ef5b371-0000-0000-0000-000000000005")
		date := "/Date(" + stamp + ")/"
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
			{"key": "estimatedclosedate", "value": "/Date(" + strconv.FormatInt(o.now.AddDate(0, 3, 0).UnixMilli(), 10) + ")/"},
			{"key": "modifiedon", "value": date},
		}
		entity := map[string]any{
			"__type": "Entity:http://schemas.microsoft.com/xrm/2011/Contracts", "Attributes": attrs,
			"FormattedValues": []map[string]any{{"key": "statuscode", "value": "In Progress"}},
			"Id":              rid, "LogicalName": "opportunity",
		}
		return json.Marshal(map[string]any{
			"MessageName":        "Update",
			"OrganizationId":     org,
			"OperationId":        uuidLike(ms),
			"CorrelationId":      uuidLike(ms + 1),
			"OperationCreatedOn": date,
			"PrimaryEntityId":    rid,
			"PrimaryEntityName":  "opportunity",
			"InputParameters":    []map[string]any{{"key": "Target", "value": entity}},
			"PostEntityImages":   []map[string]any{{"key": "PostImage", "value": entity}},
			"PreEntityImages":    []any{},
			"Stage":              40,
		})
	case "pipedrive":
		rid, company := orDefault(o.recordID, "43"), orDefault(o.account, "8100001")
		return json.Marshal(map[string]any{
			"meta": map[string]any{
				"action": "create", "entity": "deal", "company_id": company, "entity_id": rid,
				"id": uuidLike(ms), "timestamp": o.now.Unix(), "type": "general", "version": "2.0",
				"webhook_id": "4700002", "change_source": "api", "attempt": 1,
			},
			"data": map[string]any{
				"id": jsonID(rid), "title": "Globex onboarding: 30-day time to value", "status": "open",
				"expected_close_date": due, "org_name": "Globex",
				"add_time": o.now.Format(time.RFC3339), "update_time": o.now.Format(time.RFC3339),
			},
			"previous": nil,
		})
	case "generic":
		rid := orDefault(o.recordID, "goalctl-sample-1")
		return json.Marshal(map[string]any{
			"specversion":     "1.0",
			"id":              "goalctl:sample:" + rid + ":" + stamp,
			"source":          "goalctl/sample",
			"type":            "goal.upserted",
			"subject":         rid,
			"time":            o.now.Format(time.RFC3339Nano),
			"datacontenttype": "application/json",
			"data": map[string]any{
				"externalId": rid,
				"fields": map[string]any{
					"Name": "Reach 80% seat adoption", "StatusName": "On Track", "DueDate": due,
					"EntityType": "COMPANY", "CompanyName": "Acme Corp", "GoalTypeName": "Default",
				},
			},
		})
	}
	return nil, usageErrorf("unknown source %q", source)
}

// base36 renders n in base 36, upper case, left-padded with zeros to width.
func base36(n int64, width int) string {
	s := strings.ToUpper(strconv.FormatInt(n, 36))
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s[len(s)-width:]
}

// uuidLike makes a GUID-shaped id from n (unique per millisecond).
func uuidLike(n int64) string {
	h := fmt.Sprintf("%032x", uint64(n))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// redactQuery hides the values of a URL's query, which may hold a key.
func redactQuery(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.RawQuery == "" {
		return s
	}
	q := u.Query()
	for k := range q {
		q[k] = []string{"REDACTED"}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", s)
	}
	return u, nil
}
