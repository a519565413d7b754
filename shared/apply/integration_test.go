package apply_test

import (
	"strings"
	"testing"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/localesm"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// TestBootstrapUnderRIE runs the real apply bootstrap under aws-lambda-rie
// against moto_server (SQS FIFO queue with a FIFO DLQ and RedrivePolicy,
// DynamoDB state table, Secrets Manager access key) and the simulator,
// fed by localesm.Poller: goals created and updated, refused events in the
// DLQ with their reasons, and an access-key rotation picked up through the
// 401 refresh without a restart.
func TestBootstrapUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under aws-lambda-rie with moto_server")
	}
	t.Parallel()
	s := newStack(t, stackConfig{Visibility: 2, MaxReceive: 3})
	const key1, key2 = "gs-key-one-0000000000000000", "gs-key-two-1111111111111111"
	s.front.setKey(key1)
	s.putSecret(key1, false)

	out := &syncBuffer{}
	fn := startBootstrap(t, s.bootstrapEnv(), 15, out)
	t.Cleanup(fn.Close)
	pollers := []*localesm.Poller{s.poller(fn)}

	// Six records with two versions each; r05's first version names a
	// status the tenant does not know.
	sc := newScenario("hubspot/portal/4711", 6, 3, [2]int{5, 1})
	// A company Gainsight cannot find (its lookup fails: 8008), and one
	// whose first create attempt meets a 503 before it fails the same way
	// (tried again in the same invocation, so on its first delivery).
	unknown := goalEvent("hubspot:4711:r06", "r06", 1, fullGoal("unknown company"))
	unknown.Source, unknown.Data.Fields["CompanyName"] = sc.source, "No Such Company Inc"
	flaky := goalEvent("hubspot:4711:r07", "r07", 1, fullGoal("flaky company"))
	flaky.Source, flaky.Data.Fields["CompanyName"] = sc.source, "Flaky Company Inc"
	s.front.failOnce("Flaky Company Inc", gt.FaultUnavailable)

	s.publish(append(sc.versions(1, 2), unknown, flaky)...)
	st := s.drain(pollers, 45*time.Second, nil)
	t.Logf("first drain: %+v", st)
	for _, rec := range sc.records {
		want := rec + " v2"
		if g, ok := s.sim.GoalByExternalID(sc.key(rec)); !ok || g.Name != want || g.StatusName != "On Track" {
			t.Errorf("%s: goal %+v, want %q", rec, g, want)
		}
	}

	dlq := s.dlqMessages()
	byID := map[string]sqstypes.Message{}
	for _, m := range dlq {
		byID[attr(m, apply.AttrEventID)] = m
	}
	if len(dlq) != 3 {
		t.Errorf("DLQ holds %d messages, want 3", len(dlq))
	}
	reqIDs := map[string]bool{}
	for _, r := range s.sim.Requests() {
		reqIDs[r.RequestID] = true
	}
	for _, c := range []struct {
		id, code, attempts, msg string
		requestID               bool
	}{
		{sc.id("r05", 1), "INVALID_STATUS_NAME", "1", "Lost Forever", false},
		{unknown.ID, "8008", "1", "No Such Company Inc", true},
		{flaky.ID, "8008", "1", "Flaky Company Inc", true},
	} {
		m, ok := byID[c.id]
		if !ok {
			t.Errorf("event %s is not in the DLQ", c.id)
			continue
		}
		if got := attr(m, apply.AttrErrorCode); got != c.code {
			t.Errorf("%s: error_code %q, want %q", c.id, got, c.code)
		}
		// The flaky company's 503 is retried in the same invocation, so
		// it reaches the DLQ on its first delivery, unless that invocation
		// ran short of time (a loaded machine) and the queue brought it
		// back once.
		if got := attr(m, apply.AttrAttempts); got != c.attempts && !(c.id == flaky.ID && got == "2") {
			t.Errorf("%s: attempt_count %q, want %q", c.id, got, c.attempts)
		}
		if got := attr(m, apply.AttrErrorMessage); !strings.Contains(got, c.msg) {
			t.Errorf("%s: error_message %q does not name %q", c.id, got, c.msg)
		}
		rid := attr(m, apply.AttrRequestID)
		switch {
		case c.requestID && !reqIDs[rid]:
			t.Errorf("%s: gainsight_request_id %q is not a request the simulator saw", c.id, rid)
		case !c.requestID && rid != "":
			t.Errorf("%s: gainsight_request_id %q for a refusal that made no call", c.id, rid)
		}
		if attr(m, apply.AttrEventType) != string(goalevents.GoalUpserted) || attr(m, apply.AttrSource) != sc.source {
			t.Errorf("%s: attributes %v", c.id, m.MessageAttributes)
		}
	}
	for _, e := range []goalevents.Event{unknown, flaky} {
		if _, ok := s.sim.GoalByExternalID(e.RecordKey()); ok {
			t.Errorf("a goal was created for %s despite the failed lookup", e.RecordKey())
		}
	}

	// Rotation: Gainsight now accepts only the new key, and the secret
	// holds it. The running function still caches the old one: its first
	// call gets a 401, it re-reads the secret and goes on.
	unauthorizedBefore := s.sim.Stats().Unauthorized
	s.front.setKey(key2)
	s.putSecret(key2, false)
	s.publish(sc.versions(3)...)
	st = s.drain(pollers, 30*time.Second, nil)
	t.Logf("drain after the rotation: %+v", st)
	if st.InvokeErrors != 0 {
		t.Errorf("%d invocations failed after the rotation", st.InvokeErrors)
	}
	if n := s.sim.Stats().Unauthorized - unauthorizedBefore; n < 1 {
		t.Errorf("no 401 after the rotation: was the old key ever used?")
	}
	sc.verify(t, s, dlq)
	if more := s.dlqMessages(); len(more) != 0 {
		t.Errorf("%d more DLQ messages after the rotation", len(more))
	}

	logs := out.String()
	// The emulator reports "Init Duration" on the first invoke after each
	// (re)start of the runtime.
	if n := strings.Count(logs, "Init Duration"); n != 1 {
		t.Errorf("the function initialised %d times, want once (no restart for the rotation)", n)
	}
	for _, secret := range []string{key1, key2, s.sim.AccessKey} {
		if strings.Contains(logs, secret) {
			t.Errorf("an access key appears in the function's output")
		}
	}
	for _, metric := range []string{`"EventsApplied"`, `"GainsightCalls"`, `"SentToDLQ"`} {
		if !strings.Contains(logs, metric) {
			t.Errorf("no %s metric in the function's output", metric)
		}
	}
	if t.Failed() {
		t.Logf("function output:\n%s", tail(logs, 8000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
