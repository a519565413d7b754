// Package goalctl is the operator CLI of goalrelay: the cobra command tree
// behind cmd/goalctl, kept here so that tests run it in-process with
// arguments, buffers and fakes.
//
//	goalctl send SOURCE --url URL          sign and send a sample webhook
//	goalctl goals fetch [--where ...]      query goals in Gainsight
//	goalctl dlq list --stack NAME          what is in the DLQ and why
//	goalctl dlq redrive --stack NAME [--id ID ... | --error-code CODE ...]
//	                                       move it back, all or a selection
//	goalctl backfill --file export.csv ... queue a CRM export as events
//	goalctl reconcile --source S --since T list the CRM's modified records
//	                                       and queue their events (sweep)
//	goalctl quota --stack NAME             what is left of the minute and day
//	goalctl events --record KEY            what became of a record's events
//	goalctl events --id ID --source SRC    what became of one event
//
// --stack NAME (or GOALRELAY_STACK) reads the queue and DLQ URLs, the
// state table and the webhook URL from the CloudFormation stack's outputs
// (stack.go); explicit --queue-url, --dlq-url, --table and --url win.
//
// Run executes one command line and returns its exit code (ExitOK,
// ExitFailure, ExitUsage, ExitPartial, ExitInterrupted); cmd/goalctl only
// wires os.Args, the standard streams and a signal context to it.
//
// AWS clients come from the SDK's own configuration chain (--region,
// --profile, AWS_REGION, AWS_ENDPOINT_URL_SQS, ...): there are no custom
// endpoint flags. Secrets (webhook secrets, the Gainsight access key) are
// read from files, flags or the environment and never printed, not even in
// errors.
//
// The package uses the shared packages (adapters' signing helpers, mapping,
// queue, gainsight, quota, state) and the AWS SDK; nothing imports it but
// cmd/goalctl.
package goalctl
