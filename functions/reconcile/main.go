// Command reconcile is the scheduled reconciliation sweep (built as
// bootstrap): it wires the configuration and the clients into a
// reconcile.Handler and hands its Handle to the Lambda runtime. Everything
// else lives in shared/reconcile.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/awsenv"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/readback"
	"github.com/goalrelay/goalrelay/shared/reconcile"
	"github.com/goalrelay/goalrelay/shared/secrets"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/tracing"
	"github.com/goalrelay/goalrelay/shared/xray"
)

func main() {
	log := slog.New(logbound.New(tracing.NewLogHandler(lambdacontext.NewLogHandler())))
	cfg, err := reconcile.ConfigFromEnv(os.Getenv)
	if err != nil {
		fail(log, err)
	}
	awsCfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		fail(log, err)
	}
	// X-Ray: each AWS call of a sampled invocation (the SQS sends, the
	// watermark's reads and writes) as a subsegment of the function's.
	if traces, err := xray.EmitterFromEnv(os.Getenv); err != nil {
		log.Warn("reconcile: no X-Ray subsegments", slog.String("error", err.Error()))
	} else if traces != nil {
		awsCfg.HTTPClient = &xray.AWSClient{Base: awshttp.NewBuildableClient(), Emitter: traces}
	}
	mapper := mapping.Default()
	if cfg.MappingFile != "" {
		if mapper, err = mapping.Load(cfg.MappingFile); err != nil {
			fail(log, err)
		}
	}
	db := dynamodb.NewFromConfig(awsCfg)
	h := &reconcile.Handler{
		Sweeper: &reconcile.Sweeper{
			Publisher:  queue.NewPublisher(sqs.NewFromConfig(awsCfg), cfg.QueueURL),
			Mapper:     mapper,
			Watermarks: &reconcile.Watermarks{DB: db, Table: cfg.StateTable},
			Lag:        cfg.Lag,
		},
		Sources:  cfg.Sources,
		Lookback: cfg.Lookback,
		MaxPages: cfg.PagesPerRun,
		Log:      log,
	}
	// Off without CRM_CREDENTIALS_ID; a source without a member in that
	// secret is skipped quietly.
	if cfg.CRMCredentialsID != "" {
		creds, err := secrets.NewCRMCredentials(secretsmanager.NewFromConfig(awsCfg), cfg.CRMCredentialsID)
		if err != nil {
			fail(log, err)
		}
		h.Targets = &readback.Readers{Sources: sources.All(), Credentials: creds,
			BaseURLs: readback.BaseURLsFromEnv(sources.All(), os.Getenv)}
	}
	lambda.Start(h.Handle)
}

// fail reports an init error and exits, so Lambda reports Runtime.ExitError
// with the message in the function's log.
func fail(log *slog.Logger, err error) {
	log.Error("reconcile: init failed", slog.String("error", err.Error()))
	os.Exit(1)
}
