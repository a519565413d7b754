// Command ingest is the webhook Lambda function (built as bootstrap): it
// wires the configuration, the AWS clients and the adapters into an
// ingest.Service and hands its Handle to the Lambda runtime. Everything
// else lives in shared/ingest.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/goalrelay/goalrelay/shared/awsenv"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/logbound"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/secrets"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/tracing"
	"github.com/goalrelay/goalrelay/shared/xray"
)

func main() {
	// Every line is bounded (16 KiB), whatever a value quotes, and carries
	// the invocation's requestId and X-Ray traceId.
	log := slog.New(logbound.New(tracing.NewLogHandler(lambdacontext.NewLogHandler())))
	cfg, err := ingest.ConfigFromEnv(os.Getenv)
	if err != nil {
		fail(log, err)
	}
	mapper, err := cfg.LoadMapper()
	if err != nil {
		fail(log, err)
	}
	awsCfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		fail(log, err)
	}
	// X-Ray: each AWS call of a sampled invocation (the SQS send) is sent
	// to Lambda's X-Ray daemon as a subsegment of the function's segment.
	if traces, err := xray.EmitterFromEnv(os.Getenv); err != nil {
		log.Warn("ingest: no X-Ray subsegments", slog.String("error", err.Error()))
	} else if traces != nil {
		awsCfg.HTTPClient = &xray.AWSClient{Base: awshttp.NewBuildableClient(), Emitter: traces}
	}
	webhookSecrets, err := secrets.NewWebhookSecrets(secretsmanager.NewFromConfig(awsCfg), cfg.WebhookSecretsID)
	if err != nil {
		fail(log, err)
	}
	svc := &ingest.Service{
		Sources:       sources.All(),
		Secrets:       webhookSecrets,
		Mapper:        mapper,
		Publisher:     queue.NewPublisher(sqs.NewFromConfig(awsCfg), cfg.QueueURL),
		PublicBaseURL: cfg.PublicBaseURL,
		MaxBody:       cfg.MaxBody,
		MaxFutureSkew: cfg.MaxFutureSkew,
		Log:           log,
		// One EMF line per request on stdout, as the apply function writes its own.
		Metrics: emf.New(os.Stdout, os.Getenv("AWS_LAMBDA_FUNCTION_NAME")),
	}
	lambda.Start(svc.Handle)
}

// fail reports an init error and exits, so Lambda reports Runtime.ExitError
// with the message in the function's log.
func fail(log *slog.Logger, err error) {
	log.Error("ingest: init failed", slog.String("error", err.Error()))
	os.Exit(1)
}
