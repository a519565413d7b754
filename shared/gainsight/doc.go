// Package gainsight is a typed client for the Gainsight Customer Goals API
// (reference/gainsight-customer-goals-api.txt): goals (create, update,
// fetch), goal templates (create, update, delete, fetch), metrics (create,
// update, delete) and the admin picklist.
//
// One Client serves every endpoint. Each method takes a context and a
// request struct and returns a response struct or an error:
//
//	c, err := gainsight.New(gainsight.Options{
//		BaseURL:   "https://acme.gainsightcloud.com",
//		AccessKey: keys, // a gainsight.AccessKeyProvider
//	})
//	res, err := c.UpdateGoal(ctx, &gainsight.UpdateGoalRequest{...})
//
// # Errors
//
// Every reply goes through one classifier. Failures come back as
// *APIError (both failure shapes of the spec: the JSON envelope with
// result:false, even under HTTP 200, and the HTTP 500 Spring-style
// CSGoalException body), *RateLimitError (HTTP 429, with Retry-After) or
// *TransportError (the request or its reply did not make it; it wraps the
// cause, so errors.Is(err, context.DeadlineExceeded) holds). Each says
// whether a retry can help through a Retryable method; IsRetryable,
// IsUnauthorized and RetryAfter read that with errors.As. The access key
// never appears in an error string.
//
// # Choices where the specification is ambiguous
//
//   - Paths: every endpoint is sent under /v1, metrics included (the spec
//     writes the metric endpoints without /v1; see PathMetric).
//   - Template update is sent as PUT (the spec says both POST and PUT; see
//     Client.UpdateTemplates).
//   - Template fetch accepts both the usual envelope and the bare
//     {"recordList": [...]} body of the spec's sample.
//   - A 500 CSGoalException whose message starts with "Invalid" is a
//     validation error, never retryable, although the error-code table
//     gives such failures HTTP 400.
//   - The picklist is a GET with a JSON body, as specified.
//   - Create and update carry one goal per request (see CreateGoalRequest).
//   - Template DueDate is a number of days (TemplateRecord.DueDays); goal
//     DueDate is a YYYY-MM-DD string (GoalRecord.DueDate).
//
// The client does not retry, sleep or log: the caller owns the retry policy
// (and the quota), and time-outs and cancellation come from the context
// only.
//
// This package imports only the standard library: nothing from AWS and no
// other goalrelay package. Its in-memory test double is package
// gainsighttest.
package gainsight
