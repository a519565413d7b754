// Package crm is what the CRM read-back clients (hubspotapi, pipedriveapi
// under this folder) have in common: their typed errors (*APIError,
// *RateLimitError), the one table that turns a read-back error into what
// its caller does (Classify), the fixed-window limiter each client keeps
// for its CRM's published limits (Limiter), and the bounded reading of
// replies and Retry-After headers.
//
// The clients speak the contract of package webhook (webhook.Reader,
// webhook.ReadBack); a source adapter names its own client in its
// descriptor. This package imports the standard library only: nothing
// from AWS, Gainsight or the adapters. Errors never carry a credential.
package crm
