// Command apply is the consumer Lambda function (built as bootstrap): it
// wires the configuration and the clients into an apply.Service and hands
// its Handle to the Lambda runtime. Everything else lives in shared/apply.
package main

import (
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/awsenv"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/gainsight"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/readback"
	"github.com/goalrelay/goalrelay/shared/secrets"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/state"
	"github.com/goalrelay/goalrelay/shared/tracing"
	"github.com/goalrelay/goalrelay/shared/xray"
)

func main() {
	// Every line is bounded (16 KiB), whatever a value quotes, and carries
	// the invocation's requestId and X-Ray traceId.
	log := slog.New(logbound.New(tracing.NewLogHandler(lambdacontext.NewLogHandler())))
	cfg, err := apply.ConfigFromEnv(os.Getenv)
	if err != nil {
		fail(log, err)
	}
	awsCfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		fail(log, err)
	}
	// X-Ray: each Gainsight call and each AWS call of a sampled invocation
	// is sent to Lambda's X-Ray daemon as a subsegment of the function's
	// segment; without the daemon's address, nothing is.
	traces, err := xray.EmitterFromEnv(os.Getenv)
	if err != nil {
		log.Warn("apply: no X-Ray subsegments", slog.String("error", err.Error()))
	}
	if traces != nil {
		awsCfg.HTTPClient = &xray.AWSClient{Base: awshttp.NewBuildableClient(), Emitter: traces}
	}
	keys, err := secrets.NewAccessKey(secretsmanager.NewFromConfig(awsCfg), cfg.AccessKeySecretID)
	if err != nil {
		fail(log, err)
	}
	var svc *apply.Service
	client, err := gainsight.New(gainsight.Options{
		BaseURL:    cfg.GainsightBaseURL,
		AccessKey:  keys,
		HTTPClient: &http.Client{Timeout: cfg.GainsightCallTimeout, Transport: &xray.Transport{Emitter: traces, Name: "Gainsight"}},
		// The spec is ambiguous about some paths and methods; the client
		// learns which the tenant serves on the first call of each kind.
		OnVariant: func(endpoint, variant string) {
			log.Info("apply: gainsight endpoint variant", slog.String("endpoint", endpoint), slog.String("variant", variant))
		},
		// Each reply's timings and Date size the limiter's window-edge
		// guard (quota.Limiter.Observe).
		OnResponse: func(sent, received, serverDate time.Time) { svc.ObserveResponse(sent, received, serverDate) },
	})
	if err != nil {
		fail(log, err)
	}
	db := dynamodb.NewFromConfig(awsCfg)
	// The state table also shares the picklist: a cold start takes
	// another consumer's load instead of two Gainsight calls.
	store := state.New(db, cfg.StateTable)
	metrics := emf.New(os.Stdout, os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))
	sqsClient := sqs.NewFromConfig(awsCfg)
	// CRM read-back: off without CRM_CREDENTIALS_ID, and for every source
	// without a member in that secret.
	readBack := &readback.Readers{Sources: sources.All(), BaseURLs: readback.BaseURLsFromEnv(sources.All(), os.Getenv)}
	var mapper *mapping.Mapper
	if cfg.CRMCredentialsID != "" {
		creds, err := secrets.NewCRMCredentials(secretsmanager.NewFromConfig(awsCfg), cfg.CRMCredentialsID)
		if err != nil {
			fail(log, err)
		}
		readBack.Credentials = creds
		if mapper, err = loadMapper(cfg.MappingFile); err != nil {
			fail(log, err)
		}
	}
	svc = &apply.Service{
		Gainsight: client,
		Store:     store,
		Quota: quota.New(db, cfg.StateTable, func(o *quota.Options) {
			o.PerMinute, o.PerDay, o.Window = cfg.CallsPerMinute, cfg.CallsPerDay, cfg.QuotaWindow
			o.OnWait = func(d time.Duration) { metrics.Add(emf.QuotaWaitMs, float64(d.Milliseconds())) }
		}),
		Keys:            keys,
		DLQ:             sqsClient,
		Defer:           sqsClient,
		InFlight:        cfg.InFlight,
		DLQURL:          cfg.DLQURL,
		ExternalIDField: cfg.ExternalIDField,
		MaxFutureSkew:   cfg.MaxFutureSkew,
		Picklist:        &apply.Picklist{Shared: store, Tenant: cfg.GainsightBaseURL},
		ReadBack:        readBack,
		Mapper:          mapper,
		Metrics:         metrics,
		Log:             log,
	}
	lambda.Start(svc.Handle)
}

// loadMapper is MAPPING_FILE's mapping, else the shipped defaults.
func loadMapper(file string) (*mapping.Mapper, error) {
	if file == "" {
		return mapping.Default(), nil
	}
	return mapping.Load(file)
}

// fail reports an init error and exits, so Lambda reports Runtime.ExitError
// with the message in the function's log.
func fail(log *slog.Logger, err error) {
	log.Error("apply: init failed", slog.String("error", err.Error()))
	os.Exit(1)
}
