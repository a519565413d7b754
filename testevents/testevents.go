package testevents

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/secrets"
	"github.com/goalrelay/goalrelay/shared/sources/dynamics"
	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/sources/pipedrive"
	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// The test secrets. secrets.json holds them in the WEBHOOK_SECRETS_ID format;
// they must never be used for a real CRM.
const (
	HubSpotClientSecret      = "test-hubspot-client-secret"
	SalesforceOrganizationID = "00D000000000062EAA"
	DynamicsHeader           = "x-goalrelay-key" // dynamics.DefaultHeader
	DynamicsKey              = "test-dynamics-key"
	PipedriveUsername        = "goalrelay-test"
	PipedrivePassword        = "test-pipedrive-password"
	// GenericSecret is "whsec_" + base64("goalrelay-generic-test-key-32byt"),
	// a 32-byte key.
	GenericSecret = "whsec_Z29hbHJlbGF5LWdlbmVyaWMtdGVzdC1rZXktMzJieXQ="
)

// Where the test requests pretend to come from.
const (
	APIID      = "a1b2c3d4e5"
	DomainName = APIID + ".execute-api.us-east-1.amazonaws.com"
	AccountID  = "123456789012"
	// QueueARN is the event source of the SQS events.
	QueueARN = "arn:aws:sqs:us-east-1:" + AccountID + ":goalrelay-events.fifo"
	// RouteKey is the ingest route.
	RouteKey = "POST /webhooks/{source}"
)

// Lambda logical ids in template.yaml.
const (
	IngestFunction = "IngestFunction"
	ApplyFunction  = "ApplyFunction"
)

// SAMStack is where the functions run by `sam local invoke` find the local
// stack: addresses as seen from inside SAM's container.
type SAMStack struct {
	// AWS is the moto_server endpoint (SQS, DynamoDB, Secrets Manager).
	AWS string
	// Gainsight is the simulated tenant's base URL.
	Gainsight string
	// Name is the stack name the resources are named after ("goalrelay").
	Name string
}

// DefaultSAMStack is the local stack env.json points at: moto_server and
// the simulator on their usual ports (moto_server -p 5000; go run
// ./cmd/gainsight-sim -addr :8089), reached at host.docker.internal, the
// name a container on Docker Desktop knows the host by (on Linux, sam
// local invoke --add-host host.docker.internal:host-gateway).
var DefaultSAMStack = SAMStack{AWS: "http://host.docker.internal:5000", Gainsight: "http://host.docker.internal:8089", Name: "goalrelay"}

// SAMEnv is the `sam local invoke --env-vars` file for a local stack: for
// each function, its variables in template.yaml, pointed at l. SAM passes
// a function only the variables the template declares, so every name here
// must be declared there (the AWS_ENDPOINT_URL_* ones empty, so that AWS
// uses its own endpoints); a test checks it.
func SAMEnv(l SAMStack) map[string]map[string]string {
	queue := func(name string) string { return l.AWS + "/" + AccountID + "/" + l.Name + "-" + name + ".fifo" }
	return map[string]map[string]string{
		IngestFunction: {
			"QUEUE_URL":                        queue("events"),
			"WEBHOOK_SECRETS_ID":               l.Name + "/webhook-secrets",
			"PUBLIC_BASE_URL":                  "",
			"MAPPING_FILE":                     "",
			"AWS_ENDPOINT_URL_SQS":             l.AWS,
			"AWS_ENDPOINT_URL_SECRETS_MANAGER": l.AWS,
		},
		ApplyFunction: {
			"GAINSIGHT_BASE_URL":               l.Gainsight,
			"GAINSIGHT_ACCESS_KEY_SECRET_ID":   l.Name + "/gainsight-access-key",
			"DLQ_URL":                          queue("dlq"),
			"STATE_TABLE":                      l.Name + "-state",
			"AWS_ENDPOINT_URL_SQS":             l.AWS,
			"AWS_ENDPOINT_URL_DYNAMODB":        l.AWS,
			"AWS_ENDPOINT_URL_SECRETS_MANAGER": l.AWS,
		},
	}
}

// Stale is how far before "now" the stale-timestamp requests are signed:
// twice the 5-minute tolerance.
const Stale = 10 * time.Minute

// Entry describes one generated file and what it is expected to do.
type Entry struct {
	File        string `json:"file"`
	Function    string `json:"function"`
	Source      string `json:"source,omitempty"`
	Description string `json:"description"`
	// Status is the HTTP status the ingest function answers.
	Status int `json:"status,omitempty"`
	// Queued is how many events the ingest function puts on the queue.
	Queued int `json:"queued"`
	// Records is the number of SQS records of an apply event.
	Records int `json:"records,omitempty"`
	// TimeSensitive files are signed with a timestamp and go stale five
	// minutes after generation: run `go run ./testevents/gen` first.
	TimeSensitive bool `json:"timeSensitive,omitempty"`
	// DeadLettered lists the events of this file that the apply function
	// cannot apply against the simulated tenant of package devstack, on
	// purpose: they end in the DLQ with the error code. Every other queued
	// event of a valid file ends as a goal (or as nothing, for a delete of
	// a goal that does not exist).
	DeadLettered []DeadLetter `json:"deadLettered,omitempty"`
}

// DeadLetter is a deliberate permanent failure: an event a valid webhook
// queues that the apply function sends to the DLQ.
type DeadLetter struct {
	EventID   string `json:"eventId"`
	ErrorCode string `json:"errorCode"`
	// Why explains what the example shows.
	Why string `json:"why"`
}

// DeadLetters returns the deliberate permanent failures of every file, in
// file order.
func (s *Set) DeadLetters() []DeadLetter {
	var out []DeadLetter
	for _, f := range s.Files {
		out = append(out, f.DeadLettered...)
	}
	return out
}

// Manifest is manifest.json.
type Manifest struct {
	GeneratedAt time.Time `json:"generatedAt"`
	Note        string    `json:"note"`
	Files       []Entry   `json:"files"`
}

// File is one generated event.
type File struct {
	Entry
	Data []byte
}

// Set is everything Generate produces.
type Set struct {
	Manifest Manifest
	Files    []File
	// Secrets is secrets.json, the WEBHOOK_SECRETS_ID SecretString.
	Secrets []byte
	// Env is env.json for `sam local invoke --env-vars`.
	Env []byte
}

// Ingest returns the files for the ingest function.
func (s *Set) Ingest() []File {
	var out []File
	for _, f := range s.Files {
		if f.Function == IngestFunction {
			out = append(out, f)
		}
	}
	return out
}

// Lookup returns the file named name.
func (s *Set) Lookup(name string) (File, bool) {
	for _, f := range s.Files {
		if f.File == name {
			return f, true
		}
	}
	return File{}, false
}

// SecretsJSON returns the webhook secret value (WEBHOOK_SECRETS_ID's
// SecretString) holding every test secret.
func SecretsJSON() []byte {
	b, err := json.MarshalIndent(testSecrets(), "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// testSecrets are the test secrets by source name.
func testSecrets() map[string]any {
	return map[string]any{
		hubspot.Source.Name:          map[string]string{"clientSecret": HubSpotClientSecret},
		salesforce.Source.Name:       map[string]string{"organizationId": SalesforceOrganizationID},
		dynamics.Source.Name:         map[string]string{"header": DynamicsHeader, "value": DynamicsKey},
		pipedrive.Source.Name:        map[string]string{"username": PipedriveUsername, "password": PipedrivePassword},
		standardwebhooks.Source.Name: map[string]string{"secret": GenericSecret},
	}
}

// Secrets serves the test secrets in memory, as the ingest service's
// secret source; sources missing from it are disabled.
type Secrets map[string]json.RawMessage

// NewSecrets returns the test secrets without the named sources.
func NewSecrets(without ...string) Secrets {
	m, err := secrets.ParseWebhookSecrets(string(SecretsJSON()))
	if err != nil {
		panic(err)
	}
	for _, s := range without {
		delete(m, s)
	}
	return Secrets(m)
}

// Source implements ingest.SecretSource.
func (s Secrets) Source(_ context.Context, name string) (json.RawMessage, error) {
	v, ok := s[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", secrets.ErrSourceDisabled, name)
	}
	return v, nil
}

// fixedTime is the request time of the deliveries that carry no signed
// timestamp, so that their files do not change on every generation.
var fixedTime = time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)

// Generate builds every test event for the time now, reading the bodies
// from the module at root (the directory holding go.mod).
func Generate(now time.Time, root string) (*Set, error) {
	now = now.UTC().Truncate(time.Millisecond)
	g := &generator{now: now, root: root, set: &Set{}}
	g.hubspot()
	g.salesforce()
	g.dynamics()
	g.pipedrive()
	g.generic()
	g.other()
	g.sqs()
	if g.err != nil {
		return nil, g.err
	}
	s := g.set
	s.Manifest = Manifest{
		GeneratedAt: now,
		Note: "Generated by `go run ./testevents/gen`; do not edit. Time-sensitive files are " +
			"valid for 5 minutes after generatedAt. Secrets: secrets.json (test values only).",
	}
	for _, f := range s.Files {
		s.Manifest.Files = append(s.Manifest.Files, f.Entry)
	}
	s.Secrets = SecretsJSON()
	env := SAMEnv(DefaultSAMStack)
	var err error
	if s.Env, err = marshal(env); err != nil {
		return nil, err
	}
	return s, nil
}

// Write writes every file of s, manifest.json, secrets.json and env.json
// into dir. Stale *.json event files from earlier generations that s no
// longer has are left alone.
func (s *Set) Write(dir string) error {
	m, err := marshal(s.Manifest)
	if err != nil {
		return err
	}
	out := map[string][]byte{"manifest.json": m, "secrets.json": s.Secrets, "env.json": s.Env}
	for _, f := range s.Files {
		out[f.File] = f.Data
	}
	for name, data := range out {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type generator struct {
	now  time.Time
	root string
	set  *Set
	err  error
}

func (g *generator) read(rel string) []byte {
	if g.err != nil {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(g.root, filepath.FromSlash(rel)))
	if err != nil {
		g.err = fmt.Errorf("testevents: %w", err)
	}
	return b
}

// sign signs d with src's signer and secret (a value of the source's
// member of the webhook secret JSON).
func (g *generator) sign(src *webhook.Source, secret any, d webhook.Delivery) map[string]string {
	if g.err != nil {
		return nil
	}
	b, err := json.Marshal(secret)
	if err == nil {
		var h map[string]string
		if h, err = src.Sign(b, d); err == nil {
			return h
		}
	}
	g.err = fmt.Errorf("testevents: sign a %s delivery: %w", src.Name, err)
	return nil
}

// delivery is one webhook request to generate.
type delivery struct {
	entry   Entry
	body    []byte
	headers map[string]string
	query   string
	base64  bool
	at      time.Time // the request time; zero means fixedTime
}

func (g *generator) add(d delivery) {
	if g.err != nil {
		return
	}
	at := d.at
	if at.IsZero() {
		at = fixedTime
	}
	path := "/webhooks/" + d.entry.Source
	ua := userAgents[d.entry.Source]
	if ua == "" {
		ua = "curl/8.5.0"
	}
	headers := map[string]string{
		"content-length":    strconv.Itoa(len(d.body)),
		"content-type":      "application/json",
		"host":              DomainName,
		"user-agent":        ua,
		"x-amzn-trace-id":   "Root=1-" + strconv.FormatInt(at.Unix(), 16) + "-" + hash(d.entry.File, 24),
		"x-forwarded-for":   "203.0.113.10",
		"x-forwarded-port":  "443",
		"x-forwarded-proto": "https",
	}
	for k, v := range d.headers {
		headers[strings.ToLower(k)] = v
	}
	body := string(d.body)
	if d.base64 {
		body = base64.StdEncoding.EncodeToString(d.body)
	}
	var qsp map[string]string
	if d.query != "" {
		qsp = map[string]string{}
		for _, kv := range strings.Split(d.query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			qsp[k] = v
		}
	}
	ev := httpEvent{
		Version:               "2.0",
		RouteKey:              RouteKey,
		RawPath:               path,
		RawQueryString:        d.query,
		Headers:               headers,
		QueryStringParameters: qsp,
		PathParameters:        map[string]string{"source": d.entry.Source},
		RequestContext: requestContext{
			AccountID:    AccountID,
			APIID:        APIID,
			DomainName:   DomainName,
			DomainPrefix: APIID,
			HTTP: httpDescription{
				Method:    http.MethodPost,
				Path:      path,
				Protocol:  "HTTP/1.1",
				SourceIP:  "203.0.113.10",
				UserAgent: ua,
			},
			RequestID: requestID(d.entry.File),
			RouteKey:  RouteKey,
			Stage:     "$default",
			Time:      at.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: at.UnixMilli(),
		},
		Body:            body,
		IsBase64Encoded: d.base64,
	}
	data, err := marshal(ev)
	if err != nil {
		g.err = err
		return
	}
	d.entry.Function = IngestFunction
	g.set.Files = append(g.set.Files, File{Entry: d.entry, Data: data})
}

var userAgents = map[string]string{
	hubspot.Source.Name:          "HubSpot Connect 2.0 (http://dev.hubspot.com/)",
	salesforce.Source.Name:       "Jakarta Commons-HttpClient/3.1",
	dynamics.Source.Name:         "Microsoft-Dynamics-CRM-WebHook",
	pipedrive.Source.Name:        "Pipedrive Webhooks",
	standardwebhooks.Source.Name: "goalrelay-sender/1.0",
}

func (g *generator) hubspot() {
	uri := func(q string) string {
		u := "https://" + DomainName + "/webhooks/hubspot"
		if q != "" {
			u += "?" + q
		}
		return u
	}
	v3 := func(secret string, body []byte, ts time.Time) map[string]string {
		return g.sign(&hubspot.Source, map[string]string{"clientSecret": secret}, webhook.Delivery{URL: uri(""), Body: body, Time: ts})
	}
	props := g.read("shared/sources/hubspot/testdata/property-changes.json")
	mixed := g.read("shared/sources/hubspot/testdata/mixed.json")
	creation := g.read("shared/sources/hubspot/testdata/creation.json")
	deletion := g.read("shared/sources/hubspot/testdata/deletion.json")
	wfDeal := g.read("shared/sources/hubspot/testdata/workflow-deal.json")
	wfCustom := g.read("shared/sources/hubspot/testdata/workflow-custom.json")
	wfNew := g.read("shared/sources/hubspot/testdata/workflow-new-deal.json")
	e := func(file, desc string, status, queued int, ts bool) Entry {
		return Entry{File: file, Source: hubspot.Source.Name, Description: desc, Status: status, Queued: queued, TimeSensitive: ts}
	}
	// The full records (workflow deliveries, with company_name) come first,
	// so that they create the goals the later thin property changes update:
	// a thin change of a deal goalrelay has never seen whole cannot create
	// a goal (it lacks CompanyName and StatusName).
	const wfQuery = "object=deal&portalId=62515"
	g.add(delivery{
		entry: e("hubspot-workflow-deal.json", "workflow \"Send a webhook\": the full CRM v3 deal 901 at 09:30 (company_name is a custom deal property), legacy signature v2 (no timestamp), object and portal in the query; creates the goal", 200, 1, false),
		body:  wfDeal, query: wfQuery,
		headers: g.sign(&hubspot.Source, map[string]string{"clientSecret": HubSpotClientSecret},
			webhook.Delivery{URL: uri(wfQuery), Body: wfDeal, Scheme: hubspot.SchemeV2}),
	})
	g.add(delivery{
		entry: e("hubspot-workflow-custom.json", "workflow \"Send a webhook\" with a custom flat body (deal 902 at 09:50, company_name set in the body), signature v3; creates the goal", 200, 1, true),
		body:  wfCustom, headers: v3(HubSpotClientSecret, wfCustom, g.now), at: g.now,
	})
	g.add(delivery{
		entry: e("hubspot-workflow-new-deal.json", "deal-creation workflow with a custom flat body: deal 905 of hubspot-mixed.json as created, signature v3; creates the goal", 200, 1, true),
		body:  wfNew, headers: v3(HubSpotClientSecret, wfNew, g.now), at: g.now,
	})
	g.add(delivery{
		entry: e("hubspot-property-changes.json", "Webhooks API batch at 10:00: property changes of deals 901 (four properties, one older retry; won) and 902 (stage), signature v3; update the goals the workflows created", 200, 2, true),
		body:  props, headers: v3(HubSpotClientSecret, props, g.now), at: g.now,
	})
	mixedEntry := e("hubspot-mixed.json", "Webhooks API batch: creation, property changes, an association change, a company change, another portal and a deletion, signature v3", 200, 2, true)
	mixedEntry.DeadLettered = []DeadLetter{{
		EventID:   "hubspot:77001:deal:905:1764237702000:dealname",
		ErrorCode: "CANNOT_CREATE",
		Why:       "a thin property change of deal 905 of portal 77001, which sends no workflow webhook: without a full record it cannot create a goal (and it is not portal 62515's deal 905)",
	}}
	g.add(delivery{entry: mixedEntry, body: mixed, headers: v3(HubSpotClientSecret, mixed, g.now), at: g.now})
	g.add(delivery{
		entry: e("hubspot-creation.json", "Webhooks API: a single deal.creation with no mapped property: valid, nothing to queue", 200, 0, true),
		body:  creation, headers: v3(HubSpotClientSecret, creation, g.now), at: g.now,
	})
	g.add(delivery{
		entry: e("hubspot-deletion.json", "Webhooks API: a single deal.deletion; the default mapping ignores deleted deals", 200, 0, true),
		body:  deletion, headers: v3(HubSpotClientSecret, deletion, g.now), at: g.now,
	})
	g.add(delivery{
		entry: e("hubspot-bad-signature.json", "property-changes batch signed with another client secret", 401, 0, true),
		body:  props, headers: v3("not-the-client-secret", props, g.now), at: g.now,
	})
	stale := g.now.Add(-Stale)
	g.add(delivery{
		entry: e("hubspot-stale-timestamp.json", "property-changes batch correctly signed 10 minutes ago (tolerance 5 minutes)", 401, 0, false),
		body:  props, headers: v3(HubSpotClientSecret, props, stale), at: stale,
	})
	bad := half(props)
	g.add(delivery{
		entry: e("hubspot-malformed.json", "correctly signed body cut in half (not JSON)", 400, 0, true),
		body:  bad, headers: v3(HubSpotClientSecret, bad, g.now), at: g.now,
	})
}

func (g *generator) salesforce() {
	sfHeaders := map[string]string{"content-type": "text/xml; charset=utf-8", "soapaction": `""`}
	// The adapter's testdata carry another organisation; the test secret's
	// id replaces it so that they verify.
	const testdataOrg = "<OrganizationId>00D5e000000AbCdEAK</OrganizationId>"
	withTestOrg := func(b []byte) []byte {
		if g.err == nil && !bytes.Contains(b, []byte(testdataOrg)) {
			g.err = fmt.Errorf("testevents: salesforce testdata no longer carry %s", testdataOrg)
		}
		return bytes.ReplaceAll(b, []byte(testdataOrg), []byte("<OrganizationId>"+SalesforceOrganizationID+"</OrganizationId>"))
	}
	one := g.read("shared/sources/salesforce/testdata/one-opportunity.xml")
	two := g.read("shared/sources/salesforce/testdata/two-opportunities.xml")
	e := func(file, desc string, status, queued int) Entry {
		return Entry{File: file, Source: salesforce.Source.Name, Description: desc, Status: status, Queued: queued}
	}
	g.add(delivery{entry: e("salesforce-one-opportunity.json", "Outbound Message with one Opportunity notification (base64 body; the company in the formula field Account_Name__c); answer: SOAP Ack", 200, 1),
		body: withTestOrg(one), headers: sfHeaders, base64: true})
	g.add(delivery{entry: e("salesforce-two-opportunities.json", "Outbound Message with two notifications, the first one again (a Salesforce retry: queued again, applied once) and another Opportunity (base64 body); answer: SOAP Ack", 200, 2),
		body: withTestOrg(two), headers: sfHeaders, base64: true})
	g.add(delivery{entry: e("salesforce-wrong-organization.json", "Outbound Message from another organisation (the adapter's testdata as is); answer: SOAP Fault", 401, 0),
		body: one, headers: sfHeaders, base64: true})
	g.add(delivery{entry: e("salesforce-malformed.json", "Outbound Message of the right organisation cut in half; answer: SOAP Fault", 400, 0),
		body: half(withTestOrg(one)), headers: sfHeaders, base64: true})
}

func (g *generator) dynamics() {
	withKey := func(value string) map[string]string {
		return g.sign(&dynamics.Source, map[string]string{"header": DynamicsHeader, "value": value}, webhook.Delivery{})
	}
	key := withKey(DynamicsKey)
	e := func(file, desc string, status, queued int) Entry {
		return Entry{File: file, Source: dynamics.Source.Name, Description: desc, Status: status, Queued: queued}
	}
	create := g.read("shared/sources/dynamics/testdata/opportunity-create.json")
	update := g.read("shared/sources/dynamics/testdata/opportunity-update.json")
	del := g.read("shared/sources/dynamics/testdata/opportunity-delete.json")
	g.add(delivery{entry: e("dynamics-create.json", "RemoteExecutionContext: Create of an opportunity", 200, 1), body: create, headers: key})
	g.add(delivery{entry: e("dynamics-update.json", "RemoteExecutionContext: Update of an opportunity (Target over the post-image)", 200, 1), body: update, headers: key})
	g.add(delivery{entry: e("dynamics-delete.json", "RemoteExecutionContext: Delete of an opportunity; the default mapping ignores deletes (onDelete: ignore)", 200, 0), body: del, headers: key})
	g.add(delivery{entry: e("dynamics-bad-key.json", "Update with the wrong x-goalrelay-key value", 401, 0), body: update,
		headers: withKey("not-the-key")})
	g.add(delivery{entry: e("dynamics-malformed.json", "right key, body cut in half", 400, 0), body: half(update), headers: key})
}

func (g *generator) pipedrive() {
	basic := func(password string) map[string]string {
		return g.sign(&pipedrive.Source, map[string]string{"username": PipedriveUsername, "password": password}, webhook.Delivery{})
	}
	auth := basic(PipedrivePassword)
	e := func(file, desc string, status, queued int) Entry {
		return Entry{File: file, Source: pipedrive.Source.Name, Description: desc, Status: status, Queued: queued}
	}
	create := g.read("shared/sources/pipedrive/testdata/v2-create-deal.json")
	change := g.read("shared/sources/pipedrive/testdata/v2-change-deal.json")
	del := g.read("shared/sources/pipedrive/testdata/v2-delete-deal.json")
	v1 := g.read("shared/sources/pipedrive/testdata/v1-updated-deal.json")
	v1Added := g.read("shared/sources/pipedrive/testdata/v1-added-deal.json")
	// v2 data carry org_id only, v1's current also org_name: the v1
	// deliveries of a deal come first and create its goal (with the
	// company), the v2 ones update it.
	g.add(delivery{entry: e("pipedrive-v1-added-deal.json", "legacy webhooks v1: added.deal 43 (current carries org_name); creates the goal", 200, 1), body: v1Added, headers: auth})
	g.add(delivery{entry: e("pipedrive-v2-create-deal.json", "webhooks v2: create.deal 43 (org_id only, no organisation name); updates the goal the v1 delivery created", 200, 1), body: create, headers: auth})
	g.add(delivery{entry: e("pipedrive-v1-updated-deal.json", "legacy webhooks v1: updated.deal 42, a stage move on 30 December (current carries org_name); creates the goal", 200, 1), body: v1, headers: auth})
	g.add(delivery{entry: e("pipedrive-v2-change-deal.json", "webhooks v2: change.deal 42 won on 1 January; updates the goal", 200, 1), body: change, headers: auth})
	g.add(delivery{entry: e("pipedrive-v2-delete-deal.json", "webhooks v2: delete.deal; the default mapping ignores deletes (onDelete: ignore)", 200, 0), body: del, headers: auth})
	g.add(delivery{entry: e("pipedrive-bad-credentials.json", "change.deal with the wrong Basic password", 401, 0), body: change,
		headers: basic("not-the-password")})
	g.add(delivery{entry: e("pipedrive-malformed.json", "right credentials, body cut in half", 400, 0), body: half(change), headers: auth})
}

func (g *generator) generic() {
	e := func(file, desc string, status, queued int, ts bool) Entry {
		return Entry{File: file, Source: standardwebhooks.Source.Name, Description: desc, Status: status, Queued: queued, TimeSensitive: ts}
	}
	sign := func(file, secret string, body []byte, ts time.Time) map[string]string {
		return g.sign(&standardwebhooks.Source, map[string]string{"secret": secret},
			webhook.Delivery{Body: body, Time: ts, ID: "msg_" + hash(file, 24)})
	}
	one := g.read("shared/sources/standardwebhooks/testdata/goal-upserted.json")
	batch := g.read("shared/sources/standardwebhooks/testdata/batch.json")
	const other = "whsec_bm90LXRoZS1nb2FscmVsYXktZ2VuZXJpYy1rZXktMzI=" // another 32-byte key
	g.add(delivery{entry: e("generic-goal-upserted.json", "Standard Webhooks: one canonical goal.upserted event with a metric and a Success Plan of the tenant", 200, 1, true),
		body: one, headers: sign("generic-goal-upserted.json", GenericSecret, one, g.now), at: g.now})
	batchEntry := e("generic-batch.json", "Standard Webhooks: a JSON array of a goal.upserted and a goal.deleted", 200, 2, true)
	batchEntry.DeadLettered = []DeadLetter{{
		EventID:   "backfill:acme:goal-7781:1767229200000",
		ErrorCode: "INVALID_GOAL_TYPE_NAME",
		Why:       "goal type \"Onboarding\" is not in the tenant's picklist: a permanent error, straight to the DLQ with the reason",
	}}
	g.add(delivery{entry: batchEntry, body: batch, headers: sign("generic-batch.json", GenericSecret, batch, g.now), at: g.now})
	g.add(delivery{entry: e("generic-bad-signature.json", "goal.upserted signed with another secret", 401, 0, true),
		body: one, headers: sign("generic-bad-signature.json", other, one, g.now), at: g.now})
	stale := g.now.Add(-Stale)
	g.add(delivery{entry: e("generic-stale-timestamp.json", "goal.upserted correctly signed 10 minutes ago (tolerance 5 minutes)", 401, 0, false),
		body: one, headers: sign("generic-stale-timestamp.json", GenericSecret, one, stale), at: stale})
	bad := half(one)
	g.add(delivery{entry: e("generic-malformed.json", "correctly signed body cut in half (not JSON)", 400, 0, true),
		body: bad, headers: sign("generic-malformed.json", GenericSecret, bad, g.now), at: g.now})
}

func (g *generator) other() {
	g.add(delivery{entry: Entry{File: "unknown-source.json", Source: "zoho", Description: "a source goalrelay does not know: 404", Status: 404},
		body: []byte(`{"id":1}`)})
}

// sqs builds the apply function's events from the canonical examples.
func (g *generator) sqs() {
	names := []string{"goal-upserted", "goal-deleted", "goaltemplate-upserted", "metric-upserted"}
	var all []goalevents.Event
	for _, n := range names {
		evs, err := goalevents.Decode(g.read("events/testdata/" + n + ".json"))
		if g.err != nil {
			return
		}
		if err != nil || len(evs) != 1 {
			g.err = fmt.Errorf("testevents: events/testdata/%s.json: %v (%d events)", n, err, len(evs))
			return
		}
		all = append(all, evs[0])
		g.addSQS("sqs-"+n+".json", "SQS FIFO batch of one "+string(evs[0].Type)+" message (events/testdata/"+n+".json)", evs)
	}
	g.addSQS("sqs-batch.json", "SQS FIFO batch of four messages, one per events/testdata example, in different groups", all)
}

func (g *generator) addSQS(file, desc string, evs []goalevents.Event) {
	if g.err != nil {
		return
	}
	var out events.SQSEvent
	for i, ev := range evs {
		body, err := json.Marshal(ev)
		if err != nil {
			g.err = err
			return
		}
		attrs := map[string]events.SQSMessageAttribute{
			queue.AttrEventType: stringAttr(string(ev.Type)),
			queue.AttrSource:    stringAttr(ev.Source),
		}
		sent := fixedTime.Add(time.Duration(i) * time.Millisecond)
		sum := md5.Sum(body)
		id := hash(file+strconv.Itoa(i), 32)
		out.Records = append(out.Records, events.SQSMessage{
			MessageId:     id[0:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:32],
			ReceiptHandle: base64.StdEncoding.EncodeToString([]byte("receipt:" + file + ":" + strconv.Itoa(i))),
			Body:          string(body),
			Md5OfBody:     hex.EncodeToString(sum[:]),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          "1",
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(sent.Add(20*time.Millisecond).UnixMilli(), 10),
				"SentTimestamp":                    strconv.FormatInt(sent.UnixMilli(), 10),
				"SenderId":                         "AROAEXAMPLEINGEST:goalrelay-ingest",
				"MessageGroupId":                   queue.FIFOID(ev.RecordKey()),
				"MessageDeduplicationId":           queue.FIFOID(ev.ID),
				"SequenceNumber":                   fmt.Sprintf("188876%014d", 1000+i),
			},
			Md5OfMessageAttributes: attributesMD5(attrs),
			MessageAttributes:      attrs,
			EventSourceARN:         QueueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              "us-east-1",
		})
	}
	data, err := marshal(out)
	if err != nil {
		g.err = err
		return
	}
	g.set.Files = append(g.set.Files, File{
		Entry: Entry{File: file, Function: ApplyFunction, Description: desc, Records: len(evs)},
		Data:  data,
	})
}

func stringAttr(v string) events.SQSMessageAttribute {
	return events.SQSMessageAttribute{StringValue: &v, StringListValues: []string{}, BinaryListValues: [][]byte{}, DataType: "String"}
}

// attributesMD5 is SQS's MD5OfMessageAttributes: for each attribute in name
// order, the length-prefixed name, data type, transport type 1 (string)
// and length-prefixed value.
func attributesMD5(attrs map[string]events.SQSMessageAttribute) string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b []byte
	lp := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	for _, n := range names {
		a := attrs[n]
		lp(n)
		lp(a.DataType)
		b = append(b, 1)
		lp(*a.StringValue)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// The JSON shape of an API Gateway HTTP API payload 2.0 event, written
// explicitly so that the files carry exactly what API Gateway sends; the
// tests decode them into events.APIGatewayV2HTTPRequest.
type httpEvent struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  string            `json:"body"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	AccountID    string          `json:"accountId"`
	APIID        string          `json:"apiId"`
	DomainName   string          `json:"domainName"`
	DomainPrefix string          `json:"domainPrefix"`
	HTTP         httpDescription `json:"http"`
	RequestID    string          `json:"requestId"`
	RouteKey     string          `json:"routeKey"`
	Stage        string          `json:"stage"`
	Time         string          `json:"time"`
	TimeEpoch    int64           `json:"timeEpoch"`
}

type httpDescription struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// Request decodes f as the ingest function receives it.
func (f File) Request() (events.APIGatewayV2HTTPRequest, error) {
	var r events.APIGatewayV2HTTPRequest
	err := json.Unmarshal(f.Data, &r)
	return r, err
}

// SQSEvent decodes f as the apply function receives it.
func (f File) SQSEvent() (events.SQSEvent, error) {
	var e events.SQSEvent
	err := json.Unmarshal(f.Data, &e)
	return e, err
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// half cuts b in half: a body that no parser accepts.
func half(b []byte) []byte { return append([]byte(nil), b[:len(b)/2]...) }

// hash returns the first n hex digits of SHA-256(s): stable ids per file.
func hash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// requestID looks like an API Gateway HTTP API request id.
func requestID(file string) string {
	sum := sha256.Sum256([]byte(file))
	return base64.StdEncoding.EncodeToString(sum[:10])
}
