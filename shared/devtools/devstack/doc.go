// Package devstack runs the whole goalrelay pipeline offline, on
// 127.0.0.1, with no AWS account and no Docker:
//
//	HTTP POST /webhooks/{source}
//	  → the front (net/http; API Gateway HTTP API payload 2.0 events)
//	  → the ingest bootstrap under aws-lambda-rie
//	  → SQS FIFO queue <stack>-events.fifo on moto_server (+ FIFO DLQ <stack>-dlq.fifo)
//	  → the local event source mapping (localesm: batches, partial batch
//	    responses, deletes; redrive to the DLQ after maxReceiveCount receives)
//	  → the apply bootstrap under aws-lambda-rie
//	  → the Gainsight simulator (gainsighttest), with state and quota in the
//	    DynamoDB table on moto_server and both secrets in Secrets Manager.
//
// Resource names follow template.yaml for the stack name Options.StackName
// (default "goalrelay"): the queues, the two secrets
// <stack>/webhook-secrets (the test secrets of package testevents) and
// <stack>/gainsight-access-key (the simulator's key). The state table,
// unnamed in the template, is <stack>-state. The queue's visibility timeout
// is short (Options.VisibilityTimeout, 5 s by default) so that retries and
// redrives to the DLQ happen within seconds.
//
// For sam local invoke, Stack.SAMStack says where a function in SAM's
// container finds the stack (host.docker.internal and the ports) and
// WriteSAMEnv writes the --env-vars file for it; with Options.ContainerHost
// (Linux: Docker's bridge address) moto_server and the simulator are also
// served at that address, through TCP relays to 127.0.0.1.
//
// Start builds both bootstraps and the emulator (go build, so the first run
// takes a while and later ones reuse the build cache), starts every process
// and server, and returns a Stack; Stack.Close stops every process it
// started, by process group, through the Close methods of packages awstest
// and rie, and every server it started.
//
// The front mimics API Gateway HTTP API: only POST /webhooks/{source} is
// routed (anything else: 404 {"message":"Not Found"}); header names are
// lower-cased and repeated headers joined with commas; cookies go to the
// cookies list; the body is passed as text for JSON and text/plain bodies
// that are valid UTF-8 and base64-encoded (isBase64Encoded) otherwise;
// requestContext.domainName is the request's Host, so the URL a signature
// covers is https://<Host>/webhooks/<source> unless Options.PublicBaseURL
// is set. A function error answers 500 {"message":"Internal Server Error"},
// an invocation past the integration time-out (10 s) 503
// {"message":"Service Unavailable"}, as API Gateway does.
//
// It is used by cmd/goalrelay-local (make run) and by the end-to-end test,
// and may be used by other tests. It is never imported by Lambda code.
package devstack
