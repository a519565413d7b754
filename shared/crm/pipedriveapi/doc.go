// Package pipedriveapi reads Pipedrive deals back through the API v2 with
// a personal API token (sent in the x-api-token header, never in the URL)
// or an OAuth access token (Authorization: Bearer):
//
//   - deals by id, up to 100 in one call (GET /api/v2/deals?ids=...), and
//     their organisations' names in a second (GET
//     /api/v2/organizations?ids=...); a deal Pipedrive no longer returns,
//     or returns deleted, is gone;
//   - the deals updated in a time range (GET /api/v2/deals with
//     updated_since, updated_until, sort_by=update_time ascending, 500 a
//     page, following additional_data.next_cursor).
//
// Reader adapts the client to webhook.Reader: a deal becomes a full-record
// change, its v2 fields plus org_name (the organisation's name, which v2
// webhooks lack), its id
// "pipedrive:<company>:readback:deal:<id>:<update_time µs>".
//
// The client keeps Pipedrive's token-based limits with a crm.Limiter: the
// account's daily token budget (30,000 base tokens × the plan's multiplier
// × seats; default 30,000, "dailyTokens") with each call's token cost (a
// list of deals 10, a list of organisations 10; DealListCost, OrgListCost)
// and the burst limit per 2 seconds (API token on Lite: 20; "burstPer2s").
// It follows x-ratelimit-remaining, and a 429 becomes a *crm.RateLimitError
// with Retry-After (else x-ratelimit-reset, else 2 s), after which the
// limiter holds every call back.
//
// Credentials are the pipedrive member of the CRM credentials secret:
//
//	{"apiToken": "...", "companyId": "8100001", "burstPer2s": 20, "dailyTokens": 60000}
//
// or {"accessToken": "..."} for OAuth. companyId, when set, refuses events
// of another company (crm.ErrAccount). pipedrivetest is a fake of these
// endpoints on loopback. This package imports the standard library,
// shared/crm and shared/webhook only.
package pipedriveapi
