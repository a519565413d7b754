// Package chaos holds the measurement harnesses of the whole pipeline on
// one machine, with real processes and no AWS account: the chaos benchmark
// (Run, wired by cmd/goalrelay-chaos, `make chaos`) and the end-to-end
// latency benchmark (MeasureLatency, BenchmarkLatency, `make latency`).
//
// # Chaos
//
// Run plays one workload twice, first without faults or kills (the
// baseline) and then with them, each time against fresh resources:
//
//	signed webhooks (generic source) → webhook front (package devstack)
//	  → the ingest bootstrap under aws-lambda-rie → SQS FIFO on moto_server
//	  → Config.Consumers local event source mappings (package localesm:
//	    batches, partial batch responses, deletes; a failed item comes back
//	    only when its visibility time-out runs out, redrive to the DLQ)
//	  → as many apply bootstraps under aws-lambda-rie, killed with SIGKILL
//	    every Config.KillEvery (rie.Function.Kill) and started afresh
//	  → a fault front that fails Config.FaultRate of the calls with a
//	    seeded mix: a 500, a connection dropped after the call took effect,
//	    an answer that never comes (past GAINSIGHT_TIMEOUT) before or after
//	    the call took effect
//	  → the Gainsight simulator (package gainsighttest).
//
// The workload is Config.Records records × Config.Versions versions of a
// goal upsert, each version naming itself in the goal's Name ("r07 v3").
// Versions 1 and 2 are sent first, 4..Versions a little later, version 3
// last (older than what the goal may already hold), and then late
// duplicates: versions 1 and Versions of some records sent again straight
// to the queue under a new MessageDeduplicationId, as a CRM retry after
// the FIFO window would be. Config.Bad events carry a status the tenant
// does not know and must end in the DLQ with their reason.
//
// At the end (or at Config.TimeLimit) it checks every event: lost (neither
// complete in the state table nor in the DLQ, or a record without its
// goal), doubled (a record with more than one goal, an event twice in the
// DLQ), stale (a write that took effect after a newer version of the same
// record had; a goal that does not end on its newest version), the DLQ,
// and the drain time. Result.Report prints the figures; the drain time of
// the faulty run is also given as a multiple of the baseline's.
//
// Everything listens on and talks to 127.0.0.1 only; Run stops every
// process it started (moto_server, the emulators and bootstraps), by the
// process group or pid it holds, never by name.
//
// # Latency
//
// MeasureLatency starts the local stack of package devstack and times
// webhooks one at a time, from the HTTP POST to the front until the goal
// is visible in the simulator, at a given share of transient faults (503)
// injected by the simulator.
//
// This package is test and local-run tooling: no Lambda function links it.
package chaos
