package apply_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	"github.com/goalrelay/goalrelay/shared/devtools/xraydaemon"
	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
	"github.com/goalrelay/goalrelay/shared/xray"
)

// TestBootstrapSendsSubsegmentPerGainsightCall runs the real apply
// bootstrap under aws-lambda-rie with AWS_XRAY_DAEMON_ADDRESS pointing at a
// UDP listener on 127.0.0.1 that stands in for Lambda's X-Ray daemon. A
// sampled invocation applying a batch sends one subsegment per Gainsight
// call (as many as the simulator received; a 503 marked as a fault), each
// under the invocation's trace and the function's segment (the header's
// Root and Parent), and subsegments for its DynamoDB calls; no datagram
// carries the access key.
// An unsampled invocation sends nothing.
func TestBootstrapSendsSubsegmentPerGainsightCall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under aws-lambda-rie with moto_server")
	}
	t.Parallel()
	s := newStack(t, stackConfig{Visibility: 2, MaxReceive: 3})
	daemon, err := xraydaemon.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	bins, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	fn, err := rie.Start(context.Background(), rie.Config{Emulator: bins[0], Bootstrap: bins[1], Name: "goalrelay-apply",
		Timeout: 15, Env: s.bootstrapEnv(xray.DaemonEnv + "=" + daemon.Addr()), Output: out,
		MaxLife: 5 * time.Minute, Traced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Close()

	invoke := func(prefix, header string) {
		t.Helper()
		var recs []events.SQSMessage
		for i := range 3 {
			ev := goalEvent(fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s%d", prefix, i), 0, fullGoal("Traced "+prefix))
			body, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, events.SQSMessage{MessageId: fmt.Sprintf("%s-m%d", prefix, i), Body: string(body),
				EventSource: "aws:sqs", EventSourceARN: s.queueARN,
				Attributes: map[string]string{"MessageGroupId": ev.RecordKey(), "MessageDeduplicationId": ev.ID,
					"ApproximateReceiveCount": "1", "SequenceNumber": fmt.Sprint(i + 1)}})
		}
		in, err := json.Marshal(events.SQSEvent{Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := fn.InvokeTraced(t.Context(), in, header)
		if err != nil {
			t.Fatalf("invoke: %v\n%s", err, tail(out.String(), 6000))
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(raw, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("response %s (%v)\n%s", raw, err, tail(out.String(), 6000))
		}
	}

	s.sim.ResetRequests()
	// The first call fails with a 503 (retried in the invocation): its
	// subsegment is a fault.
	s.sim.FailNext(1, gt.FaultUnavailable)
	invoke("xr", consumerHeader)
	calls := len(s.sim.Requests())
	if calls < 3 {
		t.Fatalf("%d Gainsight calls for 3 events", calls)
	}
	got := daemon.Read(1000, 2*time.Second)
	gainsightSegs, dynamoSegs, faults := 0, 0, 0
	for _, dg := range got {
		if bytes.Contains(dg, []byte(s.sim.AccessKey)) {
			t.Errorf("a datagram carries the access key: %s", dg)
		}
		m, err := xraydaemon.Decode(dg)
		if err != nil {
			t.Error(err)
			continue
		}
		if m.Type != "subsegment" || m.TraceID != consumerRoot || m.ParentID != "a1b2c3d4e5f60718" || len(m.ID) != 16 ||
			m.StartTime <= 0 || m.EndTime < m.StartTime {
			t.Errorf("subsegment not under the invocation's segment: %s", dg)
		}
		switch m.Name {
		case "Gainsight":
			gainsightSegs++
			if m.Namespace != "remote" || m.HTTP == nil || m.HTTP.Request == nil || m.HTTP.Response == nil ||
				!strings.HasPrefix(m.HTTP.Request.URL, s.URL+"/v1/") || strings.Contains(m.HTTP.Request.URL, "?") ||
				m.HTTP.Request.Method == "" || m.Error || m.Fault != (m.HTTP.Response.Status == 503) ||
				(m.HTTP.Response.Status != 200 && m.HTTP.Response.Status != 503) {
				t.Errorf("Gainsight subsegment: %s", dg)
			}
			if m.Fault {
				faults++
			}
		case "DynamoDB":
			dynamoSegs++
			if m.Namespace != "aws" || m.AWS == nil || m.AWS.Operation == "" {
				t.Errorf("DynamoDB subsegment: %s", dg)
			}
		}
	}
	t.Logf("%d Gainsight calls, %d datagrams: %d Gainsight, %d DynamoDB subsegments", calls, len(got), gainsightSegs, dynamoSegs)
	if gainsightSegs != calls {
		t.Errorf("%d Gainsight subsegments, want one per call: %d", gainsightSegs, calls)
	}
	if faults != 1 {
		t.Errorf("%d Gainsight subsegments marked fault, want the 503's", faults)
	}
	if dynamoSegs == 0 {
		t.Errorf("no DynamoDB subsegment among %d datagrams", len(got))
	}

	s.sim.ResetRequests()
	invoke("xu", strings.Replace(consumerHeader, "Sampled=1", "Sampled=0", 1))
	if len(s.sim.Requests()) == 0 {
		t.Fatal("the unsampled invocation made no Gainsight call")
	}
	if got := daemon.Read(1000, 500*time.Millisecond); len(got) != 0 {
		t.Errorf("%d datagrams for an unsampled invocation, want none: %s", len(got), got[0])
	}
	if t.Failed() {
		t.Logf("function output:\n%s", tail(out.String(), 6000))
	}
}
