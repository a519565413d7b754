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
//	quota#day#<YYYY-MM-DD>                      n (Number), expiresAt, notBefore (epoch ms, after a 429),
//	                                            strikeAt, spentAt, probeAt (epoch ms; a day spent by others)
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
// which we then fill again. So the limiter keeps a dead zone (the guard)
// on both sides of every window boundary: no unit is taken within the
// guard before or after a boundary. As long as the guard covers how late
// after the count a call reaches Gainsight plus the clock offset, every
// call lands in the window it was counted in, and the limiter can be
// configured at the tenant's full limit without a 429.
//
// The guard is sized from what this consumer's calls show, not a
// constant:
//
//	guard = clamp(p99(commit) + p99(request) + |offset| + GuardMargin, SkewGuard, MaxSkewGuard)
//
// where:
//
//   - commit: the time from the instant a take counts its unit (chooses
//     the window) to the end of its transaction, measured by Take;
//   - request: the time from sending a Gainsight request to receiving its
//     reply (Observe; the client reports it through
//     gainsight.Options.OnResponse), an upper bound of the one-way trip;
//   - offset: Gainsight's clock minus ours, from the replies' Date
//     headers. Gainsight stamps Date between our send and receive and
//     truncates it to Options.DateResolution (one second), so one reply
//     says offset ∈ [Date - received, Date + resolution - sent]. The
//     estimate intersects the intervals of the recent replies, newest
//     first, stopping at the first that contradicts the newer ones (a
//     clock step); replies at different sub-second phases narrow a
//     whole-second Date down to about one request time. |offset| is the
//     larger magnitude of the interval's ends.
//
// p99s are nearest-rank over the last 128 observations of each kind
// (bounded memory), ignoring those more than 15 windows older than the
// newest, so the estimate follows a change within a window or two of
// busy traffic. Before any observation the guard is SkewGuard (Window/600,
// 100 ms for a minute); MaxSkewGuard (Window/4) caps it, so at least half
// of every window stays open. GuardMargin defaults to Window/600.
// Options.ConstantGuard keeps the former constant SkewGuard.
//
// Each consumer estimates for itself; nothing is shared. That is safe
// because what the guard protects is per call: a unit counted under
// window W is harmless exactly when the call made with it reaches
// Gainsight in Gainsight's window W, and where that call lands depends on
// the clock that chose W and the path the call takes, both this
// consumer's own. If every consumer's calls land in the window they were
// counted in, Gainsight's window holds at most the shared counter's
// budget. A consumer with a poor (wide) estimate only delays its own
// calls.
//
// Under a backlog the minute is spent early in each window, so the dead
// zone costs no throughput as long as the window's calls fit between the
// two guards; it delays a lone call near a boundary by at most twice the
// guard.
//
// A day spent by others. Our day counter knows only our own calls; another
// integration on the tenant can spend Gainsight's day, and Gainsight then
// answers every call with a 429 WITHOUT Retry-After until UTC midnight.
// Penalize alone would make every consumer wait a minute and try again, all
// day. RateLimited (which Penalizes too) tells the two apart:
//
//   - A 429 with Retry-After is a busy window (or a pause Gainsight
//     names): Penalize, nothing more.
//   - A 429 without Retry-After is a strike when its minute window held
//     fewer than Options.FreshWindowCalls (default PerMinute/2) of our
//     units before it: the tenant refused a window we had hardly used.
//     The day item's strikeAt notes the strike's window start.
//   - A strike in a LATER minute window than the noted one, at most
//     Options.StrikeWithin (15 minutes; longer than the queue's 12-minute
//     visibility timeout) after it, marks the day spent: spentAt (when)
//     and probeAt (the next probe, Options.ProbeEvery = an hour later).
//     The refusal persisted into a fresh minute window, which a minute
//     limit never does.
//
// While the day is marked, Take returns ErrDailyExhausted with Limit
// LimitDaySpent at once (Resets: the next day window; Probe: the next
// probe), except for the probe: the first consumer to take a unit after
// probeAt claims it in the same transaction (a condition on probeAt, which
// moves ProbeEvery on), so one call per hour goes through tenant-wide;
// TakeProbe tells the caller it holds it. If Gainsight answers the probe
// (anything but a 429 or a failure to answer), the caller calls DayBack,
// which removes spentAt, probeAt and strikeAt; otherwise the mark stays
// until the next probe. The mark lives on the day's item, so it ends with
// the day window whatever happens. Remaining reports it
// (DaySpentByOthers, NextProbe, DayLeft 0).
//
// Time is injectable (Options.Now, Options.After), so tests never sleep.
// The package imports the DynamoDB SDK only, nothing from Gainsight, SQS or
// Lambda, and never logs.
package quota
