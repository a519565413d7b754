package goalctl_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.yaml.in/yaml/v3"

	"github.com/goalrelay/goalrelay/shared/crm/hubspotapi/hubspottest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
)

// stackTemplate is a CloudFormation template moto can create: the queues,
// the state table and the outputs goalctl reads, copied from template.yaml
// as they are (so that a renamed output fails here), with the webhook base
// URL (an HTTP API, which moto cannot create) replaced by webhookBase.
func stackTemplate(t *testing.T, webhookBase string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	section := func(name string) *yaml.Node {
		root := doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == name {
				return root.Content[i+1]
			}
		}
		t.Fatalf("template.yaml has no %s", name)
		return nil
	}
	pick := func(m *yaml.Node, keys ...string) *yaml.Node {
		out := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			found := false
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == k {
					out.Content = append(out.Content, m.Content[i], m.Content[i+1])
					found = true
				}
			}
			if !found {
				t.Fatalf("template.yaml has no %s", k)
			}
		}
		return out
	}
	outputs := pick(section("Outputs"), goalctl.OutputQueueURL, goalctl.OutputDLQURL, goalctl.OutputStateTable, goalctl.OutputWebhookBaseURL)
	for i := 0; i+1 < len(outputs.Content); i += 2 {
		if outputs.Content[i].Value == goalctl.OutputWebhookBaseURL {
			outputs.Content[i+1] = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Value: "Value"}, {Kind: yaml.ScalarNode, Value: webhookBase},
			}}
		}
	}
	tpl := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "Resources"}, pick(section("Resources"), "EventsQueue", "DeadLetterQueue", "StateTable"),
		{Kind: yaml.ScalarNode, Value: "Outputs"}, outputs,
	}}
	out, err := yaml.Marshal(tpl)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// goalctl --stack against a stack that moto's CloudFormation created from
// template.yaml's queues, table and outputs, through the real binary.
func TestBinaryStack(t *testing.T) {
	q := newQueues(t) // the moto_server, and a DLQ outside the stack
	ctx := t.Context()
	var mu sync.Mutex
	var paths []string
	webhooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"queued":1}`)
	}))
	t.Cleanup(webhooks.Close)

	cfn := cloudformation.NewFromConfig(q.cfg)
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String("gr-test"), TemplateBody: aws.String(stackTemplate(t, webhooks.URL+"/webhooks")),
	}); err != nil {
		t.Fatalf("moto CloudFormation: %v", err)
	}
	outs, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("gr-test")})
	if err != nil || len(outs.Stacks) != 1 {
		t.Fatalf("describe: %v", err)
	}
	out := map[string]string{}
	for _, o := range outs.Stacks[0].Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	t.Logf("stack outputs: %v", out)
	if !strings.HasSuffix(out[goalctl.OutputDLQURL], "/gr-test-dlq.fifo") || out[goalctl.OutputStateTable] == "" {
		t.Fatalf("outputs %v", out)
	}
	// A dead letter in the stack's DLQ.
	stackDLQ := &queues{moto: q.moto, cfg: q.cfg, client: q.client, dlqURL: out[goalctl.OutputDLQURL], deadGroup: map[string]string{}}
	stackDLQ.deadLetter(t, sampleEvent("hubspot/portal/62515", "777", "1"), "INVALID_STATUS_NAME", "no status Bogus")
	// And one in the DLQ outside the stack.
	q.deadLetter(t, sampleEvent("hubspot/portal/62515", "888", "1"), "8008", "no company")

	env := append(q.moto.Env(), "AWS_ENDPOINT_URL_CLOUDFORMATION="+q.moto.Endpoint)

	// --stack finds the DLQ; so does GOALRELAY_STACK; --dlq-url wins over both.
	if ids := listedEventIDs(t, execGoalctl(t, env, "--stack", "gr-test", "dlq", "list", "-o", "json")); strings.Join(ids, ",") != "hubspot/portal/62515:777:1" {
		t.Errorf("--stack listed %v", ids)
	}
	stackEnv := append(env, goalctl.EnvStack+"=gr-test")
	if ids := listedEventIDs(t, execGoalctl(t, stackEnv, "dlq", "list", "-o", "json")); strings.Join(ids, ",") != "hubspot/portal/62515:777:1" {
		t.Errorf("GOALRELAY_STACK listed %v", ids)
	}
	if ids := listedEventIDs(t, execGoalctl(t, stackEnv, "dlq", "list", "--dlq-url", q.dlqURL, "-o", "json")); strings.Join(ids, ",") != "hubspot/portal/62515:888:1" {
		t.Errorf("--dlq-url with a stack listed %v", ids)
	}
	// --stack on the command line wins over GOALRELAY_STACK.
	r := execGoalctl(t, stackEnv, "dlq", "list", "--stack", "no-such-stack")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "stack no-such-stack does not exist in region us-east-1") {
		t.Errorf("stderr:\n%s", r)
	}

	// Redrive moves the stack's DLQ into the stack's queue.
	r = execGoalctl(t, stackEnv, "dlq", "redrive", "--error-code", "INVALID_STATUS_NAME", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var res goalctl.RedriveResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Moved != 1 {
		t.Errorf("redrive %+v, %v\n%s", res, err, r)
	}
	onQueue, err := q.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(out[goalctl.OutputQueueURL]), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if err != nil || onQueue.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Errorf("the stack's queue: %v, %v", onQueue, err)
	}

	// Quota reads the stack's table.
	r = execGoalctl(t, stackEnv, "quota", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var rep goalctl.QuotaReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Table != out[goalctl.OutputStateTable] {
		t.Errorf("quota %+v, %v\n%s", rep, err, r)
	}

	// Backfill queues on the stack's queue.
	csv := filepath.Join(t.TempDir(), "deals.csv")
	if err := os.WriteFile(csv, []byte("hs_object_id,dealname,dealstage\n901,Reach 80% seat adoption,closedwon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = execGoalctl(t, stackEnv, "backfill", "--file", csv, "--source", "hubspot", "--object", "deal", "--account", "62515", "--no-progress", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var bf goalctl.BackfillResult
	if err := json.Unmarshal([]byte(r.stdout), &bf); err != nil || bf.QueueURL != out[goalctl.OutputQueueURL] || bf.Queued != bf.EventCount || bf.Queued == 0 {
		t.Errorf("backfill %+v, %v\n%s", bf, err, r)
	}

	// Reconcile queues on the stack's queue, with its progress in the
	// stack's table. (moto's CloudFormation gives no output for a secret:
	// the credentials secret is named.)
	hs := hubspottest.NewServer(t)
	hs.PutCompany("5001", "Globex")
	hs.PutDeal(hubspottest.Deal{ID: "902", CompanyID: "5001", Modified: time.Now().Add(-time.Hour),
		Properties: map[string]string{"dealname": "Renewal", "dealstage": "contractsent"}})
	if _, err := secretsmanager.NewFromConfig(q.cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("gr-test/crm-credentials"),
		SecretString: aws.String(`{"hubspot":{"accessToken":"` + hs.Token + `"}}`)}); err != nil {
		t.Fatal(err)
	}
	r = execGoalctl(t, append(stackEnv, "HUBSPOT_API_URL="+hs.URL), "reconcile", "--source", "hubspot/portal/62515", "--since", "2026-01-01",
		"--credentials-secret", "gr-test/crm-credentials", "--no-progress", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var rc goalctl.ReconcileResult
	if err := json.Unmarshal([]byte(r.stdout), &rc); err != nil || rc.QueueURL != out[goalctl.OutputQueueURL] || rc.Events != 1 || rc.Key == "" {
		t.Errorf("reconcile %+v, %v\n%s", rc, err, r)
	}

	// Send posts to the stack's webhook URL and the source.
	r = execGoalctl(t, stackEnv, "send", "generic", "--secret", "secret=whsec_Z29hbHJlbGF5LWdlbmVyaWMtdGVzdC1rZXktMzJieXQ=", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var sent goalctl.SendResult
	var answer struct{ Queued int }
	if err := json.Unmarshal([]byte(r.stdout), &sent); err != nil || sent.Status != 200 || json.Unmarshal(sent.Body, &answer) != nil || answer.Queued != 1 {
		t.Errorf("send %+v, %v\n%s", sent, err, r)
	}
	mu.Lock()
	if strings.Join(paths, ",") != "/webhooks/generic" {
		t.Errorf("webhooks went to %v", paths)
	}
	mu.Unlock()

	// A stack without the outputs is named as such.
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String("not-goalrelay"),
		TemplateBody: aws.String(`{"Resources":{"Q":{"Type":"AWS::SQS::Queue"}},"Outputs":{"Other":{"Value":"x"}}}`),
	}); err != nil {
		t.Fatal(err)
	}
	r = execGoalctl(t, env, "--stack", "not-goalrelay", "quota")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "stack not-goalrelay has no output StateTableName (it has: Other)") {
		t.Errorf("stderr:\n%s", r)
	}
}
