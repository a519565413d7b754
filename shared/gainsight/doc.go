// Package gainsight is a typed client for the Gainsight Customer Goals API
// of Gainsight NXT: goals (create, update, fetch), goal templates (create,
// update, delete, fetch), metrics (create, update, delete) and the admin
// picklist. "The spec" in this package's comments is Gainsight's public
// help article that describes this API ("Customer Goals APIs"); its sample
// requests and replies are kept in testdata/spec and testdata/replies.
// docs/gainsight-api.md at the top of the repository explains the API
// facts and the ambiguities below at more length.
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
// # What the client relies on
//
//   - Base URL: the tenant's address, https://<subdomain>.gainsightcloud.com
//     or its custom domain, given without /v1 (Options.BaseURL). Paths are
//     /v1/csgoal/external/... as the spec writes them, except the metric
//     endpoints, which the spec writes without /v1 (see below); see the
//     Path constants.
//   - Authentication: the header "accesskey: <key>" on every request. The
//     key does not expire, and there is one per organisation, so issuing a
//     new key invalidates the old one: a 401 or 403 (IsUnauthorized) means
//     the caller should read the key again, once.
//   - JSON bodies both ways. A successful reply is the envelope
//     {"result": true, "requestId": ..., "data": ...}; template fetch may
//     also answer the bare data.
//   - Quota: Gainsight allows a tenant 100 calls per minute and 50,000
//     per day by default, counted in fixed windows (the minute, the UTC
//     day), and answers 429 past either. The client does not count calls;
//     package quota does, in the same windows.
//
// # Errors
//
// Every reply goes through one classifier. Failures come back as
// *APIError (both failure shapes of the spec: the JSON envelope with
// result:false, errorCode, message and requestId, even under HTTP 200;
// and the HTTP 500 Spring-style body with timestamp, status, error,
// exception CSGoalException, message and a path without /v1),
// *RateLimitError (HTTP 429, with Retry-After) or
// *TransportError (the request or its reply did not make it; it wraps the
// cause, so errors.Is(err, context.DeadlineExceeded) holds). Each says
// whether a retry can help through a Retryable method; IsRetryable,
// IsUnauthorized and RetryAfter read that with errors.As.
//
// The access key never appears in an error: every field an error copies
// from a reply (message, errorCode, errorDesc, requestId, errorInfo, the
// Spring exception and path, a quoted body, a request-id or Location
// header, a transport error quoting the reply) has the key replaced by
// "[redacted]" before it is cut, and then every run of 8 or more bytes
// that is a piece of the key, so that a key cut by a bound (ours or a
// server's) is not kept either. Those fields are bounded too: a message
// to 1 KiB, a quoted body to 200 bytes, the other strings to 256 bytes,
// each cut at a UTF-8 boundary and marked with "…".
//
// Validation errors (APIError.Validation), never retryable, are the codes
// of the spec's error table, 8001–8010 with or without a prefix such as
// GS_ (8001 CTA_RECORD_EMPTY, 8002 SP_RECORD_EMPTY, 8007
// INVALID_PAGE_REQUEST, 8008 INVALID_LOOKUP_CONFIG, 8009 INVALID_FIELD,
// 8010 INVALID_STATUS_NAME), and any Spring-style body whose message
// starts with "Invalid". 429, other 5xx and transport failures are
// retryable; other envelope failures (the metric codes VC_1002 and
// VC_8026, say) are Gainsight's answer to that body and are not.
//
// # Choices where the specification is ambiguous
//
//   - Metric paths (create, update, delete) and the template update method
//     are learnt from the tenant, not assumed. For each of these endpoints
//     the client sends the spec's literal reading first (metrics without
//     /v1; template update as PUT, the method of its URL line) and, if the
//     tenant answers 404 or 405, the documented alternative once (metrics
//     under /v1; template update as POST). The variant that answered is
//     remembered per endpoint for the life of the Client (safe for
//     concurrent use; concurrent first calls may each try both) and
//     reported once through Options.OnVariant; a remembered variant that
//     later answers 404 or 405 is forgotten. Client.Variants says what is
//     known, and Client.Probe learns all four with empty, write-free
//     requests, for a preflight check. Replies that prove nothing about the
//     route (401, 403, 429, 502–504, transport errors) teach nothing and
//     cause no fallback.
//   - The picklist is decoded tolerantly (the spec shows one sample): unknown
//     members are ignored and missing or mistyped optional members left
//     zero; an unusable reply is a *PicklistShapeError, so a caller can skip
//     a pre-check rather than block on it.
//   - GoalRecord.GoalTypeName is not documented for goals (only GoalTypeId
//     is); prefer GoalTypeID.
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
