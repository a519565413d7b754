package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/testevents"
)

// endpointVars are the SDK's endpoint variables of the services the
// functions use.
var endpointVars = []string{"AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SECRETS_MANAGER"}

// checkSAMLocal: every function declares the endpoint variables, empty (so
// that AWS behaves as without them), and every variable an --env-vars file
// sets for a function is one the template declares for it (SAM passes a
// function only those, and drops the others without a word).
func checkSAMLocal(t *template, env map[string]map[string]string) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, id := range t.ids("AWS::Serverless::Function") {
		vars, _ := get(t.functionProps(id), "Environment", "Variables").(map[string]any)
		for _, name := range endpointVars {
			v, ok := vars[name]
			switch {
			case !ok:
				report("%s: %s is not declared, so sam local invoke --env-vars cannot set it", id, name)
			case v != "":
				report("%s: %s is %v, want empty (AWS's own endpoint)", id, name, v)
			}
		}
	}
	for fn, set := range env {
		vars, _ := get(t.functionProps(fn), "Environment", "Variables").(map[string]any)
		if vars == nil {
			report("env.json names %s, which the template has no function (with variables) for", fn)
			continue
		}
		for name := range set {
			if _, ok := vars[name]; !ok {
				report("env.json sets %s.%s, which the template does not declare: sam local would drop it", fn, name)
			}
		}
	}
	slices.Sort(problems)
	return problems
}

func TestSAMLocalEnvironment(t *testing.T) {
	data, err := os.ReadFile("../testevents/env.json")
	if err != nil {
		t.Fatal(err)
	}
	var committed map[string]map[string]string
	if err := json.Unmarshal(data, &committed); err != nil {
		t.Fatal(err)
	}
	tpl := loadTemplate(t)
	for _, p := range checkSAMLocal(tpl, committed) {
		t.Error(p)
	}
	// env.json points both functions at the host as a container sees it.
	for fn, set := range committed {
		for _, name := range endpointVars {
			if v, ok := set[name]; ok && !strings.HasPrefix(v, "http://host.docker.internal:") {
				t.Errorf("env.json: %s.%s = %q, want http://host.docker.internal:<port>", fn, name, v)
			}
		}
	}
	if len(committed[testevents.IngestFunction]) == 0 || len(committed[testevents.ApplyFunction]) == 0 {
		t.Errorf("env.json lacks a function: %v", committed)
	}

	// The check fails when it should.
	breakages := []struct {
		name   string
		mutate func(doc map[string]any, env map[string]map[string]string)
		want   string
	}{
		{"endpoint variable not declared", func(d map[string]any, _ map[string]map[string]string) {
			delete(get(d, "Globals", "Function", "Environment", "Variables").(map[string]any), "AWS_ENDPOINT_URL_DYNAMODB")
		}, "ApplyFunction: AWS_ENDPOINT_URL_DYNAMODB is not declared"},
		{"endpoint variable set", func(d map[string]any, _ map[string]map[string]string) {
			get(d, "Globals", "Function", "Environment", "Variables").(map[string]any)["AWS_ENDPOINT_URL_SQS"] = "http://127.0.0.1:5000"
		}, "IngestFunction: AWS_ENDPOINT_URL_SQS is http://127.0.0.1:5000, want empty"},
		{"env.json sets an undeclared variable", func(_ map[string]any, env map[string]map[string]string) {
			env[testevents.IngestFunction]["AWS_ENDPOINT_URL"] = "http://x"
		}, "env.json sets IngestFunction.AWS_ENDPOINT_URL, which the template does not declare"},
		{"env.json names no function", func(_ map[string]any, env map[string]map[string]string) {
			env["Ingest"] = map[string]string{"QUEUE_URL": "x"}
		}, "env.json names Ingest"},
	}
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			tpl := loadTemplate(t)
			env := testevents.SAMEnv(testevents.DefaultSAMStack)
			b.mutate(tpl.doc, env)
			if p := checkSAMLocal(tpl, env); !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, b.want) }) {
				t.Errorf("want a problem containing %q, got %q", b.want, p)
			}
		})
	}
}
