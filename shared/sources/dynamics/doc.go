// Package dynamics is the Microsoft Dynamics 365 / Dataverse webhook
// source: a webhook service endpoint (contract 8) whose steps on Create,
// Update, Upsert or Delete of a table POST the JSON form of the step's
// Microsoft.Xrm.Sdk.RemoteExecutionContext.
//
// # Authentication
//
// Dataverse signs nothing; it sends a static secret chosen at registration.
// The source's secret (its member of the webhook secret JSON) is
//
//	{"header":"x-goalrelay-key","value":"<long random value>"}
//
// and the webhook is registered with the HttpHeader authentication type,
// key x-goalrelay-key (or whatever "header" names; it defaults to
// x-goalrelay-key). "values" may list several accepted values during a
// rotation. Values are compared in constant time over SHA-256 digests, so
// neither the value nor its length leaks through timing.
//
// The WebhookKey registration type sends the value as the query parameter
// "code" instead. Query strings end up in API Gateway and CloudWatch access
// logs, so it is off unless the secret opts in with "queryParam":"code";
// the header is still preferred when both are present.
//
// # Body
//
// One context becomes at most one webhook.Change:
//
//   - ID: "dynamics:<OrganizationId>:<OperationId>:<PrimaryEntityId>"
//     (Dataverse does not document which of its ids stays the same across
//     its one retry after a 502, 503 or 504; OperationId names the
//     operation rather than the request). Without an OperationId (all-zero
//     or absent, as for some synchronous steps) the RequestId stands in;
//     without both, the CorrelationId together with MessageName and the
//     OperationCreatedOn milliseconds
//     ("corr-<CorrelationId>-<MessageName>-<ms>"). GUIDs are lower-cased.
//   - Source: "dynamics/org/<OrganizationId>".
//   - Object: PrimaryEntityName, the table's logical name ("opportunity").
//   - RecordID: PrimaryEntityId (else the Target's Id).
//   - Op: OpUpsert for Create, Update and Upsert; OpDelete for Delete. Other
//     messages (Assign, SetState, ...) are valid but ignored: no changes, no
//     error, so Dataverse gets a 2xx.
//   - OccurredAt: OperationCreatedOn, else the modifiedon attribute.
//   - Fields: for Create, Update and Upsert, the attributes of every
//     PostEntityImages entry (in order) with the Target's attributes over
//     them: the Target holds exactly what this operation wrote, the images
//     hold the rest of the record. For Delete (whose Target is an
//     EntityReference) the PreEntityImages attributes, the last known state,
//     if the step registers one. Non-empty FormattedValues of those
//     entities (option set labels, formatted money) are added under the key
//     "FormattedValues" as a map of strings; attribute logical names are
//     lower case, so the key cannot clash with an attribute.
//
// Attribute values are flattened to plain JSON-like Go values:
//
//	OptionSetValue, Money, BooleanManagedProperty, AliasedValue → their Value (float64, bool, ...)
//	OptionSetValueCollection → []any of numbers
//	EntityReference          → map[string]any{"Id", "LogicalName", "Name"} (Name may be nil)
//	Entity                   → map of its attributes; EntityCollection → []any of those maps
//	"/Date(ms)/", "/Date(ms+hhmm)/" → RFC 3339 string in UTC (the ms are UTC; the offset is informational)
//	other typed objects      → their Value when they have one, else the object without "__type"
//
// Over 256 KB Dataverse drops InputParameters and the images and sets the
// x-ms-dynamics-msg-size-exceeded header; such a context still becomes a
// Change, with empty Fields.
//
// # Decoder
//
// decode.go is a hand-written one-pass decoder of the context with
// encoding/json's rules (member names matched case-insensitively, null
// handling, repeated members, type mismatches reported at the end, 10000
// levels of nesting, the same unquoting). It stays because it pays for
// itself. oracle_test.go decodes the same bodies with encoding/json into
// the same result; on the three testdata bodies (one op decodes all three
// and reads each Target as an entity, all the decoding Parse does):
//
//	go test -run '^$' -bench BenchmarkDecode -benchmem -count 6 ./shared/sources/dynamics/
//
//	                               median ns/op    B/op  allocs/op
//	BenchmarkDecode/handwritten          48,408  14,208        261
//	BenchmarkDecode/encoding_json       169,295  30,056        505
//
// 3.5× less time (4.4× in an earlier run of the same command: 48,660
// against 215,340), half the bytes and allocations. On the whole adapter
// path (BenchmarkVerifyParse, Verify and Parse, medians of 6; the
// encoding/json figures from a test binary built with the oracle standing
// in for decodeContext): update 30.5 µs against 87.0 µs (2.9×), create
// 32.3 against 99.7 (3.1×), delete 12.8 against 43.7 (3.4×); 117 against
// 217 allocations for update. The ingest goal of 20,000 events/s per core
// leaves 50 µs per event for everything; here Verify and Parse took 30 µs
// with the hand-written decoder and 87 to 100 µs with encoding/json. The
// figures come from a shared, heavily loaded 2-core amd64 machine (Go
// 1.26): absolute times are inflated, the ratios held in every run.
//
// The oracle is also the decoder's specification: FuzzDecodeMatchesOracle
// requires both to fail with the same class of error (syntax or type) or
// to give the same context and the same entity for every InputParameters
// value, for every input. A change to decode.go must keep it passing, and
// the decision above should be measured again if encoding/json gets
// markedly faster.
//
// [Source] describes the source; its Open checks the secret and, only
// when it is right, parses the context. Source.Sign (through AuthHeader)
// builds the header Dataverse sends, for tests and goalctl send.
//
// This package imports only the standard library and package webhook; it
// never imports another adapter.
package dynamics
