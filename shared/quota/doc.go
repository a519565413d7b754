// Package quota is goalrelay's tenant-wide limiter for Gainsight API calls:
// every consumer takes one unit before each call from counters in the
// DynamoDB state table (STATE_TABLE), so that all concurrent consumers
// together stay within the tenant's quota.
//
// Gainsight counts 100 calls per minute and 50,000 per day per tenant in
// FIXED windows (minutes aligned to the UTC minute, days to the UTC day).
// The limiter counts in the same windows, with a budget below Gainsight's
// limits (default 90 per minute and 45,000 per day) to leave headroom for
// other integrations on the tenant. Items, partition key "pk":
//
//	quota#minute#<window start, RFC 3339 UTC>   n (Number), expiresAt, penalizedAt (epoch ms, after a 429)
//	quota#day#<YYYY-MM-DD>                      n (Number), expiresAt, notBefore (epoch ms, after a 429)
//
// Take adds one to both counters in a single TransactWriteItems, each
// conditional on its counter being below its budget, so no interleaving
// of consumers can take more than the budget in a window. When the minute
// is spent, Take waits for the next window if the caller's deadline allows;
// when the day is spent it returns ErrDailyExhausted at once.
//
// Clocks: a consumer's clock and Gainsight's never agree exactly. If ours
// runs ahead, a call we count in a new window can still reach Gainsight in
// the old, already full one; if ours lags, or the request is slow, a call
// counted at the end of a window can land in Gainsight's next window,
// which we then fill again. So the limiter keeps a small dead zone
// (Options.SkewGuard) on both sides of every window boundary: no unit is
// taken within SkewGuard before or after a boundary. As long as clock
// offset plus request latency stays under SkewGuard, every call lands in
// the window it was counted in. Under a backlog the minute is spent early
// in each window, so the dead zone costs no throughput; it only delays a
// lone call near a boundary by at most twice SkewGuard.
//
// Time is injectable (Options.Now, Options.After), so tests never sleep.
// The package imports the DynamoDB SDK only, nothing from Gainsight, SQS or
// Lambda, and never logs.
package quota
