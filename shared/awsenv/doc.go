// Package awsenv builds the aws.Config of goalrelay's Lambda functions from
// the environment Lambda gives them (region, the execution role's
// credentials, and the SDK's standard AWS_ENDPOINT_URL_* variables), in
// place of config.LoadDefaultConfig, whose package (shared config files,
// SSO, STS, IMDS) is about 2 MB of a bootstrap that must stay under 10 MB.
//
// It reads exactly the SDK's own variable names with the SDK's precedence;
// a test compares it with config.LoadDefaultConfig. It must not import the
// SDK's config package.
package awsenv
