package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	"github.com/goalrelay/goalrelay/shared/devtools/xraydaemon"
	"github.com/goalrelay/goalrelay/shared/xray"
	"github.com/goalrelay/goalrelay/testevents"
)

// TestBootstrapSendsSQSSubsegment runs the real bootstrap under
// aws-lambda-rie with AWS_XRAY_DAEMON_ADDRESS pointing at a UDP listener on
// 127.0.0.1 standing in for the X-Ray daemon: a sampled invocation that
// queues a webhook's events sends one SQS subsegment per SendMessageBatch
// request that reached moto_server, under the invocation's trace and
// segment, and no datagram carries the request's signature; an unsampled
// one sends nothing.
func TestBootstrapSendsSQSSubsegment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under aws-lambda-rie with moto_server")
	}
	stack := newStack(t)
	rec := awstest.NewRecorder(t, stack.Moto.Endpoint)
	daemon, err := xraydaemon.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	set, err := testevents.Generate(time.Now(), "../..")
	if err != nil {
		t.Fatal(err)
	}
	var accepted testevents.File
	for _, f := range set.Ingest() {
		if f.Status == 200 && f.Queued > 0 {
			accepted = f
			break
		}
	}
	bins, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	fn, err := rie.Start(t.Context(), rie.Config{Emulator: bins[0], Bootstrap: bins[1], Name: "goalrelay-ingest", Timeout: 10,
		Env: append(stack.Env(), "AWS_ENDPOINT_URL_SQS="+rec.URL, xray.DaemonEnv+"="+daemon.Addr()), Output: out, Traced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Close()
	const (
		root   = "1-5759e988-bd862e3fe1be46a994272793"
		parent = "53995c3f42cd8ad8"
	)
	invoke := func(header string) {
		t.Helper()
		raw, err := fn.InvokeTraced(t.Context(), accepted.Data, header)
		var resp events.APIGatewayV2HTTPResponse
		if err != nil || json.Unmarshal(raw, &resp) != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %s\n%s", accepted.File, err, raw, out)
		}
	}

	sentBefore := len(rec.Bodies("AmazonSQS.SendMessageBatch"))
	invoke("Root=" + root + ";Parent=" + parent + ";Sampled=1")
	sends := len(rec.Bodies("AmazonSQS.SendMessageBatch")) - sentBefore
	if sends == 0 {
		t.Fatal("the webhook queued nothing")
	}
	sqsSegs := 0
	for _, dg := range daemon.Read(1000, 2*time.Second) {
		if bytes.Contains(dg, []byte("AWS4-HMAC-SHA256")) || bytes.Contains(dg, []byte("Signature=")) {
			t.Errorf("a datagram carries a request's signature: %s", dg)
		}
		m, err := xraydaemon.Decode(dg)
		if err != nil {
			t.Error(err)
			continue
		}
		if m.TraceID != root || m.ParentID != parent || m.Namespace != "aws" {
			t.Errorf("subsegment not under the invocation's segment: %s", dg)
		}
		if m.Name == "SQS" && m.AWS != nil && m.AWS.Operation == "SendMessageBatch" {
			sqsSegs++
		}
	}
	if sqsSegs != sends {
		t.Errorf("%d SQS SendMessageBatch subsegments, want one per request: %d", sqsSegs, sends)
	}

	invoke("Root=" + root + ";Parent=" + parent + ";Sampled=0")
	if got := daemon.Read(1000, 500*time.Millisecond); len(got) != 0 {
		t.Errorf("%d datagrams for an unsampled invocation, want none", len(got))
	}
	if t.Failed() {
		t.Logf("function output:\n%s", out)
	}
}
