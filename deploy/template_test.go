package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/goalrelay/goalrelay/shared/sources"
)

// templatePath is the SAM template, relative to this package.
const templatePath = "../template.yaml"

// envByFunction is the part of the public interface that the README
// documents in its "Public interface" section (and the "Configuration"
// table): the variables each function must be given. The optional ones
// (MAPPING_FILE, PUBLIC_BASE_URL, ...) are not required.
var envByFunction = map[string][]string{
	"IngestFunction": {"QUEUE_URL", "WEBHOOK_SECRETS_ID", "MAX_FUTURE_SKEW"},
	"ApplyFunction": {
		"GAINSIGHT_BASE_URL", "GAINSIGHT_ACCESS_KEY_SECRET_ID", "DLQ_URL", "STATE_TABLE",
		"GAINSIGHT_CALLS_PER_MINUTE", "GAINSIGHT_CALLS_PER_DAY", "MAX_FUTURE_SKEW", "CRM_CREDENTIALS_ID",
	},
	"ReconcileFunction": {"QUEUE_URL", "STATE_TABLE", "CRM_CREDENTIALS_ID"},
}

// envDefaults are the documented defaults that the template's parameters must keep.
var envDefaults = map[string]float64{
	"GAINSIGHT_CALLS_PER_MINUTE": 90,
	"GAINSIGHT_CALLS_PER_DAY":    45000,
}

// ---------------------------------------------------------------- parsing

// parseTemplate decodes a CloudFormation/SAM YAML template into plain Go
// values (map[string]any, []any, string, int, float64, bool, nil), turning
// short-form intrinsic tags into their long form: !Ref X → {"Ref": "X"},
// !GetAtt A.B → {"Fn::GetAtt": ["A", "B"]}, !Sub s → {"Fn::Sub": s}, ...
func parseTemplate(data []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	v, err := nodeValue(&doc)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template is a %T, not a mapping", v)
	}
	return m, nil
}

func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0])
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		return intrinsic(n)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			var key string
			if err := n.Content[i].Decode(&key); err != nil {
				return nil, fmt.Errorf("line %d: key: %w", n.Content[i].Line, err)
			}
			v, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	default: // scalar
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
}

// intrinsic converts a node tagged !Name into {"Fn::Name": value}
// ({"Ref": ...} and {"Condition": ...} for those two).
func intrinsic(n *yaml.Node) (any, error) {
	name := strings.TrimPrefix(n.Tag, "!")
	untagged := *n
	untagged.Tag = ""
	if n.Kind == yaml.ScalarNode {
		untagged.Tag = "!!str" // !Ref 123 names a parameter: keep it a string
	}
	v, err := nodeValue(&untagged)
	if err != nil {
		return nil, err
	}
	key := "Fn::" + name
	switch name {
	case "Ref", "Condition":
		key = name
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q has no attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
	}
	return map[string]any{key: v}, nil
}

// ---------------------------------------------------------------- access

type template struct {
	doc map[string]any
	dir string // directory the template's relative paths start from
}

func (t *template) resources() map[string]map[string]any {
	out := map[string]map[string]any{}
	rs, _ := t.doc["Resources"].(map[string]any)
	for id, r := range rs {
		if m, ok := r.(map[string]any); ok {
			out[id] = m
		}
	}
	return out
}

func (t *template) resource(id string) map[string]any {
	return t.resources()[id]
}

// ids returns the logical ids of resources of type typ, sorted.
func (t *template) ids(typ string) []string {
	var ids []string
	for id, r := range t.resources() {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	return p
}

// functionProps returns the properties of a serverless function with the
// template's Globals.Function merged in as SAM does: maps merge key by key,
// lists are concatenated (globals first), the function's scalars win.
func (t *template) functionProps(id string) map[string]any {
	r := t.resource(id)
	if r == nil {
		return nil
	}
	var global map[string]any
	if g, ok := t.doc["Globals"].(map[string]any); ok {
		global, _ = g["Function"].(map[string]any)
	}
	merged, _ := mergeGlobals(global, props(r)).(map[string]any)
	return merged
}

func mergeGlobals(global, local any) any {
	switch l := local.(type) {
	case map[string]any:
		g, ok := global.(map[string]any)
		if !ok || isIntrinsic(l) {
			return l
		}
		out := map[string]any{}
		for k, v := range g {
			out[k] = v
		}
		for k, v := range l {
			if gv, ok := g[k]; ok {
				out[k] = mergeGlobals(gv, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		if g, ok := global.([]any); ok {
			return append(slices.Clone(g), l...)
		}
		return l
	case nil:
		return global
	default:
		return l
	}
}

func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// refTarget returns the logical id named by {"Ref": id} or {"Fn::GetAtt": [id, ...]}.
func refTarget(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	if s, ok := m["Ref"].(string); ok {
		return s, true
	}
	if a, ok := m["Fn::GetAtt"].([]any); ok && len(a) > 0 {
		s, ok := a[0].(string)
		return s, ok
	}
	return "", false
}

// number resolves v to a number: a literal, a numeric string, or a Ref to a
// parameter with a Default.
func (t *template) number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	case map[string]any:
		name, ok := x["Ref"].(string)
		if !ok {
			return 0, false
		}
		p := t.parameter(name)
		if p == nil {
			return 0, false
		}
		return t.number(p["Default"])
	}
	return 0, false
}

func (t *template) parameter(name string) map[string]any {
	ps, _ := t.doc["Parameters"].(map[string]any)
	p, _ := ps[name].(map[string]any)
	return p
}

// get walks a path of map keys.
func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// sqsEvents returns the SQS events of a function, by event name.
func sqsEvents(fn map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	evs, _ := fn["Events"].(map[string]any)
	for name, e := range evs {
		if em, ok := e.(map[string]any); ok && em["Type"] == "SQS" {
			out[name] = props(em)
		}
	}
	return out
}

// ---------------------------------------------------------------- checks

// check returns every invariant the template breaks, one sentence each;
// none means the template is sound.
func check(t *template) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	checkFunctions(t, report)
	checkQueueConsumer(t, report)
	checkPolicies(t, report)
	checkPermissions(t, report)
	checkEnvironment(t, report)
	checkRoute(t, report)
	checkStateTable(t, report)
	checkRecordIndex(t, report)
	checkQueryDefinitions(t, report)
	checkMonitoring(t, report)
	checkRefusalAlarms(t, report)
	checkSecretReaders(t, report)
	return problems
}

// secretReaders are the functions whose policies may name each secret:
// the webhook secrets are read by ingest alone, the CRM credentials by the
// functions that call the CRMs' APIs alone.
var secretReaders = map[string][]string{
	"WebhookSecrets": {"IngestFunction"},
	"CrmCredentials": {"ApplyFunction", "ReconcileFunction"},
}

// checkSecretReaders: every function's policies name only the secrets it
// may read, and the ones listed read theirs.
func checkSecretReaders(t *template, report reporter) {
	for secret, readers := range secretReaders {
		if t.resource(secret) == nil {
			report("%s: missing", secret)
			continue
		}
		for _, id := range t.ids("AWS::Serverless::Function") {
			names := refersTo(props(t.resource(id))["Policies"], secret)
			switch may := slices.Contains(readers, id); {
			case names && !may:
				report("%s: its policies grant %s, which only %v may read", id, secret, readers)
			case !names && may:
				report("%s: its policies do not grant %s, which it reads", id, secret)
			}
		}
	}
}

type reporter func(format string, args ...any)

// checkFunctions: runtime, and that SAM can build every function: its CodeUri
// exists and, for BuildMethod makefile, the Makefile there has build-<LogicalId>.
func checkFunctions(t *template, report reporter) {
	fns := t.ids("AWS::Serverless::Function")
	for _, want := range []string{"IngestFunction", "ApplyFunction", "ReconcileFunction"} {
		if !slices.Contains(fns, want) {
			report("%s: no AWS::Serverless::Function with this logical id", want)
		}
	}
	for _, id := range fns {
		p := t.functionProps(id)
		if p["Runtime"] != "provided.al2023" {
			report("%s: Runtime is %v, want provided.al2023", id, p["Runtime"])
		}
		if p["Handler"] != "bootstrap" {
			report("%s: Handler is %v, want bootstrap", id, p["Handler"])
		}
		if a, _ := p["Architectures"].([]any); len(a) != 1 || a[0] != "arm64" {
			report("%s: Architectures is %v, want [arm64]", id, p["Architectures"])
		}
		// X-Ray: Lambda traces every invocation (and links the apply trace
		// to the webhook's through AWSTraceHeader); SAM gives the role it
		// generates the managed policy that lets the function send traces,
		// which a role of the template's own would lack.
		if p["Tracing"] != "Active" {
			report("%s: Tracing is %v, want Active", id, p["Tracing"])
		}
		if r, ok := p["Role"]; ok {
			report("%s: sets Role %v; SAM adds the X-Ray write policy only to a role it generates", id, r)
		}
		codeURI, ok := p["CodeUri"].(string)
		if !ok {
			report("%s: CodeUri is %v, want a local path", id, p["CodeUri"])
			continue
		}
		dir := filepath.Join(t.dir, filepath.FromSlash(codeURI))
		if st, err := os.Stat(dir); err != nil {
			report("%s: CodeUri %q does not exist: %v", id, codeURI, err)
			continue
		} else if !st.IsDir() {
			report("%s: CodeUri %q is not a directory", id, codeURI)
			continue
		}
		method := get(t.resource(id), "Metadata", "BuildMethod")
		if method != "makefile" {
			report("%s: Metadata.BuildMethod is %v, want makefile (the Makefile sets the Go build flags)", id, method)
			continue
		}
		mk, err := os.ReadFile(filepath.Join(dir, "Makefile"))
		if err != nil {
			report("%s: BuildMethod makefile but no Makefile in CodeUri %q: %v", id, codeURI, err)
			continue
		}
		recipe, ok := makeTarget(string(mk), "build-"+id)
		if !ok {
			report("%s: the Makefile in CodeUri %q has no target build-%s", id, codeURI, id)
			continue
		}
		// What SAM and Lambda need from the recipe, and the flags the design asks for.
		for _, want := range []string{"$(ARTIFACTS_DIR)/bootstrap", "GOOS=linux", "GOARCH=", "CGO_ENABLED=0"} {
			if !strings.Contains(recipe, want) {
				report("%s: Makefile target build-%s does not contain %s", id, id, want)
			}
		}
		for _, want := range []string{"lambda.norpc", "-s -w"} {
			if !strings.Contains(string(mk), want) {
				report("%s: the Makefile never passes %s to go build", id, want)
			}
		}
	}
}

// makeTarget returns the recipe of target in a Makefile.
func makeTarget(mk, target string) (string, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `\s*:[^=]`)
	loc := re.FindStringIndex(mk + "\n")
	if loc == nil {
		return "", false
	}
	var recipe []string
	lines := strings.Split(mk[loc[1]-1:], "\n")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "\t") {
			break
		}
		recipe = append(recipe, l)
	}
	return strings.Join(recipe, "\n"), true
}

// checkQueueConsumer: the apply function's SQS event and its queue.
func checkQueueConsumer(t *template, report reporter) {
	const fnID = "ApplyFunction"
	fn := t.functionProps(fnID)
	if fn == nil {
		return // reported by checkFunctions
	}
	events := sqsEvents(fn)
	if len(events) == 0 {
		report("%s: no SQS event", fnID)
	}
	timeout := 3.0 // Lambda's default
	if v, ok := fn["Timeout"]; ok {
		n, ok := t.number(v)
		if !ok {
			report("%s: Timeout %v does not resolve to a number", fnID, v)
		}
		timeout = n
	}
	for name, ev := range events {
		where := fnID + ".Events." + name
		// Partial batch responses.
		frt, _ := ev["FunctionResponseTypes"].([]any)
		if !slices.Contains(frt, any("ReportBatchItemFailures")) {
			report("%s: FunctionResponseTypes %v lacks ReportBatchItemFailures (a returned batchItemFailures list would be ignored)", where, ev["FunctionResponseTypes"])
		}
		// Batch size: FIFO allows at most 10.
		batch := 10.0 // the default
		if v, ok := ev["BatchSize"]; ok {
			batch, ok = t.number(v)
			if !ok {
				report("%s: BatchSize %v does not resolve to a number", where, v)
			}
		}
		if batch < 1 || batch > 10 {
			report("%s: BatchSize %v, want 1..10", where, batch)
		}
		// Concurrency is capped at the poller, not by throttling.
		mc, set := get(ev, "ScalingConfig", "MaximumConcurrency"), false
		if mc != nil {
			set = true
			n, ok := t.number(mc)
			if !ok || n < 2 || n > 1000 {
				report("%s: ScalingConfig.MaximumConcurrency %v resolves to %v, want 2..1000", where, mc, n)
			}
			if name, ok := get(mc, "Ref").(string); ok {
				if p := t.parameter(name); p != nil {
					if min, ok := t.number(p["MinValue"]); !ok || min < 2 {
						report("parameter %s: MinValue %v, want at least 2 (the ScalingConfig minimum)", name, p["MinValue"])
					}
				}
			}
		}
		if !set {
			report("%s: ScalingConfig.MaximumConcurrency is not set", where)
		}
		window := 0.0
		if v, ok := ev["MaximumBatchingWindowInSeconds"]; ok {
			window, _ = t.number(v)
		}
		// The queue.
		qid, ok := refTarget(ev["Queue"])
		q := t.resource(qid)
		if !ok || q == nil || q["Type"] != "AWS::SQS::Queue" {
			report("%s: Queue %v is not an AWS::SQS::Queue of this template", where, ev["Queue"])
			continue
		}
		qp := props(q)
		if !isTrue(qp["FifoQueue"]) {
			report("%s: FifoQueue is not true (goal events are ordered per message group)", qid)
		}
		vis := 30.0 // SQS default
		if v, ok := qp["VisibilityTimeout"]; ok {
			vis, _ = t.number(v)
		}
		if min := 6*timeout + window; vis < min {
			report("%s: VisibilityTimeout %v is less than 6 x %s Timeout (%v) + batching window (%v) = %v", qid, vis, fnID, timeout, window, min)
		}
		checkRedrive(t, qid, qp, report)
	}
}

func checkRedrive(t *template, qid string, qp map[string]any, report reporter) {
	rp, ok := qp["RedrivePolicy"].(map[string]any)
	if !ok {
		report("%s: no RedrivePolicy (failed events would be retried until retention expires)", qid)
		return
	}
	n, ok := t.number(rp["maxReceiveCount"])
	if !ok || n < 5 {
		report("%s: RedrivePolicy maxReceiveCount %v, want at least 5", qid, rp["maxReceiveCount"])
	}
	dlqID, ok := refTarget(rp["deadLetterTargetArn"])
	dlq := t.resource(dlqID)
	if !ok || dlq == nil || dlq["Type"] != "AWS::SQS::Queue" {
		report("%s: RedrivePolicy deadLetterTargetArn %v is not an AWS::SQS::Queue of this template", qid, rp["deadLetterTargetArn"])
		return
	}
	dp := props(dlq)
	if !isTrue(dp["FifoQueue"]) {
		report("%s: the DLQ of %s is not a FIFO queue", dlqID, qid)
	}
	retention := func(p map[string]any) float64 {
		if v, ok := p["MessageRetentionPeriod"]; ok {
			n, _ := t.number(v)
			return n
		}
		return 345600 // SQS default, 4 days
	}
	if rq, rd := retention(qp), retention(dp); rd <= rq {
		report("%s: DLQ MessageRetentionPeriod %v is not longer than %s's %v", dlqID, rd, qid, rq)
	}
}

// checkPolicies: no Allow statement anywhere in Resources grants Resource "*",
// and no SAM policy template is given "*" as a resource name.
func checkPolicies(t *template, report reporter) {
	for id, r := range t.resources() {
		walkStatements(r, id, func(where string, st map[string]any) {
			if eff, _ := st["Effect"].(string); eff != "" && eff != "Allow" {
				return
			}
			if hasWildcard(st["Resource"]) {
				report("%s: policy statement %v has Resource \"*\"", where, st["Action"])
			}
			if _, ok := st["NotResource"]; ok {
				report("%s: policy statement %v uses NotResource", where, st["Action"])
			}
		})
		if r["Type"] != "AWS::Serverless::Function" {
			continue
		}
		pol, _ := props(r)["Policies"].([]any)
		for _, p := range pol {
			m, ok := p.(map[string]any)
			if !ok || m["Statement"] != nil || len(m) != 1 {
				continue // a managed policy name, or a document walked above
			}
			for name, args := range m {
				if am, ok := args.(map[string]any); ok {
					for k, v := range am {
						if hasWildcard(v) {
							report("%s: policy template %s has %s \"*\"", id, name, k)
						}
					}
				}
			}
		}
	}
}

// required lists IAM actions each function's code calls beyond what its SAM
// policy templates and event source grant (secrets.cache describes a secret
// before reading it; apply sets its messages' visibility (in flight,
// backoff, quota deferral; IAM authorises ChangeMessageVisibilityBatch as
// ChangeMessageVisibility), reads the queue's visibility timeout, and
// writes the state table).
var required = map[string][]string{
	"IngestFunction": {"secretsmanager:DescribeSecret"},
	"ApplyFunction": {"secretsmanager:DescribeSecret", "sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch",
		"sqs:GetQueueUrl", "sqs:GetQueueAttributes",
		"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
	// The sweep reads and writes its watermarks.
	"ReconcileFunction": {"secretsmanager:DescribeSecret", "dynamodb:GetItem", "dynamodb:PutItem"},
}

// checkPermissions: every action in required is allowed by an inline
// statement of the function's policies.
func checkPermissions(t *template, report reporter) {
	for id, actions := range required {
		r := t.resource(id)
		if r == nil {
			report("%s: missing", id)
			continue
		}
		granted := map[string]bool{}
		walkStatements(props(r)["Policies"], id, func(_ string, st map[string]any) {
			if eff, _ := st["Effect"].(string); eff != "Allow" {
				return
			}
			switch a := st["Action"].(type) {
			case string:
				granted[a] = true
			case []any:
				for _, x := range a {
					if s, ok := x.(string); ok {
						granted[s] = true
					}
				}
			}
		})
		for _, a := range actions {
			if !granted[a] {
				report("%s: its code calls %s but no policy statement allows it", id, a)
			}
		}
	}
}

// walkStatements calls fn for every IAM statement below v (any map with a
// Statement key: role policies, SAM inline policies, queue and topic policies).
func walkStatements(v any, where string, fn func(string, map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		if st, ok := x["Statement"]; ok {
			switch s := st.(type) {
			case []any:
				for _, e := range s {
					if m, ok := e.(map[string]any); ok {
						fn(where, m)
					}
				}
			case map[string]any:
				fn(where, s)
			}
		}
		for k, e := range x {
			walkStatements(e, where+"."+k, fn)
		}
	case []any:
		for i, e := range x {
			walkStatements(e, fmt.Sprintf("%s[%d]", where, i), fn)
		}
	}
}

func hasWildcard(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x) == "*"
	case []any:
		return slices.ContainsFunc(x, hasWildcard)
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok {
			return hasWildcard(s)
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			if parts, ok := j[1].([]any); ok && len(parts) == 1 {
				return hasWildcard(parts[0])
			}
		}
		if a, ok := x["Fn::If"].([]any); ok && len(a) == 3 {
			return hasWildcard(a[1]) || hasWildcard(a[2])
		}
	}
	return false
}

// checkEnvironment: the environment variable names of the README's public
// interface, with a value.
func checkEnvironment(t *template, report reporter) {
	for _, fnID := range []string{"IngestFunction", "ApplyFunction", "ReconcileFunction"} {
		fn := t.functionProps(fnID)
		if fn == nil {
			continue
		}
		vars, _ := get(fn, "Environment", "Variables").(map[string]any)
		for _, name := range envByFunction[fnID] {
			v, ok := vars[name]
			if !ok {
				report(`%s: environment variable %s (README, "Public interface") is missing`, fnID, name)
				continue
			}
			if v == nil || v == "" {
				report("%s: environment variable %s is empty", fnID, name)
				continue
			}
			if want, ok := envDefaults[name]; ok {
				if got, ok := t.number(v); !ok || got != want {
					report("%s: environment variable %s defaults to %v, want %v", fnID, name, v, want)
				}
			}
		}
	}
}

// checkRoute: POST /webhooks/{source} on an HTTP API, served by IngestFunction.
func checkRoute(t *template, report reporter) {
	found := false
	for _, id := range t.ids("AWS::Serverless::Function") {
		evs, _ := t.functionProps(id)["Events"].(map[string]any)
		for name, e := range evs {
			em, _ := e.(map[string]any)
			if em["Type"] != "HttpApi" {
				continue
			}
			p := props(em)
			method, _ := p["Method"].(string)
			if p["Path"] != "/webhooks/{source}" || !strings.EqualFold(method, "POST") {
				continue
			}
			found = true
			if id != "IngestFunction" {
				report("%s.Events.%s: POST /webhooks/{source} is served by %s, want IngestFunction", id, name, id)
			}
			if api, ok := p["ApiId"]; ok {
				if aid, ok := refTarget(api); !ok || t.resource(aid)["Type"] != "AWS::Serverless::HttpApi" {
					report("%s.Events.%s: ApiId %v is not an AWS::Serverless::HttpApi of this template", id, name, api)
				}
			}
		}
	}
	if !found {
		report("no HttpApi event with route POST /webhooks/{source}")
	}
}

// checkStateTable: the table STATE_TABLE names is on demand, keyed by pk,
// with TTL on expiresAt.
func checkStateTable(t *template, report reporter) {
	ref := get(t.functionProps("ApplyFunction"), "Environment", "Variables", "STATE_TABLE")
	id, ok := refTarget(ref)
	table := t.resource(id)
	if !ok || table == nil || table["Type"] != "AWS::DynamoDB::Table" {
		report("ApplyFunction: STATE_TABLE %v is not a Ref to an AWS::DynamoDB::Table of this template", ref)
		return
	}
	p := props(table)
	ttl, _ := p["TimeToLiveSpecification"].(map[string]any)
	if ttl["AttributeName"] != "expiresAt" || !isTrue(ttl["Enabled"]) {
		report("%s: TimeToLiveSpecification %v, want enabled on expiresAt", id, p["TimeToLiveSpecification"])
	}
	if p["BillingMode"] != "PAY_PER_REQUEST" {
		report("%s: BillingMode %v, want PAY_PER_REQUEST", id, p["BillingMode"])
	}
	keys, _ := p["KeySchema"].([]any)
	if len(keys) != 1 || get(keys[0], "AttributeName") != "pk" || get(keys[0], "KeyType") != "HASH" {
		report("%s: KeySchema %v, want the single partition key pk", id, p["KeySchema"])
	}
}

// checkMonitoring: the DLQ-depth alarm exists, and every dashboard body is
// valid JSON once its ${...} substitutions are made.
func checkMonitoring(t *template, report reporter) {
	dlqAlarm := false
	for _, id := range t.ids("AWS::CloudWatch::Alarm") {
		p := props(t.resource(id))
		if p["Namespace"] != "AWS/SQS" || p["MetricName"] != "ApproximateNumberOfMessagesVisible" {
			continue
		}
		dims, _ := p["Dimensions"].([]any)
		for _, d := range dims {
			if q, ok := refTarget(get(d, "Value")); ok && q == "DeadLetterQueue" {
				if n, ok := t.number(p["Threshold"]); ok && n == 0 && p["ComparisonOperator"] == "GreaterThanThreshold" {
					dlqAlarm = true
				}
			}
		}
	}
	if !dlqAlarm {
		report("no alarm on DeadLetterQueue ApproximateNumberOfMessagesVisible > 0")
	}
	sub := regexp.MustCompile(`\$\{([^}!]+)\}`)
	for _, id := range t.ids("AWS::CloudWatch::Dashboard") {
		body, ok := get(props(t.resource(id)), "DashboardBody", "Fn::Sub").(string)
		if !ok {
			body, ok = get(props(t.resource(id)), "DashboardBody").(string)
		}
		if !ok {
			report("%s: DashboardBody is neither a string nor a !Sub string", id)
			continue
		}
		// Inside the JSON a substitution is a string's content or a number
		// (a Number parameter); stand in something of the same kind.
		js := sub.ReplaceAllStringFunc(body, func(m string) string {
			name := sub.FindStringSubmatch(m)[1]
			if p := t.parameter(name); p != nil && p["Type"] == "Number" {
				return "1"
			}
			return "x"
		})
		var v map[string]any
		if err := json.Unmarshal([]byte(js), &v); err != nil {
			report("%s: DashboardBody is not valid JSON: %v", id, err)
		} else if w, _ := v["widgets"].([]any); len(w) == 0 {
			report("%s: DashboardBody has no widgets", id)
		}
	}
}

// refusalOutcomes are the Outcome values (shared/ingest metrics.go) that
// every source's refusal alarm must count: a secret that no longer matches
// (401) and a sender outside the IP allowlist (403).
var refusalOutcomes = []string{"401", "403"}

// alarmedMetric is one metric an alarm's returned value is computed from.
type alarmedMetric struct {
	namespace, name string
	dims            map[string]any // dimension name -> value as in the template
	period          any
}

// alarmedMetrics returns the metrics an alarm's returned value depends on:
// its MetricName, or the MetricStats that the returned expression names
// (or that are returned themselves).
func alarmedMetrics(p map[string]any) []alarmedMetric {
	dims := func(v any) map[string]any {
		out := map[string]any{}
		ds, _ := v.([]any)
		for _, d := range ds {
			if n, ok := get(d, "Name").(string); ok {
				out[n] = get(d, "Value")
			}
		}
		return out
	}
	if name, ok := p["MetricName"].(string); ok {
		ns, _ := p["Namespace"].(string)
		return []alarmedMetric{{ns, name, dims(p["Dimensions"]), p["Period"]}}
	}
	queries, _ := p["Metrics"].([]any)
	var returned []string
	for _, q := range queries {
		if e, ok := get(q, "Expression").(string); ok && isTrue(get(q, "ReturnData")) {
			returned = append(returned, e)
		}
	}
	var out []alarmedMetric
	for _, q := range queries {
		id, _ := get(q, "Id").(string)
		ms := get(q, "MetricStat")
		if ms == nil || id == "" {
			continue
		}
		used := isTrue(get(q, "ReturnData"))
		for _, e := range returned {
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(id) + `\b`).MatchString(e) {
				used = true
			}
		}
		if !used {
			continue
		}
		ns, _ := get(ms, "Metric", "Namespace").(string)
		name, _ := get(ms, "Metric", "MetricName").(string)
		out = append(out, alarmedMetric{ns, name, dims(get(ms, "Metric", "Dimensions")), get(ms, "Period")})
	}
	return out
}

// refersTo reports whether v holds a Ref or GetAtt of the logical id.
func refersTo(v any, id string) bool {
	if target, ok := refTarget(v); ok && target == id {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if refersTo(e, id) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if refersTo(e, id) {
				return true
			}
		}
	}
	return false
}

// checkRefusalAlarms: for every source of shared/sources and every outcome
// of refusalOutcomes, an alarm counts the ingest function's Webhooks metric
// (namespace goalrelay) with that Source and Outcome over at most an hour,
// with a threshold, missing data not breaching, and the alarm topic as
// action; and the dashboard shows the Webhooks metric.
func checkRefusalAlarms(t *template, report reporter) {
	covered := map[string]bool{} // "source outcome"
	for _, id := range t.ids("AWS::CloudWatch::Alarm") {
		p := props(t.resource(id))
		var counts []string
		for _, m := range alarmedMetrics(p) {
			if m.namespace != "goalrelay" || m.name != "Webhooks" {
				continue
			}
			if fn, ok := refTarget(m.dims["Function"]); !ok || fn != "IngestFunction" {
				report("%s: Webhooks dimension Function %v, want !Ref IngestFunction", id, m.dims["Function"])
				continue
			}
			src, _ := m.dims["Source"].(string)
			outcome, _ := m.dims["Outcome"].(string)
			if period, ok := t.number(m.period); !ok || period > 3600 {
				report("%s: Webhooks %s/%s over a period of %v s, want at most 3600 (seen the same hour)", id, src, outcome, m.period)
				continue
			}
			counts = append(counts, src+" "+outcome)
		}
		if len(counts) == 0 {
			continue
		}
		ok := true
		if n, isNum := t.number(p["Threshold"]); !isNum || n < 1 {
			report("%s: Threshold %v does not resolve to a number of at least 1", id, p["Threshold"])
			ok = false
		}
		if op, _ := p["ComparisonOperator"].(string); !strings.HasPrefix(op, "GreaterThan") {
			report("%s: ComparisonOperator %v, want GreaterThan...", id, p["ComparisonOperator"])
			ok = false
		}
		if p["TreatMissingData"] != "notBreaching" {
			report("%s: TreatMissingData %v, want notBreaching (no webhooks is no refusal)", id, p["TreatMissingData"])
			ok = false
		}
		if !refersTo(p["AlarmActions"], "AlarmTopic") {
			report("%s: AlarmActions %v do not notify AlarmTopic", id, p["AlarmActions"])
			ok = false
		}
		if ok {
			for _, c := range counts {
				covered[c] = true
			}
		}
	}
	for _, src := range sources.Names() {
		for _, o := range refusalOutcomes {
			if !covered[src+" "+o] {
				report("no refusal alarm for source %s outcome %s (goalrelay Webhooks, Function=IngestFunction, Source=%s, Outcome=%s)", src, o, src, o)
			}
		}
	}
	shown := false
	for _, id := range t.ids("AWS::CloudWatch::Dashboard") {
		body, _ := get(props(t.resource(id)), "DashboardBody", "Fn::Sub").(string)
		shown = shown || strings.Contains(body, `MetricName=\"Webhooks\"`) || strings.Contains(body, `"goalrelay", "Webhooks"`)
	}
	if !shown {
		report("no dashboard shows the ingest function's Webhooks metric")
	}
}

// ---------------------------------------------------------------- tests

func loadTemplate(t *testing.T) *template {
	t.Helper()
	data, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseTemplate(data)
	if err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	return &template{doc: doc, dir: filepath.Dir(templatePath)}
}

func TestTemplateInvariants(t *testing.T) {
	tpl := loadTemplate(t)
	if got := tpl.doc["Transform"]; got != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v, want AWS::Serverless-2016-10-31", got)
	}
	for _, p := range check(tpl) {
		t.Error(p)
	}
}

func TestParseShortFormTags(t *testing.T) {
	src := `
A: !Ref Param
B: !GetAtt Queue.Arn
C: !GetAtt [Queue, QueueName]
D: !Sub "https://${Api}.example"
E: !If [Cond, [!Ref T], !Ref AWS::NoValue]
F: !Not [!Equals [!Ref X, ""]]
G: !Condition HasX
H: 120
I: "120"
J: !Ref 42
`
	doc, err := parseTemplate([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"A": `map[Ref:Param]`,
		"B": `map[Fn::GetAtt:[Queue Arn]]`,
		"C": `map[Fn::GetAtt:[Queue QueueName]]`,
		"D": `map[Fn::Sub:https://${Api}.example]`,
		"E": `map[Fn::If:[Cond [map[Ref:T]] map[Ref:AWS::NoValue]]]`,
		"F": `map[Fn::Not:[map[Fn::Equals:[map[Ref:X] ]]]]`,
		"G": `map[Condition:HasX]`,
		"H": `120`,
		"I": `120`,
		"J": `map[Ref:42]`,
	}
	for k, w := range want {
		if got := fmt.Sprint(doc[k]); got != w {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	if _, ok := doc["H"].(int); !ok {
		t.Errorf("H is %T, want int", doc["H"])
	}
	if _, ok := doc["J"].(map[string]any)["Ref"].(string); !ok {
		t.Errorf("!Ref 42 should name the parameter as a string")
	}
}

// TestCheckerCatchesBrokenTemplates breaks a fresh copy of the template in one
// way per case and requires the checker to name the problem, so that every
// assertion above is known to fail when it should.
func TestCheckerCatchesBrokenTemplates(t *testing.T) {
	fn := func(doc map[string]any, id string) map[string]any {
		return props(get(doc, "Resources", id).(map[string]any))
	}
	applyEvent := func(doc map[string]any) map[string]any {
		for _, e := range get(fn(doc, "ApplyFunction"), "Events").(map[string]any) {
			if get(e, "Type") == "SQS" {
				return props(e.(map[string]any))
			}
		}
		t.Fatal("no SQS event on ApplyFunction")
		return nil
	}
	ingestEvent := func(doc map[string]any) map[string]any {
		return props(get(fn(doc, "IngestFunction"), "Events", "Webhook").(map[string]any))
	}
	vars := func(doc map[string]any, id string) map[string]any {
		return get(fn(doc, id), "Environment", "Variables").(map[string]any)
	}
	// refusals returns the returned expression query of a refusal alarm.
	refusals := func(doc map[string]any, id string) map[string]any {
		for _, q := range get(props(get(doc, "Resources", id).(map[string]any)), "Metrics").([]any) {
			if get(q, "Id") == "refusals" {
				return q.(map[string]any)
			}
		}
		t.Fatalf("%s has no query refusals", id)
		return nil
	}
	addStatement := func(doc map[string]any, st map[string]any) {
		p := fn(doc, "ApplyFunction")
		p["Policies"] = append(p["Policies"].([]any), map[string]any{"Statement": []any{st}})
	}
	// badMakefile is a project copy whose Makefile lacks build-ApplyFunction.
	badMakefile := t.TempDir()
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	stripped := regexp.MustCompile(`(?m)^build-ApplyFunction:.*\n(\t.*\n)*`).ReplaceAll(mk, nil)
	if err := os.WriteFile(filepath.Join(badMakefile, "Makefile"), stripped, 0o644); err != nil {
		t.Fatal(err)
	}

	// wrongOutput is a project copy whose build-ApplyFunction writes ./bootstrap.
	wrongOutput := t.TempDir()
	moved := bytes.Replace(mk, []byte("$(ARTIFACTS_DIR)/bootstrap ./functions/apply"), []byte("bootstrap ./functions/apply"), 1)
	if bytes.Equal(moved, mk) {
		t.Fatal("the Makefile's build-ApplyFunction no longer looks as this test expects")
	}
	if err := os.WriteFile(filepath.Join(wrongOutput, "Makefile"), moved, 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		mutate func(doc map[string]any, tpl *template)
		want   string
	}{
		{"ingest not traced", func(d map[string]any, _ *template) {
			delete(fn(d, "IngestFunction"), "Tracing")
		}, "IngestFunction: Tracing is <nil>, want Active"},
		{"apply tracing passed through only", func(d map[string]any, _ *template) {
			fn(d, "ApplyFunction")["Tracing"] = "PassThrough"
		}, "ApplyFunction: Tracing is PassThrough, want Active"},
		{"apply with a role of its own", func(d map[string]any, _ *template) {
			fn(d, "ApplyFunction")["Role"] = "arn:aws:iam::123456789012:role/x"
		}, "ApplyFunction: sets Role"},
		{"ingest may read the CRM credentials", func(d map[string]any, _ *template) {
			p := fn(d, "IngestFunction")
			p["Policies"] = append(p["Policies"].([]any), map[string]any{"AWSSecretsManagerGetSecretValuePolicy": map[string]any{"SecretArn": map[string]any{"Ref": "CrmCredentials"}}})
		}, "IngestFunction: its policies grant CrmCredentials"},
		{"apply may not read the CRM credentials", func(d map[string]any, _ *template) {
			p := fn(d, "ApplyFunction")
			var keep []any
			for _, x := range p["Policies"].([]any) {
				if !refersTo(x, "CrmCredentials") {
					keep = append(keep, x)
				}
			}
			p["Policies"] = keep
		}, "ApplyFunction: its policies do not grant CrmCredentials"},
		{"no ReportBatchItemFailures", func(d map[string]any, _ *template) {
			applyEvent(d)["FunctionResponseTypes"] = []any{}
		}, "lacks ReportBatchItemFailures"},
		{"FunctionResponseTypes removed", func(d map[string]any, _ *template) {
			delete(applyEvent(d), "FunctionResponseTypes")
		}, "lacks ReportBatchItemFailures"},
		{"visibility timeout lowered", func(d map[string]any, _ *template) {
			props(get(d, "Resources", "EventsQueue").(map[string]any))["VisibilityTimeout"] = 300
		}, "VisibilityTimeout 300 is less than 6 x ApplyFunction Timeout"},
		{"visibility timeout removed (SQS default 30)", func(d map[string]any, _ *template) {
			delete(props(get(d, "Resources", "EventsQueue").(map[string]any)), "VisibilityTimeout")
		}, "VisibilityTimeout 30 is less than"},
		{"apply timeout raised", func(d map[string]any, _ *template) {
			fn(d, "ApplyFunction")["Timeout"] = 300
		}, "ApplyFunction Timeout (300)"},
		{"apply timeout from Globals", func(d map[string]any, _ *template) {
			delete(fn(d, "ApplyFunction"), "Timeout")
			get(d, "Globals", "Function").(map[string]any)["Timeout"] = 600
		}, "ApplyFunction Timeout (600)"},
		{"batch size too large", func(d map[string]any, _ *template) {
			applyEvent(d)["BatchSize"] = 100
		}, "BatchSize 100, want 1..10"},
		{"no MaximumConcurrency", func(d map[string]any, _ *template) {
			delete(applyEvent(d), "ScalingConfig")
		}, "ScalingConfig.MaximumConcurrency is not set"},
		{"MaximumConcurrency parameter allows 1", func(d map[string]any, _ *template) {
			get(d, "Parameters", "MaxConcurrency").(map[string]any)["MinValue"] = 1
		}, "MinValue 1, want at least 2"},
		{"MaximumConcurrency literal 1", func(d map[string]any, _ *template) {
			applyEvent(d)["ScalingConfig"] = map[string]any{"MaximumConcurrency": 1}
		}, "resolves to 1, want 2..1000"},
		{"no redrive policy", func(d map[string]any, _ *template) {
			delete(props(get(d, "Resources", "EventsQueue").(map[string]any)), "RedrivePolicy")
		}, "EventsQueue: no RedrivePolicy"},
		{"maxReceiveCount too low", func(d map[string]any, _ *template) {
			get(props(get(d, "Resources", "EventsQueue").(map[string]any)), "RedrivePolicy").(map[string]any)["maxReceiveCount"] = 3
		}, "maxReceiveCount 3, want at least 5"},
		{"DLQ not FIFO", func(d map[string]any, _ *template) {
			delete(props(get(d, "Resources", "DeadLetterQueue").(map[string]any)), "FifoQueue")
		}, "is not a FIFO queue"},
		{"DLQ retention not longer", func(d map[string]any, _ *template) {
			props(get(d, "Resources", "DeadLetterQueue").(map[string]any))["MessageRetentionPeriod"] = 345600
		}, "is not longer than EventsQueue's"},
		{"CodeUri missing", func(d map[string]any, _ *template) {
			fn(d, "IngestFunction")["CodeUri"] = "functions/nowhere"
		}, `IngestFunction: CodeUri "functions/nowhere" does not exist`},
		{"Makefile lacks the build target", func(_ map[string]any, tpl *template) {
			tpl.dir = badMakefile
		}, "has no target build-ApplyFunction"},
		{"build target writes elsewhere", func(_ map[string]any, tpl *template) {
			tpl.dir = wrongOutput
		}, "build-ApplyFunction does not contain $(ARTIFACTS_DIR)/bootstrap"},
		{"BuildMethod not makefile", func(d map[string]any, _ *template) {
			get(d, "Resources", "ApplyFunction").(map[string]any)["Metadata"] = map[string]any{"BuildMethod": "go1.x"}
		}, "BuildMethod is go1.x, want makefile"},
		{"wildcard resource", func(d map[string]any, _ *template) {
			addStatement(d, map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
		}, `has Resource "*"`},
		{"wildcard in a resource list", func(d map[string]any, _ *template) {
			addStatement(d, map[string]any{"Effect": "Allow", "Action": []any{"sqs:SendMessage"},
				"Resource": []any{map[string]any{"Fn::GetAtt": []any{"EventsQueue", "Arn"}}, "*"}})
		}, `has Resource "*"`},
		{"wildcard in an IAM role", func(d map[string]any, _ *template) {
			get(d, "Resources").(map[string]any)["ExtraRole"] = map[string]any{
				"Type": "AWS::IAM::Role",
				"Properties": map[string]any{"Policies": []any{map[string]any{
					"PolicyName":     "x",
					"PolicyDocument": map[string]any{"Statement": map[string]any{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}},
				}}},
			}
		}, `ExtraRole.Properties.Policies[0].PolicyDocument: policy statement sqs:* has Resource "*"`},
		{"wildcard in a policy template", func(d map[string]any, _ *template) {
			p := fn(d, "IngestFunction")
			p["Policies"] = append(p["Policies"].([]any), map[string]any{"SQSSendMessagePolicy": map[string]any{"QueueName": "*"}})
		}, `policy template SQSSendMessagePolicy has QueueName "*"`},
		{"env var missing", func(d map[string]any, _ *template) {
			delete(vars(d, "ApplyFunction"), "STATE_TABLE")
		}, `STATE_TABLE (README, "Public interface") is missing`},
		{"ingest env var missing", func(d map[string]any, _ *template) {
			delete(vars(d, "IngestFunction"), "WEBHOOK_SECRETS_ID")
		}, "IngestFunction: environment variable WEBHOOK_SECRETS_ID"},
		{"env var empty", func(d map[string]any, _ *template) {
			vars(d, "ApplyFunction")["DLQ_URL"] = ""
		}, "DLQ_URL is empty"},
		{"calls per minute default changed", func(d map[string]any, _ *template) {
			get(d, "Parameters", "GainsightCallsPerMinute").(map[string]any)["Default"] = 100
		}, "GAINSIGHT_CALLS_PER_MINUTE defaults to"},
		{"route path changed", func(d map[string]any, _ *template) {
			ingestEvent(d)["Path"] = "/webhook/{source}"
		}, "no HttpApi event with route POST /webhooks/{source}"},
		{"route method changed", func(d map[string]any, _ *template) {
			ingestEvent(d)["Method"] = "GET"
		}, "no HttpApi event with route POST /webhooks/{source}"},
		{"TTL attribute renamed", func(d map[string]any, _ *template) {
			props(get(d, "Resources", "StateTable").(map[string]any))["TimeToLiveSpecification"] = map[string]any{"AttributeName": "ttl", "Enabled": true}
		}, "want enabled on expiresAt"},
		{"TTL removed", func(d map[string]any, _ *template) {
			delete(props(get(d, "Resources", "StateTable").(map[string]any)), "TimeToLiveSpecification")
		}, "want enabled on expiresAt"},
		{"table provisioned", func(d map[string]any, _ *template) {
			props(get(d, "Resources", "StateTable").(map[string]any))["BillingMode"] = "PROVISIONED"
		}, "BillingMode PROVISIONED"},
		{"no DLQ alarm", func(d map[string]any, _ *template) {
			delete(get(d, "Resources").(map[string]any), "DeadLetterQueueNotEmptyAlarm")
		}, "no alarm on DeadLetterQueue"},
		{"dashboard body broken", func(d map[string]any, _ *template) {
			b := get(props(get(d, "Resources", "Dashboard").(map[string]any)), "DashboardBody").(map[string]any)
			b["Fn::Sub"] = strings.Replace(b["Fn::Sub"].(string), "]}}", "]}", 1)
		}, "DashboardBody is not valid JSON"},
		{"no refusal alarms", func(d map[string]any, _ *template) {
			rs := get(d, "Resources").(map[string]any)
			for id := range rs {
				if strings.HasSuffix(id, "RefusalsAlarm") {
					delete(rs, id)
				}
			}
		}, "no refusal alarm for source hubspot outcome 401"},
		{"one source's refusal alarm removed", func(d map[string]any, _ *template) {
			delete(get(d, "Resources").(map[string]any), "PipedriveRefusalsAlarm")
		}, "no refusal alarm for source pipedrive outcome 403"},
		{"refusal alarm no longer counts 403", func(d map[string]any, _ *template) {
			refusals(d, "GenericRefusalsAlarm")["Expression"] = "FILL(m400, 0) + FILL(m401, 0)"
		}, "no refusal alarm for source generic outcome 403"},
		{"refusal alarm on a misspelt source", func(d map[string]any, _ *template) {
			for _, q := range get(props(get(d, "Resources", "HubspotRefusalsAlarm").(map[string]any)), "Metrics").([]any) {
				dims, _ := get(q, "MetricStat", "Metric", "Dimensions").([]any)
				for _, dim := range dims {
					if dim := dim.(map[string]any); dim["Name"] == "Source" {
						dim["Value"] = "HubSpot"
					}
				}
			}
		}, "no refusal alarm for source hubspot outcome 401"},
		{"refusal alarm over a day", func(d map[string]any, _ *template) {
			q := get(props(get(d, "Resources", "SalesforceRefusalsAlarm").(map[string]any)), "Metrics").([]any)[1]
			get(q, "MetricStat").(map[string]any)["Period"] = 86400
		}, "SalesforceRefusalsAlarm: Webhooks salesforce/401 over a period of 86400 s"},
		{"refusal alarm treats missing data as breaching", func(d map[string]any, _ *template) {
			props(get(d, "Resources", "DynamicsRefusalsAlarm").(map[string]any))["TreatMissingData"] = "breaching"
		}, "DynamicsRefusalsAlarm: TreatMissingData breaching"},
		{"refusal alarm notifies nobody", func(d map[string]any, _ *template) {
			delete(props(get(d, "Resources", "HubspotRefusalsAlarm").(map[string]any)), "AlarmActions")
		}, "HubspotRefusalsAlarm: AlarmActions <nil> do not notify AlarmTopic"},
		{"refusal alarm watches the apply function", func(d map[string]any, _ *template) {
			q := get(props(get(d, "Resources", "HubspotRefusalsAlarm").(map[string]any)), "Metrics").([]any)[0]
			get(q, "MetricStat", "Metric", "Dimensions").([]any)[0].(map[string]any)["Value"] = map[string]any{"Ref": "ApplyFunction"}
		}, "HubspotRefusalsAlarm: Webhooks dimension Function map[Ref:ApplyFunction]"},
		{"dashboard without webhooks", func(d map[string]any, _ *template) {
			b := get(props(get(d, "Resources", "Dashboard").(map[string]any)), "DashboardBody").(map[string]any)
			b["Fn::Sub"] = strings.ReplaceAll(b["Fn::Sub"].(string), `MetricName=\"Webhooks\"`, `MetricName=\"Other\"`)
		}, "no dashboard shows the ingest function's Webhooks metric"},
		{"x86 architecture", func(d map[string]any, _ *template) {
			fn(d, "IngestFunction")["Architectures"] = []any{"x86_64"}
		}, "IngestFunction: Architectures is [arm64 x86_64], want [arm64]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkerFinds(t, c.mutate, c.want) })
	}
}

// checkerFinds breaks a fresh copy of the template with mutate and requires
// check to report a problem containing want.
func checkerFinds(t *testing.T, mutate func(doc map[string]any, tpl *template), want string) {
	t.Helper()
	tpl := loadTemplate(t)
	if p := check(tpl); len(p) != 0 {
		t.Fatalf("the unmodified template already has problems: %q", p)
	}
	mutate(tpl.doc, tpl)
	problems := check(tpl)
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("checker missed the breakage: want a problem containing %q, got %q", want, problems)
}
