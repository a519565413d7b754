// Package gainsighttest is an in-memory Gainsight tenant that speaks the
// Customer Goals API, in the style of net/http/httptest: a test double
// shipped beside the client. "The spec" in its comments is Gainsight's
// public help article on that API, as in package gainsight; the facts it
// relies on and the ambiguities are summarised in package gainsight's
// documentation and in docs/gainsight-api.md.
//
//	s := gainsighttest.NewServer(t)           // 127.0.0.1, closed by t.Cleanup
//	// point the client under test at s.URL with s.AccessKey and s.Client()
//	goals := s.Goals()                        // inspect the tenant
//	log := s.Requests()                       // what was sent (never the key)
//
// Options (zero values are the defaults) are changed in the functions
// NewServer takes:
//
//	clock := gainsighttest.NewManualClock(start)
//	s := gainsighttest.NewServer(t, func(o *gainsighttest.Options) {
//		o.Now = clock.Now
//		o.CallsPerMinute, o.CallsPerDay = 2, -1 // negative: unlimited
//	})
//
// For local runs, New(Options{...}) builds a server and Start or
// Listen(addr) serves it in the background until Close; cmd/gainsight-sim
// wraps that. Handler returns the http.Handler for in-process use.
//
// It is strict: at least as strict as the spec where the spec is clear, and
// where the spec is ambiguous it serves one reading at a time, chosen by a
// named Options field whose zero value is the literal, strict reading, so
// that tests prove the client against each reading. Leniencies
// (AcceptBothVariants, LenientUpdate, AcceptGoalTypeName, PicklistDetails)
// are options documented as such; a caller that needs one sets it where it
// builds the server, visibly.
//
// It is an independent implementation: it imports nothing from package
// gainsight and has its own wire types, so a client bug cannot be mirrored
// by a shared struct. It uses the standard library only and must not import
// AWS packages or other goalrelay packages.
//
// # What it simulates
//
//   - Goals: POST create (exactly one request per call), PUT update, POST
//     fetch; templates: POST create, PUT update (or POST, see below), DELETE
//     delete, POST fetch; metrics: POST create and PUT update on
//     /csgoal/external/metric/ (with its trailing slash), DELETE delete on
//     /csgoal/external/metrics (plural), without /v1 unless
//     Options.MetricPaths is MetricPathsV1; the admin picklist (GET with a
//     JSON body). Every other path is served under /v1 only, exactly as the
//     spec writes it. Other paths answer 404 and other methods 405 (with
//     Allow), both with a Spring-style body {timestamp, status, error,
//     [exception,] message, path}, as a gateway would.
//   - A seeded tenant: companies (IBM, Acme Corp, Globex, Initech, Umbrella
//     Corporation, Meta, NEW), relationships, opportunities, goal statuses
//     (New, On Track, At Risk, Achieved, Not Achieved, Closed, In Progress),
//     goal types (Default, CP Goal Type, Adoption, Renewal, Expansion, CG1,
//     CG4, and the inactive Legacy Onboarding), metrics, CTAs, Success Plans,
//     goals and templates, and the custom goal fields of
//     Options.CustomFields (default DefaultCustomFields():
//     goalrelay_external_id__gc, crm_stage__gc, cf_picklist__gc,
//     cust_string_value__gc and comp_lookup_gsid__gc, empty tenants
//     included); any other __gc name is refused in select, where and
//     records. Seed records reuse the
//     Gsids of the spec's samples, so every sample request of the spec runs
//     verbatim. Tests extend the tenant with AddCompany, AddStatus,
//     AddGoalType, AddMetric, AddCustomField, AddCTA and friends.
//   - Gsids are "1CG0" (goals, templates), "1I00" (statuses, goal types,
//     metrics, metric values), "1P01" users, "1P02" companies, "1P05"
//     relationships, "1S01" CTAs, "1S02" Success Plans, each followed by 32
//     uppercase alphanumerics, drawn from a generator seeded by Options.Seed.
//     Every answer carries a requestId (also in the X-Request-Id header).
//   - Quota as Gainsight enforces it: fixed windows (per minute and per day,
//     aligned to the window length, i.e. minute and UTC-midnight
//     boundaries), 100/minute and 50,000/day unless configured. Past a limit
//     the answer is 429 with Retry-After: the whole seconds (rounded up, at
//     least 1) until the binding window ends (no header with
//     Options.RateLimitNoRetryAfter). Refused calls are not counted.
//     Only authenticated, routed calls count. The clock is Options.Now
//     (ManualClock for tests).
//   - Faults: FailNext(n, Fault) queues answers (status and body, a hang
//     until the client's time-out, a dropped connection) and SetFaultRate a
//     seeded probability; Fault.AfterApply applies the call and then loses
//     the answer. SetLatency adds a delay that honours the request context.
//   - Robustness: missing or wrong accesskey → 401, malformed JSON or
//     unknown members of the request structure → 400, body over
//     Options.MaxBodyBytes → 413; a panic becomes a 500 envelope. All answers
//     are JSON.
//
// The order of checks for a request is: body size, access key, route and
// method, quota, latency, fault, endpoint.
//
// # Error answers
//
// Validation failures of goals use the spec's HTTP 500 CSGoalException body
// {timestamp, status, error, exception, message, path} whose message starts
// with "Invalid" ("Invalid StatusName provided in request", "Invalid fields
// in select clause - X", "Invalid Gsid provided in request", "Invalid fields
// in request - X" for unknown record fields, ...); the path is the one
// without /v1, as in the samples. The spec's table codes are answered as
// the JSON envelope with HTTP 400: 8001 CTA_RECORD_EMPTY and 8002
// SP_RECORD_EMPTY (a CTA or SP set present but empty), 8007
// INVALID_PAGE_REQUEST, 8008 INVALID_LOOKUP_CONFIG (bad lookup
// configuration, no match with onNoMatch ERROR, several matches with
// MARKASERROR, or a CompanyName/RelationshipName/OpportunityName that no
// lookup resolves). Envelope errorCode values are the bare numbers ("8001");
// message is "<message> <requestId>" as in the spec's failure sample.
// Metric errors are VC_1002 and VC_8026 (with errorInfo usageInLayouts,
// usageInGoals, hasUsage). Transport-level errors use the envelope with
// codes GS_4000 (bad request), GS_4010 (401), GS_4130, GS_4290 (429),
// GS_5000 (internal), GS_FAULT (injected); 404 and 405 use the Spring-style
// body of a gateway. With Options.ValidationErrors = ErrorsAsTable, the
// invalid-field and invalid-status failures are answered as the error
// table's HTTP 400 envelopes 8009 INVALID_FIELD and 8010
// INVALID_STATUS_NAME instead of the samples' 500 bodies.
//
// # Choices where the spec is ambiguous
//
//   - Metric paths: without /v1 as written (default) or under /v1
//     (Options.MetricPaths); the other variant is a 404.
//   - Template update: PUT .../template (the URL line "Put ...", the
//     default) or POST (the "Method POST" line,
//     Options.TemplateUpdateMethod). With PUT, POST only creates and a POST
//     record carrying a Gsid fails ("Invalid Gsid"); with POST, a record
//     with a Gsid updates, one without creates, and PUT is a 405.
//     Options.AcceptBothVariants (lenient) serves both readings of both.
//   - Goal update must keep Name and a status: a record without Name, or
//     without StatusName and StatusId, is refused ("Invalid Name ...",
//     "Invalid StatusName ..."), as the spec says they cannot be left empty;
//     Options.LenientUpdate (lenient) accepts partial updates.
//   - GoalTypeName is documented for templates only: in a goal record it is
//     an unknown field ("Invalid fields in request - GoalTypeName") unless
//     Options.AcceptGoalTypeName (lenient).
//   - Template fetch answers with the usual envelope, data.recordList being
//     flat records (no dataList); Options.TemplateFetchBare answers the bare
//     {"recordList": [...]} of the sample instead.
//   - Update, like create, takes exactly one request: its answer has room
//     for one record. Unknown Gsid on update (the spec repeats the status
//     sample) is a 500 CSGoalException "Invalid Gsid provided in request".
//   - Invalid status name is the 500 CSGoalException of the sample, not the
//     table's 400/8010; likewise invalid select fields are 500, not 8009.
//   - Names (StatusName, template GoalTypeName, associateGoalTypeNames)
//     match case-insensitively; lookups match object fields exactly. FIRSTMATCH takes
//     the oldest record; empty multiMatchOption means FIRSTMATCH, empty
//     onNoMatch means ERROR; onNoMatch NULL sets the target field to null.
//   - metricsDissociation accepts Gsid strings (goal sample) and {metricId}
//     objects (template sample). Dissociations apply before associations,
//     for metrics and CTAs/SPs alike. Associated metrics must be linked to
//     the goal's type. Actual values are merged by timestamp.
//   - A template's DueDate is a whole number of days; a goal's is YYYY-MM-DD.
//     A goal created from TemplateId takes the template's fields (DueDate =
//     today + days) unless the record overrides them.
//   - Template create/update answer 200 with successList and failureList
//     (entries {index, record, errorCode, message}). Metric create/update do
//     the same, except that when every record fails the answer is the VC_1002
//     error envelope (HTTP 400). Metric delete is all or nothing.
//   - Fetch: select must name known fields (standard or custom); records are
//     in creation order; pageSize 1..5000 (default 100), pageNumber ≥ 1
//     (default 1); anything else is 8007. A page past the end is empty.
//   - Where conditions: operators EQ, NE, IN, NOT_IN, CONTAINS,
//     NOT_CONTAINS, STARTS_WITH, ENDS_WITH, GT, GTE, LT, LTE, BTW (two
//     values), IS_NULL, IS_NOT_NULL. EQ, IN, NE and NOT_IN compare text
//     exactly, case included (nothing in the spec shows otherwise); the
//     pattern and ordering operators ignore case (the spec's STARTS_WITH
//     "barca" returns "Barca custom goal"); numbers compare numerically,
//     other text (dates) lexically; EQ with several values acts as IN, NE as
//     NOT_IN. An empty or absent value counts as null. The
//     expression combines aliases with AND, OR and parentheses, AND binding
//     tighter; no NOT. An empty expression ANDs every condition. Unknown
//     fields, operators and aliases are "Invalid ..." 500 answers.
//   - Picklist: an empty body means all goal types; active true keeps active
//     entries only. entityIds keeps the goal types offered on any of those
//     entities (ALL_ENTITY types always match; asking for ALL_ENTITY returns
//     every type). The answer has exactly the shape of the spec's sample:
//     "childPicklistIds": {} on every entry, "childPicklists": [] and
//     "metrics": null, whatever includeChildPicklist and includeMetrics say
//     (the sample asked for child picklists and got those). With
//     Options.PicklistDetails (lenient, a guess the spec does not show)
//     includeChildPicklist adds childPicklistIds {"GOAL_STATUS": [status
//     Gsids]} and the status picklists as childPicklists, and includeMetrics
//     adds data.metrics, the metrics linked to the returned types, each with
//     goalTypeIds.
package gainsighttest
