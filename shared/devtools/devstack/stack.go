package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi/hubspottest"
	"github.com/goalrelay/goalrelay/shared/crm/pipedriveapi/pipedrivetest"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/localesm"
	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
	"github.com/goalrelay/goalrelay/testevents"
)

// DefaultStackName is the stack name of samconfig.toml.
const DefaultStackName = "goalrelay"

// Options configures Start. The zero value is a complete local stack on
// free ports.
type Options struct {
	// StackName names the resources as template.yaml does ("goalrelay").
	StackName string
	// FrontAddr is where the webhook front listens (host:port; port 0 or ""
	// means a free port on 127.0.0.1). With FrontFallback, an address that
	// is taken falls back to a free port.
	FrontAddr     string
	FrontFallback bool
	// SimulatorAddr is where the Gainsight simulator listens ("": a free port).
	SimulatorAddr string
	// CallsPerMinute and CallsPerDay are the apply function's Gainsight
	// budget (GAINSIGHT_CALLS_PER_MINUTE/PER_DAY; 0: its defaults 90 and
	// 45000). The simulated tenant enforces Gainsight's own limits (100 and
	// 50,000) unless TenantCallsPerMinute/PerDay are set.
	CallsPerMinute, CallsPerDay             int
	TenantCallsPerMinute, TenantCallsPerDay int
	// VisibilityTimeout of the events queue in seconds (0: 5). The template
	// uses 720; a short one makes retries visible locally.
	VisibilityTimeout int
	// MaxReceiveCount of the redrive policy (0: 10, as in the template).
	MaxReceiveCount int
	// BatchSize of the event source mapping (0: 10, as in the template).
	BatchSize int32
	// ApplyTimeout and IngestTimeout are the functions' time-outs in
	// seconds (0: 30 and 10).
	ApplyTimeout, IngestTimeout int
	// WebhookSecrets is the SecretString of <stack>/webhook-secrets; nil
	// means the test secrets (testevents/secrets.json).
	WebhookSecrets []byte
	// PublicBaseURL is the ingest function's PUBLIC_BASE_URL ("" as in
	// testevents/env.json: https://<Host>).
	PublicBaseURL string
	// IngestEnv, ApplyEnv and ReconcileEnv are extra environment
	// (KEY=VALUE) for the functions, e.g. AWS_LAMBDA_LOG_FORMAT=JSON,
	// LOG_LEVEL or RECONCILE_PAGES_PER_RUN.
	IngestEnv, ApplyEnv, ReconcileEnv []string
	// Output receives the functions', the emulator's and the stack's log
	// lines; nil discards them.
	Output io.Writer
	// BinDir holds the built bootstraps (BinDir/ingest/bootstrap,
	// BinDir/apply/bootstrap) and aws-lambda-rie; "" means a temporary
	// directory removed by Close.
	BinDir string
	// Root is the module root (the directory of go.mod); "" finds it from
	// the working directory.
	Root string
	// KeepRunning is for interactive runs: the child processes may live
	// up to a day (they run under timeout(1) so that a crashed parent
	// cannot leave them behind) instead of 15 minutes.
	KeepRunning bool
	// SimulatorOptions, if set, adjusts the simulator's options before it
	// is built (AccessKey is always kept as generated or set).
	SimulatorOptions func(*gainsighttest.Options)
	// ContainerHost is an address of this host that containers reach
	// (Docker's bridge on Linux, e.g. 172.17.0.1): moto_server and the
	// simulator are also served there, for sam local invoke (SAMStack).
	// Empty: 127.0.0.1 only, which Docker Desktop's host.docker.internal
	// reaches.
	ContainerHost string
	// NoReadBack leaves the CRM credentials secret empty: no source is read
	// back. Otherwise the apply function reads HubSpot portal
	// LocalHubSpotPortal and Pipedrive company LocalPipedriveCompany back
	// from the stack's CRM fakes (Stack.HubSpot, Stack.Pipedrive).
	NoReadBack bool
}

// The CRM accounts the local stack's CRM credentials read back: the test
// events' HubSpot portal and Pipedrive company. Events of other accounts
// (portal 77001) are not read back.
const (
	LocalHubSpotPortal    = "62515"
	LocalPipedriveCompany = "8100001"
)

// Stack is a running local pipeline.
type Stack struct {
	// FrontURL is the webhook front, http://127.0.0.1:<port>; webhooks go to
	// FrontURL + "/webhooks/<source>".
	FrontURL string
	// SimulatorURL is the Gainsight simulator; MotoURL moto_server (behind
	// its serialising proxy).
	SimulatorURL, MotoURL string
	// Queue and DLQ URLs and ARNs, the state table, the secret ids.
	QueueURL, QueueARN, DLQURL, DLQARN string
	TableName                          string
	WebhookSecretsID, AccessKeyID      string
	// Simulator is the simulated Gainsight tenant (Goals(), AddStatus, ...).
	Simulator *gainsighttest.Server
	// HubSpot and Pipedrive are the CRM API fakes the apply function reads
	// back from (HUBSPOT_API_URL, PIPEDRIVE_API_URL), with the tokens of
	// the CRM credentials secret CRMCredentialsID (empty JSON with
	// NoReadBack).
	HubSpot          *hubspottest.Server
	Pipedrive        *pipedrivetest.Server
	CRMCredentialsID string
	// Moto is the AWS emulator; AWS a config for it; SQS a client.
	Moto *awstest.Moto
	AWS  aws.Config
	SQS  *sqs.Client
	// Ingest and Apply are the functions under aws-lambda-rie; Reconcile
	// is the sweep, invoked by Sweep (nothing schedules it locally).
	Ingest, Apply, Reconcile *rie.Function

	out      *syncWriter
	front    *http.Server
	frontLn  net.Listener
	opts     Options
	cancel   context.CancelFunc
	stopPoll chan struct{}
	pollDone chan struct{}
	tmpDir   string

	mu      sync.Mutex
	esm     ESMStats
	pollErr error

	closeOnce sync.Once
	seedGoals map[string]bool

	// fwd serves moto_server and the simulator at Options.ContainerHost,
	// at containerMoto and containerSim.
	fwd                         forwarders
	containerMoto, containerSim string
}

// ESMStats counts what the local event source mapping did.
type ESMStats struct {
	Polls, Received, Deleted, Failed, InvokeErrors int
	LastInvokeError                                string
}

// Start brings up the whole local stack. On error, everything started so
// far is stopped.
func Start(ctx context.Context, o Options) (s *Stack, err error) {
	if o.StackName == "" {
		o.StackName = DefaultStackName
	}
	if o.VisibilityTimeout <= 0 {
		o.VisibilityTimeout = 5
	}
	if o.MaxReceiveCount <= 0 {
		o.MaxReceiveCount = 10
	}
	if o.ApplyTimeout <= 0 {
		o.ApplyTimeout = 30
	}
	if o.IngestTimeout <= 0 {
		o.IngestTimeout = 10
	}
	if o.WebhookSecrets == nil {
		o.WebhookSecrets = testevents.SecretsJSON()
	}
	maxLife := 15 * time.Minute
	if o.KeepRunning {
		maxLife = 24 * time.Hour
	}
	s = &Stack{opts: o, out: &syncWriter{w: o.Output}}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()

	root := o.Root
	if root == "" {
		if root, err = rie.ModuleRoot("."); err != nil {
			return s, err
		}
	}
	binDir := o.BinDir
	if binDir == "" {
		if s.tmpDir, err = os.MkdirTemp("", "goalrelay-local-"); err != nil {
			return s, err
		}
		binDir = s.tmpDir
	}
	if binDir, err = filepath.Abs(binDir); err != nil {
		return s, err
	}

	// Build while moto_server starts.
	var bins builds
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); bins = build(ctx, root, binDir) }()

	s.logf("starting moto_server (SQS, DynamoDB, Secrets Manager)")
	s.Moto, err = awstest.StartMoto(ctx, maxLife)
	wg.Wait()
	if err != nil {
		return s, fmt.Errorf("devstack: %w", err)
	}
	if bins.err != nil {
		return s, fmt.Errorf("devstack: build: %w", bins.err)
	}
	s.MotoURL = s.Moto.Endpoint
	if s.AWS, err = s.Moto.Config(ctx); err != nil {
		return s, err
	}
	s.SQS = sqs.NewFromConfig(s.AWS)

	// The Gainsight simulator.
	var simOptFns []func(*gainsighttest.Options)
	if o.SimulatorOptions != nil {
		simOptFns = append(simOptFns, o.SimulatorOptions)
	}
	// The simulator as strict as the spec: the apply function meets it.
	s.Simulator = gainsighttest.New(gainsighttest.Options{
		CallsPerMinute: o.TenantCallsPerMinute, CallsPerDay: o.TenantCallsPerDay,
	}, simOptFns...)
	simAddr := o.SimulatorAddr
	if simAddr == "" {
		simAddr = "127.0.0.1:0"
	}
	if err = s.Simulator.Listen(simAddr); err != nil {
		return s, fmt.Errorf("devstack: gainsight simulator: %w", err)
	}
	s.SimulatorURL = s.Simulator.URL
	s.seedGoals = map[string]bool{}
	for _, g := range s.Simulator.Goals() {
		s.seedGoals[g.Gsid] = true
	}

	// The CRM API fakes.
	s.HubSpot, s.Pipedrive = hubspottest.New(hubspottest.Options{}), pipedrivetest.New(pipedrivetest.Options{})
	if err = s.HubSpot.Start(); err != nil {
		return s, fmt.Errorf("devstack: hubspot fake: %w", err)
	}
	if err = s.Pipedrive.Start(); err != nil {
		return s, fmt.Errorf("devstack: pipedrive fake: %w", err)
	}

	if err = s.createResources(ctx); err != nil {
		return s, err
	}

	// The functions.
	fnEnv := s.Moto.Env()
	ingestEnv := append(append([]string{}, fnEnv...),
		"QUEUE_URL="+s.QueueURL,
		"WEBHOOK_SECRETS_ID="+s.WebhookSecretsID,
		"PUBLIC_BASE_URL="+o.PublicBaseURL,
		"MAPPING_FILE=",
	)
	ingestEnv = append(ingestEnv, o.IngestEnv...)
	applyEnv := append(append([]string{}, fnEnv...),
		"GAINSIGHT_BASE_URL="+s.SimulatorURL,
		"GAINSIGHT_ACCESS_KEY_SECRET_ID="+s.AccessKeyID,
		"DLQ_URL="+s.DLQURL,
		"STATE_TABLE="+s.TableName,
		"GAINSIGHT_EXTERNAL_ID_FIELD="+apply.DefaultExternalIDField,
		"GAINSIGHT_TIMEOUT=5s",
		"CRM_CREDENTIALS_ID="+s.CRMCredentialsID,
		"HUBSPOT_API_URL="+s.HubSpot.URL,
		"PIPEDRIVE_API_URL="+s.Pipedrive.URL,
		"MAPPING_FILE=",
	)
	if o.CallsPerMinute > 0 {
		applyEnv = append(applyEnv, "GAINSIGHT_CALLS_PER_MINUTE="+strconv.Itoa(o.CallsPerMinute))
	}
	if o.CallsPerDay > 0 {
		applyEnv = append(applyEnv, "GAINSIGHT_CALLS_PER_DAY="+strconv.Itoa(o.CallsPerDay))
	}
	applyEnv = append(applyEnv, o.ApplyEnv...)
	// The sweep reads back the accounts the apply function does; its lag
	// is a second (the fakes index at once; the CRMs' default is 2m).
	reconcileEnv := append(append([]string{}, fnEnv...),
		"QUEUE_URL="+s.QueueURL,
		"STATE_TABLE="+s.TableName,
		"CRM_CREDENTIALS_ID="+s.CRMCredentialsID,
		"RECONCILE_SOURCES=hubspot/portal/"+LocalHubSpotPortal+",pipedrive/company/"+LocalPipedriveCompany,
		"RECONCILE_LAG=1s",
		"HUBSPOT_API_URL="+s.HubSpot.URL,
		"PIPEDRIVE_API_URL="+s.Pipedrive.URL,
		"MAPPING_FILE=",
	)
	reconcileEnv = append(reconcileEnv, o.ReconcileEnv...)

	var out io.Writer
	if o.Output != nil {
		out = s.out
	}
	s.logf("starting the ingest and apply bootstraps under aws-lambda-rie")
	if s.Ingest, err = rie.Start(ctx, rie.Config{
		Emulator: bins.emulator, Bootstrap: bins.ingest, Name: o.StackName + "-ingest",
		Timeout: o.IngestTimeout, Env: ingestEnv, Output: out, MaxLife: maxLife,
	}); err != nil {
		return s, fmt.Errorf("devstack: ingest: %w", err)
	}
	if s.Apply, err = rie.Start(ctx, rie.Config{
		Emulator: bins.emulator, Bootstrap: bins.apply, Name: o.StackName + "-apply",
		Timeout: o.ApplyTimeout, Env: applyEnv, Output: out, MaxLife: maxLife,
	}); err != nil {
		return s, fmt.Errorf("devstack: apply: %w", err)
	}
	if s.Reconcile, err = rie.Start(ctx, rie.Config{
		Emulator: bins.emulator, Bootstrap: bins.reconcile, Name: o.StackName + "-reconcile",
		Timeout: 60, Env: reconcileEnv, Output: out, MaxLife: maxLife,
	}); err != nil {
		return s, fmt.Errorf("devstack: reconcile: %w", err)
	}

	// The front.
	if err = s.startFront(); err != nil {
		return s, err
	}

	// The event source mapping.
	pctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.pollDone = make(chan struct{})
	s.stopPoll = make(chan struct{})
	poller := &localesm.Poller{
		SQS: s.SQS, QueueURL: s.QueueURL, QueueARN: s.QueueARN, Region: awstest.Region,
		Function: s.Apply, BatchSize: o.BatchSize,
		// No long polls: the moto proxy serialises requests, so a long poll
		// would hold up every other call to moto_server.
		WaitSeconds: 0,
	}
	go s.poll(pctx, poller)
	if o.ContainerHost != "" {
		if err = s.serveContainers(o.ContainerHost); err != nil {
			return s, err
		}
	}
	s.logf("stack up: front %s, gainsight %s, moto %s", s.FrontURL, s.SimulatorURL, s.MotoURL)
	return s, nil
}

type builds struct {
	emulator, ingest, apply, reconcile string
	err                                error
}

// build compiles the emulator and the bootstraps in parallel.
func build(ctx context.Context, root, dir string) builds {
	var b builds
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	run := func(f func() (string, error), dst *string) {
		defer wg.Done()
		p, err := f()
		mu.Lock()
		defer mu.Unlock()
		*dst = p
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, d := range []string{"ingest", "apply", "reconcile"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return builds{err: err}
		}
	}
	wg.Add(4)
	go run(func() (string, error) { return rie.BuildEmulator(ctx, root, dir) }, &b.emulator)
	go run(func() (string, error) {
		return rie.Build(ctx, root, "./functions/ingest", filepath.Join(dir, "ingest"))
	}, &b.ingest)
	go run(func() (string, error) { return rie.Build(ctx, root, "./functions/apply", filepath.Join(dir, "apply")) }, &b.apply)
	go run(func() (string, error) {
		return rie.Build(ctx, root, "./functions/reconcile", filepath.Join(dir, "reconcile"))
	}, &b.reconcile)
	wg.Wait()
	b.err = errors.Join(errs...)
	return b
}

// createResources creates the queues, the table and the secrets with the
// template's names.
func (s *Stack) createResources(ctx context.Context) error {
	name := s.opts.StackName
	dlq, err := s.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name + "-dlq.fifo"),
		Attributes: map[string]string{
			"FifoQueue":                 "true",
			"ContentBasedDeduplication": "false",
			"VisibilityTimeout":         "60",
			"MessageRetentionPeriod":    "1209600",
		},
	})
	if err != nil {
		return fmt.Errorf("devstack: create DLQ: %w", err)
	}
	s.DLQURL = aws.ToString(dlq.QueueUrl)
	s.DLQARN = arn(name + "-dlq.fifo")
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, s.DLQARN, s.opts.MaxReceiveCount)
	q, err := s.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name + "-events.fifo"),
		Attributes: map[string]string{
			"FifoQueue":                 "true",
			"ContentBasedDeduplication": "false",
			"VisibilityTimeout":         strconv.Itoa(s.opts.VisibilityTimeout),
			"MessageRetentionPeriod":    "345600",
			"RedrivePolicy":             redrive,
		},
	})
	if err != nil {
		return fmt.Errorf("devstack: create queue: %w", err)
	}
	s.QueueURL = aws.ToString(q.QueueUrl)
	s.QueueARN = arn(name + "-events.fifo")

	s.TableName = name + "-state"
	if err := state.CreateTable(ctx, dynamodb.NewFromConfig(s.AWS), s.TableName); err != nil {
		return fmt.Errorf("devstack: %w", err)
	}

	sm := secretsmanager.NewFromConfig(s.AWS)
	s.WebhookSecretsID = name + "/webhook-secrets"
	s.AccessKeyID = name + "/gainsight-access-key"
	s.CRMCredentialsID = name + "/crm-credentials"
	creds := "{}"
	if !s.opts.NoReadBack {
		b, err := json.Marshal(map[string]any{
			"hubspot":   map[string]string{"accessToken": s.HubSpot.Token, "portalId": LocalHubSpotPortal},
			"pipedrive": map[string]string{"apiToken": s.Pipedrive.APIToken, "companyId": LocalPipedriveCompany},
		})
		if err != nil {
			return err
		}
		creds = string(b)
	}
	for id, v := range map[string]string{s.WebhookSecretsID: string(s.opts.WebhookSecrets), s.AccessKeyID: s.Simulator.AccessKey, s.CRMCredentialsID: creds} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretString: aws.String(v)}); err != nil {
			return fmt.Errorf("devstack: create secret %s: %w", id, err)
		}
	}
	return nil
}

func arn(queue string) string {
	return "arn:aws:sqs:" + awstest.Region + ":" + awstest.AccountID + ":" + queue
}

// poll plays the event source mapping until ctx ends. An SQS error is
// logged and retried after a pause (moto_server may be going away).
func (s *Stack) poll(ctx context.Context, p *localesm.Poller) {
	defer close(s.pollDone)
	for ctx.Err() == nil {
		select {
		case <-s.stopPoll:
			return
		default:
		}
		res, err := p.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		s.esm.Polls++
		s.esm.Received += res.Received
		s.esm.Deleted += res.Deleted
		s.esm.Failed += res.Failed
		if res.InvokeErr != nil {
			s.esm.InvokeErrors++
			s.esm.LastInvokeError = res.InvokeErr.Error()
		}
		s.pollErr = err
		s.mu.Unlock()
		switch {
		case err != nil:
			s.logf("event source mapping: %v", err)
		case res.InvokeErr != nil:
			s.logf("event source mapping: batch of %d failed: %v", res.Received, res.InvokeErr)
		case res.Received > 0:
			s.logf("event source mapping: batch of %d: %d deleted, %d reported as failures", res.Received, res.Deleted, res.Failed)
		}
		if res.Received == 0 || err != nil {
			select {
			case <-ctx.Done():
				return
			case <-s.stopPoll:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// ESM returns what the event source mapping has done so far.
func (s *Stack) ESM() ESMStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.esm
}

// Depth is the number of messages in a queue: visible, in flight and
// delayed.
type Depth struct{ Visible, InFlight, Delayed int }

// Total is every message still in the queue.
func (d Depth) Total() int { return d.Visible + d.InFlight + d.Delayed }

// QueueDepth reads the approximate counts of the queue at url.
func (s *Stack) QueueDepth(ctx context.Context, url string) (Depth, error) {
	out, err := s.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqsAttr{
			"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
		},
	})
	if err != nil {
		return Depth{}, err
	}
	n := func(k string) int { v, _ := strconv.Atoi(out.Attributes[k]); return v }
	return Depth{
		Visible:  n("ApproximateNumberOfMessages"),
		InFlight: n("ApproximateNumberOfMessagesNotVisible"),
		Delayed:  n("ApproximateNumberOfMessagesDelayed"),
	}, nil
}

// WaitDrained waits until the events queue is empty (nothing visible, in
// flight or delayed) on two reads in a row, or until timeout.
func (s *Stack) WaitDrained(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	empty := 0
	for {
		d, err := s.QueueDepth(ctx, s.QueueURL)
		if err != nil {
			return err
		}
		if d.Total() == 0 {
			empty++
			if empty == 2 {
				return nil
			}
		} else {
			empty = 0
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devstack: queue not drained after %s: %d visible, %d in flight, %d delayed",
				timeout, d.Visible, d.InFlight, d.Delayed)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Close stops the front, the poller, both functions, the simulator and
// moto_server, and removes the temporary build directory. It is safe to
// call more than once.
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		if s.front != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.front.Shutdown(ctx)
			cancel()
			_ = s.front.Close()
		}
		if s.cancel != nil {
			// Let the poll in progress finish (a cancelled SQS call mid-way
			// only makes noise), then cancel what is left.
			close(s.stopPoll)
			select {
			case <-s.pollDone:
			case <-time.After(3 * time.Second):
			}
			s.cancel()
			select {
			case <-s.pollDone:
			case <-time.After(15 * time.Second):
			}
		}
		if s.Ingest != nil {
			s.Ingest.Close()
		}
		if s.Apply != nil {
			s.Apply.Close()
		}
		if s.Reconcile != nil {
			s.Reconcile.Close()
		}
		if s.Simulator != nil {
			s.Simulator.Close()
		}
		_ = s.fwd.close()
		if s.HubSpot != nil {
			s.HubSpot.Close()
		}
		if s.Pipedrive != nil {
			s.Pipedrive.Close()
		}
		if s.Moto != nil {
			s.Moto.Close()
		}
		if s.tmpDir != "" {
			_ = os.RemoveAll(s.tmpDir)
		}
	})
}

func (s *Stack) logf(format string, args ...any) {
	if s.opts.Output == nil {
		return
	}
	fmt.Fprintf(s.out, "devstack: "+format+"\n", args...)
}

// syncWriter serialises writes from the processes and the stack.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.w == nil {
		return len(p), nil
	}
	return w.w.Write(p)
}
