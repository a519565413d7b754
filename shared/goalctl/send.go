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

	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

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
	output      *string
}

// SendResult is what send -o json prints.
type SendResult struct {
	Source string `json:"source"`
	// URL is where the webhook went, its query values redacted.
	URL        string `json:"url"`
	Status     int    `json:"status"`
	StatusText string `json:"statusText"`
	// Body is the answer: JSON as it came, anything else as a string.
	Body      json.RawMessage `json:"body,omitempty"`
	Truncated bool            `json:"truncated,omitempty"`
	Error     string          `json:"error,omitempty"`
}

func newSendCommand(a *app) *cobra.Command {
	f := &sendFlags{}
	cmd := &cobra.Command{
		Use:   "send SOURCE (--url URL | --stack NAME) [--file BODY] (--secrets FILE | --secret KEY=VALUE ...)",
		Short: "Sign and send a sample webhook of a source to a URL",
		Long: `Send signs a webhook body the way the CRM would and POSTs it to --url,
then prints the HTTP status and the answer. SOURCE is one of hubspot,
salesforce, dynamics, pipedrive, generic.

The body is --file (- for stdin) or a built-in sample for the source, made
fresh for the current time so that it is not deduplicated:
  hubspot     a Webhooks API deal.propertyChange (dealname), signature v3;
              with --signature v2 a workflow "Send a webhook" body
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

Without --url, the webhook goes to the stack's WebhookBaseUrl output
followed by /SOURCE (--stack, GOALRELAY_STACK). -o json prints the status
and the answer as one JSON object.

Exit status 1 when the answer is not 2xx.`,
		Example: `  goalctl send hubspot --url http://127.0.0.1:8080/webhooks/hubspot --secrets testevents/secrets.json
  goalctl send pipedrive --stack goalrelay --secret username=... --secret password=... -o json
  goalctl send generic --url http://127.0.0.1:8080/webhooks/generic --secret secret=whsec_... --file event.json
  goalctl send salesforce --url https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/salesforce \
      --secret organizationId=00D000000000062EAA --file shared/sources/salesforce/testdata/one-opportunity.xml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("send needs exactly one SOURCE (one of %s), got %d arguments", strings.Join(sources.Names(), ", "), len(args))
			}
			if _, ok := sources.Lookup(args[0]); !ok {
				return usageErrorf("unknown source %q: use one of %s", args[0], strings.Join(sources.Names(), ", "))
			}
			return nil
		},
		ValidArgs: sources.Names(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSend(cmd.Context(), a, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "URL to POST to, e.g. http://127.0.0.1:8080/webhooks/hubspot (default: the stack's "+OutputWebhookBaseURL+"/SOURCE)")
	fl.StringVar(&f.publicURL, "public-url", "", "URL the receiver verifies HubSpot signatures against (default: --url)")
	fl.StringVar(&f.file, "file", "", "request body to send (- for stdin; default: a built-in sample)")
	fl.StringVar(&f.secretsFile, "secrets", "", "webhook secret JSON keyed by source (the WEBHOOK_SECRETS_ID value)")
	fl.StringArrayVar(&f.secret, "secret", nil, "a member of the source's secret as KEY=VALUE, or the whole member as JSON (repeatable)")
	fl.StringVar(&f.signature, "signature", "", "signature scheme where the source has several (hubspot: v3 for the Webhooks API, v2 for a workflow webhook; default: the source's first)")
	fl.StringVar(&f.signature, "hubspot-signature", "", "")
	_ = fl.MarkDeprecated("hubspot-signature", "use --signature")
	fl.StringVar(&f.recordID, "record-id", "", "CRM record id of the built-in sample (default: a sample id per source)")
	fl.StringVar(&f.account, "account", "", "CRM account of the built-in sample: HubSpot portal, Pipedrive company, Dynamics organization id")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the answer")
	f.output = addOutputFlag(cmd)
	return cmd
}

func runSend(ctx context.Context, a *app, f *sendFlags, source string) error {
	if f.secretsFile != "" && len(f.secret) > 0 {
		return usageErrorf("give either --secrets or --secret, not both")
	}
	if f.secretsFile == "" && len(f.secret) == 0 {
		return usageErrorf("no secret for %s: give --secrets FILE or --secret KEY=VALUE", source)
	}
	src, _ := sources.Lookup(source)
	if f.signature != "" && !slices.Contains(src.Schemes, f.signature) {
		if len(src.Schemes) == 0 {
			return usageErrorf("%s has one signature scheme: leave out --signature", source)
		}
		return usageErrorf("invalid --signature %q for %s: use one of %s", f.signature, source, strings.Join(src.Schemes, ", "))
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	if f.url == "" {
		base := ""
		if err := a.require(ctx, &base, "url", OutputWebhookBaseURL); err != nil {
			return err
		}
		f.url = strings.TrimSuffix(base, "/") + "/" + source
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
		body, err = src.Sample(webhook.SampleOptions{Now: now, RecordID: f.recordID, Account: f.account, Scheme: f.signature, Secret: secret})
		if err != nil {
			return secretError(source, err)
		}
	}
	headers := map[string]string{"Content-Type": "application/json", "User-Agent": "goalctl/1"}
	signed, err := src.Sign(secret, webhook.Delivery{URL: publicURL, Body: body, Time: now, ID: "msg_goalctl_" + strconv.FormatInt(now.UnixNano(), 36), Scheme: f.signature})
	if err != nil {
		return secretError(source, err)
	}
	for k, v := range signed {
		headers[k] = v
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		// The URL may carry a key (Dataverse's ?code=): not echoed.
		return usageErrorf("invalid --url %s", redactQuery(f.url))
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
	var refused error
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		refused = fmt.Errorf("%s webhook refused: HTTP %s", source, resp.Status)
	}
	out := a.env.Stdout
	if *f.output == outputJSON {
		res := SendResult{Source: source, URL: shown, Status: resp.StatusCode, StatusText: resp.Status, Truncated: truncated}
		switch {
		case len(answer) == 0:
		case !truncated && json.Valid(answer):
			res.Body = answer
		default:
			res.Body, _ = json.Marshal(string(answer))
		}
		if refused != nil {
			res.Error = refused.Error()
		}
		if err := writeJSON(out, res); err != nil && refused == nil {
			return err
		}
		return refused
	}
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
	return refused
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

// secretError says that the source's secret does not fit it. Adapters'
// secret errors name what is missing and never quote a value.
func secretError(source string, err error) error {
	return usageErrorf("the %s secret is not usable: %v", source, err)
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
