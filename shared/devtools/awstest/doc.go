// Package awstest starts the local AWS emulator (moto_server, serving SQS,
// DynamoDB and Secrets Manager) on loopback for tests and local runs, and
// builds aws.Config values that point at it.
//
// It is imported by tests and by cmd/ tools only, never by Lambda code.
package awstest
