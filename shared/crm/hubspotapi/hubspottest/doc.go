// Package hubspottest is a fake HubSpot CRM API on loopback, in the style
// of net/http/httptest and gainsighttest: the endpoints package hubspotapi
// calls, with HubSpot's behaviour where the client depends on it.
//
//	s := hubspottest.NewServer(t)          // 127.0.0.1, closed by t.Cleanup
//	s.PutCompany("5001", "Globex")
//	s.PutDeal(hubspottest.Deal{ID: "901", Properties: map[string]string{"dealname": "..."}, CompanyID: "5001"})
//	// point the client at s.URL with s.Token
//
// What it does as HubSpot does: Bearer-token authentication (401
// INVALID_AUTHENTICATION); batch reads of up to 100 ids answering 207 with
// OBJECT_NOT_FOUND errors for ids it does not have, archived (deleted)
// deals included; v4 deal-to-company associations with the primary
// company's type id 5; CRM search on hs_lastmodifieddate (GTE, LT, EQ),
// sorted, paged by an "after" offset, refusing pages past 10,000 results
// (400) as HubSpot does; the burst limit per 10 seconds and the search
// limit per second, with X-HubSpot-RateLimit-* headers on every reply and
// 429s (policy TEN_SECONDLY_ROLLING or SECONDLY) past them; and injected
// 429s with Retry-After (Throttle). Every request is logged (never the
// token). Time comes from Options.Now.
//
// For local runs New(Options{...}) builds one and Start or Listen serves it
// until Close. It imports the standard library only.
package hubspottest
