package chaos

import (
	"context"
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
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
	"github.com/goalrelay/goalrelay/shared/devtools/localesm"
	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/state"
	"github.com/goalrelay/goalrelay/testevents"
)

// Run builds the bootstraps, starts moto_server, and plays the workload
// of c twice: the baseline (no faults, no kills) and the chaos run. It
// returns an error only when the rig itself cannot run (a build, a
// process that does not start, the workload refused by ingest); what the
// pipeline got wrong is in the Result.
func Run(ctx context.Context, c Config) (Result, error) {
	c = c.Defaults()
	if err := c.validate(); err != nil {
		return Result{}, err
	}
	r := &rig{cfg: c, log: c.Log}
	defer r.close()
	if err := r.start(ctx); err != nil {
		return Result{}, err
	}
	res := Result{Config: c}
	var err error
	r.logf("baseline: the same workload without faults or kills")
	if res.Baseline, err = r.phase(ctx, "baseline", false); err != nil {
		return res, err
	}
	r.logf("baseline: %s", res.Baseline.Line())
	r.logf("chaos: faults %.0f%%, a kill every %s", c.FaultRate*100, c.KillEvery)
	if res.Chaos, err = r.phase(ctx, "chaos", true); err != nil {
		return res, err
	}
	r.logf("chaos: %s", res.Chaos.Line())
	return res, nil
}

// rig is what both runs share: the binaries and moto_server.
type rig struct {
	cfg    Config
	log    io.Writer
	tmp    string
	bins   [3]string // emulator, ingest, apply
	moto   *awstest.Moto
	aws    aws.Config
	sqs    *sqs.Client
	db     *dynamodb.Client
	sm     *secretsmanager.Client
	output *syncWriter
}

func (r *rig) logf(format string, args ...any) {
	if r.log != nil {
		fmt.Fprintf(r.log, "%s chaos: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
}

func (r *rig) start(ctx context.Context) error {
	root := r.cfg.Root
	var err error
	if root == "" {
		if root, err = rie.ModuleRoot("."); err != nil {
			return err
		}
	}
	dir := r.cfg.BinDir
	if dir == "" {
		if r.tmp, err = os.MkdirTemp("", "goalrelay-chaos-"); err != nil {
			return err
		}
		dir = r.tmp
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	for _, d := range []string{"ingest", "apply"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	r.output = &syncWriter{w: r.cfg.Output}
	r.logf("building aws-lambda-rie and both bootstraps into %s", dir)
	var wg sync.WaitGroup
	var errs [3]error
	wg.Go(func() { r.bins[0], errs[0] = rie.BuildEmulator(ctx, root, dir) })
	wg.Go(func() { r.bins[1], errs[1] = rie.Build(ctx, root, "./functions/ingest", filepath.Join(dir, "ingest")) })
	wg.Go(func() { r.bins[2], errs[2] = rie.Build(ctx, root, "./functions/apply", filepath.Join(dir, "apply")) })
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	r.logf("starting moto_server")
	// Both runs, the builds and a margin; moto_server dies with it anyway.
	if r.moto, err = awstest.StartMoto(ctx, 2*r.cfg.TimeLimit+10*time.Minute); err != nil {
		return err
	}
	if r.aws, err = r.moto.Config(ctx); err != nil {
		return err
	}
	r.sqs, r.db, r.sm = sqs.NewFromConfig(r.aws), dynamodb.NewFromConfig(r.aws), secretsmanager.NewFromConfig(r.aws)
	return nil
}

func (r *rig) close() {
	if r.moto != nil {
		r.moto.Close()
	}
	if r.tmp != "" {
		_ = os.RemoveAll(r.tmp)
	}
}

// run is one of the two runs: its own queues, table, secrets, simulator,
// functions and pollers.
type run struct {
	*rig
	name                     string
	queueURL, queueARN       string
	dlqURL, table            string
	webhookID, accessKeyID   string
	sim                      *gt.Server
	faults                   *faultFront
	servers                  []*http.Server
	ingest                   *rie.Function
	consumers                []*consumer
	ingestEnv, applyEnv      []string
	functionTimeoutInSeconds int
	webhookURL               string // the webhook front
}

func (r *rig) phase(ctx context.Context, name string, chaos bool) (Phase, error) {
	c := r.cfg
	u := &run{rig: r, name: name, functionTimeoutInSeconds: int(c.FunctionTimeout / time.Second)}
	defer u.close()
	if err := u.setUp(ctx, chaos); err != nil {
		return Phase{}, err
	}
	w := newWorkload(name, c.Records, c.Versions, c.Bad, time.Now().Add(-10*time.Minute).Truncate(time.Second))
	ph := Phase{Name: name, Events: len(w.byID), Bad: len(w.bad), Consumers: c.Consumers}

	start := time.Now()
	limit, cancel := context.WithTimeout(ctx, c.TimeLimit)
	defer cancel()
	pollCtx, stopPolls := context.WithCancel(limit)
	var esmMu sync.Mutex
	var esm ESM
	var wg sync.WaitGroup
	for _, cons := range u.consumers {
		p := &localesm.Poller{SQS: u.sqs, QueueURL: u.queueURL, QueueARN: u.queueARN, Region: awstest.Region,
			Function: cons, BatchSize: 10}
		wg.Go(func() {
			for pollCtx.Err() == nil {
				res, err := p.Poll(pollCtx)
				esmMu.Lock()
				esm.Received += res.Received
				esm.Deleted += res.Deleted
				esm.Failed += res.Failed
				if res.InvokeErr != nil {
					esm.InvokeErrors++
				}
				if err != nil && pollCtx.Err() == nil {
					esm.SQSErrors++
				}
				esmMu.Unlock()
				if res.Received == 0 || err != nil {
					_ = sleepCtx(pollCtx, 100*time.Millisecond)
				}
			}
		})
	}
	var kills, midKills int
	if chaos && c.KillEvery > 0 {
		wg.Go(func() {
			next := time.NewTimer(c.FirstKill)
			defer next.Stop()
			for i := 0; ; i++ {
				select {
				case <-pollCtx.Done():
					return
				case <-next.C:
				}
				next.Reset(c.KillEvery)
				cons := u.consumers[i%len(u.consumers)]
				mid, err := cons.crash()
				if err != nil {
					r.logf("%s: restart after a kill: %v", name, err)
					continue
				}
				kills++
				if mid {
					midKills++
				}
				r.logf("%s: killed consumer %d (SIGKILL%s) and started a fresh one", name, cons.n, map[bool]string{true: ", mid-batch", false: ", idle"}[mid])
			}
		})
	}

	snd := &sender{front: u.webhookURL, sqs: r.sqs, queueURL: u.queueURL, http: &http.Client{Timeout: 30 * time.Second}}
	sent := make(chan error, 1)
	go func() {
		n, err := snd.deliver(limit, w, c.RoundGap)
		ph.Deliveries = n
		sent <- err
	}()
	var sendErr error
	select {
	case sendErr = <-sent:
	case <-limit.Done():
		sendErr = <-sent
	}
	if sendErr != nil && limit.Err() == nil {
		stopPolls()
		wg.Wait()
		return ph, fmt.Errorf("%s: delivering the workload: %w", name, sendErr)
	}
	r.logf("%s: %d messages queued (%d events and their late duplicates) in %s", name, ph.Deliveries, ph.Events, time.Since(start).Round(time.Millisecond))
	empty := 0
	for empty < 2 && limit.Err() == nil {
		_ = sleepCtx(limit, 250*time.Millisecond)
		d, err := u.depth(limit)
		switch {
		case err != nil:
		case d == 0:
			empty++
		default:
			empty = 0
		}
	}
	ph.Drain = time.Since(start)
	ph.Drained = empty >= 2
	stopPolls()
	wg.Wait()
	if !ph.Drained {
		ph.Left, _ = u.depth(context.Background())
	}
	ph.Kills, ph.KillsMidBatch, ph.ESM = kills, midKills, esm
	ph.Faults, ph.Calls = u.faults.counts()
	u.check(context.Background(), w, &ph)
	return ph, nil
}

func (u *run) setUp(ctx context.Context, chaos bool) error {
	c := u.cfg
	n := u.name
	var err error
	u.sim = gt.New(gt.Options{CallsPerMinute: -1, CallsPerDay: -1, Latency: c.Latency, Seed: c.Seed})
	u.faults = newFaultFront(u.sim)
	if chaos && c.FaultRate > 0 {
		u.faults.setFaults(c.FaultRate, c.Seed, c.Mix)
	}
	gsURL, err := u.serve(u.faults)
	if err != nil {
		return err
	}

	// Queues, table and secrets, named as the template names them, per run.
	dlqName := "chaos-" + n + "-dlq.fifo"
	dq, err := u.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dlqName),
		Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": "60"}})
	if err != nil {
		return err
	}
	u.dlqURL = aws.ToString(dq.QueueUrl)
	qName := "chaos-" + n + "-events.fifo"
	u.queueARN = "arn:aws:sqs:" + awstest.Region + ":" + awstest.AccountID + ":" + qName
	q, err := u.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(qName), Attributes: map[string]string{
		"FifoQueue":         "true",
		"VisibilityTimeout": strconv.Itoa(int(c.Visibility / time.Second)),
		"RedrivePolicy": fmt.Sprintf(`{"maxReceiveCount":"%d","deadLetterTargetArn":"arn:aws:sqs:%s:%s:%s"}`,
			c.MaxReceive, awstest.Region, awstest.AccountID, dlqName),
	}})
	if err != nil {
		return err
	}
	u.queueURL = aws.ToString(q.QueueUrl)
	u.table = "chaos-" + n + "-state"
	if err := state.CreateTable(ctx, u.db, u.table); err != nil {
		return err
	}
	u.webhookID, u.accessKeyID = "chaos-"+n+"/webhook-secrets", "chaos-"+n+"/gainsight-access-key"
	for id, v := range map[string]string{u.webhookID: string(testevents.SecretsJSON()), u.accessKeyID: u.sim.AccessKey} {
		if _, err := u.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretString: aws.String(v)}); err != nil {
			return err
		}
	}

	// The functions.
	u.ingestEnv = append(u.moto.Env(), "QUEUE_URL="+u.queueURL, "WEBHOOK_SECRETS_ID="+u.webhookID, "PUBLIC_BASE_URL=", "MAPPING_FILE=")
	u.applyEnv = append(u.moto.Env(),
		"GAINSIGHT_BASE_URL="+gsURL,
		"GAINSIGHT_ACCESS_KEY_SECRET_ID="+u.accessKeyID,
		"DLQ_URL="+u.dlqURL,
		"STATE_TABLE="+u.table,
		"GAINSIGHT_EXTERNAL_ID_FIELD="+apply.DefaultExternalIDField,
		// The quota is not under test: a budget far above the workload.
		"GAINSIGHT_CALLS_PER_MINUTE=1000",
		"GAINSIGHT_CALLS_PER_DAY=1000000",
		"GAINSIGHT_QUOTA_WINDOW=1s",
		"GAINSIGHT_TIMEOUT="+c.GainsightTimeout.String(),
		"IN_FLIGHT_VISIBILITY="+c.InFlight.String(),
		"AWS_LAMBDA_LOG_FORMAT=JSON",
	)
	if u.ingest, err = u.startFunction(ctx, "chaos-ingest", u.bins[1], u.ingestEnv, 10); err != nil {
		return err
	}
	if u.webhookURL, err = u.serve(devstack.NewFront(u.ingest, devstack.FrontOptions{})); err != nil {
		return err
	}
	for i := range c.Consumers {
		cons := &consumer{n: i, start: func() (*rie.Function, error) {
			return u.startFunction(context.Background(), "chaos-apply", u.bins[2], u.applyEnv, u.functionTimeoutInSeconds)
		}}
		if cons.fn, err = cons.start(); err != nil {
			return err
		}
		cons.all = append(cons.all, cons.fn)
		u.consumers = append(u.consumers, cons)
	}
	return nil
}

func (u *run) startFunction(ctx context.Context, name, bootstrap string, env []string, timeout int) (*rie.Function, error) {
	return rie.Start(ctx, rie.Config{Emulator: u.bins[0], Bootstrap: bootstrap, Name: name, Timeout: timeout,
		Env: env, Output: u.output, MaxLife: 2*u.cfg.TimeLimit + 5*time.Minute})
}

// serve serves h on a free port of 127.0.0.1 and returns its URL.
func (u *run) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, Addr: ln.Addr().String(), ReadHeaderTimeout: 10 * time.Second}
	u.servers = append(u.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// depth is the queue's visible plus in-flight plus delayed messages.
func (u *run) depth(ctx context.Context) (int, error) {
	attrs := []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}
	out, err := u.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u.queueURL), AttributeNames: attrs})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range attrs {
		v, _ := strconv.Atoi(out.Attributes[string(k)])
		n += v
	}
	return n, nil
}

func (u *run) close() {
	if u.faults != nil {
		close(u.faults.closing)
	}
	for _, s := range u.servers {
		_ = s.Close()
	}
	for _, c := range u.consumers {
		c.close()
	}
	if u.ingest != nil {
		u.ingest.Close()
	}
	if u.sim != nil {
		u.sim.Close()
	}
}

// consumer is one apply function under aws-lambda-rie; crash kills it
// (SIGKILL, the emulator and the bootstrap below it) and starts a fresh
// one, as Lambda would after a crash. An invoke in flight fails and its
// poller deletes nothing: the messages come back after the visibility
// time-out.
type consumer struct {
	n     int
	start func() (*rie.Function, error)

	mu       sync.Mutex
	fn       *rie.Function
	all      []*rie.Function
	inFlight int
}

func (c *consumer) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	c.mu.Lock()
	fn := c.fn
	c.inFlight++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	return fn.Invoke(ctx, payload)
}

// crash kills the function and starts another; mid reports whether an
// invoke was in flight.
func (c *consumer) crash() (mid bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	mid = c.inFlight > 0
	c.fn.Kill()
	next, err := c.start()
	if err != nil {
		return mid, err
	}
	c.fn = next
	c.all = append(c.all, next)
	return mid, nil
}

func (c *consumer) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.all {
		f.Close()
	}
}

// syncWriter serialises the processes' output.
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
