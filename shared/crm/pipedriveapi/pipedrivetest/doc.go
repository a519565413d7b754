// Package pipedrivetest is a fake Pipedrive API v2 on loopback, in the
// style of net/http/httptest and gainsighttest: the endpoints package
// pipedriveapi calls.
//
//	s := pipedrivetest.NewServer(t)       // 127.0.0.1, closed by t.Cleanup
//	s.PutOrganization(7, "Globex")
//	s.PutDeal(pipedrivetest.Deal{ID: 43, Title: "...", OrgID: 7})
//	// point the client at s.URL with s.APIToken
//
// What it does as Pipedrive does: the x-api-token header or an OAuth
// bearer token (401 otherwise); GET /api/v2/deals and
// /api/v2/organizations with ids (up to 100), or for deals updated_since /
// updated_until (RFC 3339), sort_by=update_time, limit (at most 500) and
// cursor paging through additional_data.next_cursor; deleted deals are
// left out (DeleteDeal), or returned with is_deleted true while
// Options.ReturnDeleted is set (Pipedrive keeps them 30 days); the burst
// limit per 2 seconds and the daily token budget with each call's token
// cost, x-ratelimit-* headers, and 429s past them or injected (Throttle,
// with Retry-After). Every request is logged (never the token).
package pipedrivetest
