// Package hubspotapi reads HubSpot deals back through the CRM v3 API (and
// the v4 associations API) with a private-app or OAuth access token:
//
//   - a batch of up to 100 deals in one call (POST
//     /crm/v3/objects/deals/batch/read, the properties the mapping reads),
//     their companies in a second (POST
//     /crm/v4/associations/deals/companies/batch/read) and the companies'
//     names in a third (POST /crm/v3/objects/companies/batch/read); the
//     last two are skipped for deals that already carry company_name;
//   - the deals modified in a time range (POST /crm/v3/objects/deals/search
//     on hs_lastmodifieddate, ascending, 100 per page), in windows that
//     stay under the search's cap of 10,000 results: when a window's pages
//     reach the cap, a new search starts at the last modification seen.
//
// Reader adapts the client to webhook.Reader: a deal becomes a full-record
// change, its properties as the fields plus company_name (the primary
// company's name, else the first), its id
// "hubspot:<portal>:deal:<id>:<hs_lastmodifieddate ms>:readback".
//
// The client keeps HubSpot's published limits with a crm.Limiter: the
// burst limit per 10 seconds (default 100, Free and Starter; set
// "burstPer10s" for Professional and Enterprise, 190) and the daily cap
// (default 250,000; "dailyLimit") for every call, and the CRM search's 4
// requests a second on top for searches. It reads what
// X-HubSpot-RateLimit-Remaining and -Daily-Remaining say is left (other
// apps of the account spend the same budget) and answers a 429 with a
// *crm.RateLimitError carrying Retry-After (or the policy's window when
// HubSpot sends none), after which the limiter holds every call back.
//
// Credentials are the hubspot member of the CRM credentials secret:
//
//	{"accessToken": "pat-...", "portalId": "62515", "burstPer10s": 190,
//	 "dailyLimit": 650000, "properties": ["custom_prop"]}
//
// accessToken is required (scopes crm.objects.deals.read and
// crm.objects.companies.read); portalId, when set, refuses events of
// another portal (crm.ErrAccount) instead of reading a deal of the same id
// in the token's own portal. The token is sent in the Authorization header
// only and never appears in an error.
//
// hubspottest is a fake of these endpoints on loopback for tests and local
// runs. This package imports the standard library, shared/crm and
// shared/webhook only.
package hubspotapi
