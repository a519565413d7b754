package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The architecture's import rules, checked on the package graph that
// `go list -deps -json` reports. The rules come from the doc comments of
// the packages they constrain (shared/*/doc.go, events/doc.go); each rule
// names its source. checkArchitecture is a pure function of the graph, so
// TestArchitectureRulesCanFail proves, on small synthetic graphs, that
// every rule reports what it forbids.

// archPackage is one package of the graph, as `go list -json` describes it.
type archPackage struct {
	ImportPath   string
	Standard     bool
	Imports      []string // of the package proper
	TestImports  []string // of its _test.go files in the same package
	XTestImports []string // of its _test.go files in package <name>_test
}

// archGraph maps an import path to its package.
type archGraph map[string]archPackage

// archInput is what the rules look at.
type archInput struct {
	// Module is the module path; rules name packages relative to it.
	Module string
	// Packages is `go list -deps ./...`: every package of the module and
	// everything they import.
	Packages archGraph
	// Bootstraps is `go list -deps ./functions/...` as the functions'
	// bootstraps are built (-tags lambda.norpc, linux, no cgo).
	Bootstraps archGraph
}

// archViolation is one broken rule: Package (or, when Test, the test
// binary of Package) reaches Chain[len(Chain)-1] through Chain, which
// starts at Package.
type archViolation struct {
	Rule    string
	Package string
	Test    bool
	Chain   []string
}

func (v archViolation) String() string { return v.format("") }

func (v archViolation) format(module string) string {
	short := func(p string) string {
		if module != "" {
			if r, ok := strings.CutPrefix(p, module+"/"); ok {
				return r
			}
		}
		return p
	}
	who := short(v.Package)
	if v.Test {
		who += " (tests)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rule %s", v.Rule)
	if r := archRuleByName(v.Rule); r != nil {
		fmt.Fprintf(&b, " (%s; %s)", r.Doc, r.Source)
	}
	fmt.Fprintf(&b, ": %s imports %s", who, short(v.Chain[len(v.Chain)-1]))
	if len(v.Chain) > 2 {
		hops := make([]string, len(v.Chain))
		for i, p := range v.Chain {
			hops[i] = short(p)
		}
		fmt.Fprintf(&b, " via %s", strings.Join(hops, " → "))
	}
	return b.String()
}

// archRule is one rule. Check returns the packages the rule constrains in
// the input (so that a rule whose subjects vanished, after a rename, is
// noticed) and its violations.
type archRule struct {
	Name   string
	Doc    string // what the rule says
	Source string // where it is stated
	Check  func(in archInput) (subjects []string, vs []archViolation)
}

// ---------------------------------------------------------------- helpers

// within reports whether path is dir or a package under it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// awsRoots are the module paths of the AWS SDK, its smithy runtime and the
// Lambda Go runtime.
var awsRoots = []string{
	"github.com/aws/aws-sdk-go-v2",
	"github.com/aws/smithy-go",
	"github.com/aws/aws-lambda-go",
}

func isAWS(path string) bool {
	return slices.ContainsFunc(awsRoots, func(r string) bool { return within(path, r) })
}

// isStandard reports whether path is in the standard library: as go list
// says when the package is in the graph, else by its first element having
// no dot.
func (g archGraph) isStandard(path string) bool {
	if p, ok := g[path]; ok {
		return p.Standard
	}
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// rel is the import path of a package of the module.
func (in archInput) rel(p string) string { return in.Module + "/" + p }

// inModule reports whether path is a package of the module.
func (in archInput) inModule(path string) bool { return within(path, in.Module) }

// adapterOf is the adapter (shared/sources/<name>) that path belongs to, or
// "" when it belongs to none. shared/sources itself is the registry of all
// sources, not an adapter.
func (in archInput) adapterOf(path string) string {
	rest, ok := strings.CutPrefix(path, in.rel("shared/sources/"))
	if !ok || rest == "" {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return in.rel("shared/sources/" + name)
}

// subjects are the sorted packages of g for which match holds.
func subjects(g archGraph, match func(string) bool) []string {
	var out []string
	for p := range g {
		if match(p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// reach walks g breadth first from roots (the first hop from `from`), then
// along Imports, and returns the shortest chain from `from` to every
// package for which bad holds. It does not walk past a bad package, nor
// into a package in stop.
func (g archGraph) reach(from string, roots []string, bad func(string) bool, stop func(string) bool) [][]string {
	parent := map[string]string{}
	seen := map[string]bool{from: true}
	var queue []string
	visit := func(p, via string) {
		if seen[p] || p == "C" || (stop != nil && stop(p)) {
			return
		}
		seen[p] = true
		parent[p] = via
		queue = append(queue, p)
	}
	for _, r := range roots {
		visit(r, from)
	}
	var chains [][]string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if bad(p) {
			chain := []string{p}
			for q := p; q != from; {
				q = parent[q]
				chain = append(chain, q)
			}
			slices.Reverse(chain)
			chains = append(chains, chain)
			continue
		}
		for _, imp := range g[p].Imports {
			visit(imp, p)
		}
	}
	return chains
}

// forbid is the common shape of a rule: no package matching subject may
// reach, through its own imports, a package matching bad.
func forbid(graph func(archInput) archGraph, subject func(in archInput, p string) bool, bad func(in archInput, subject, p string) bool) func(archInput) ([]string, []archViolation) {
	return func(in archInput) ([]string, []archViolation) {
		g := graph(in)
		subs := subjects(g, func(p string) bool { return subject(in, p) })
		var vs []archViolation
		for _, s := range subs {
			for _, c := range g.reach(s, g[s].Imports, func(p string) bool { return bad(in, s, p) }, nil) {
				vs = append(vs, archViolation{Package: s, Chain: c})
			}
		}
		return subs, vs
	}
}

func packages(in archInput) archGraph   { return in.Packages }
func bootstraps(in archInput) archGraph { return in.Bootstraps }

// is matches exactly one package of the module.
func is(p string) func(archInput, string) bool {
	return func(in archInput, path string) bool { return path == in.rel(p) }
}

// under matches a package of the module and the packages under it.
func under(p string) func(archInput, string) bool {
	return func(in archInput, path string) bool { return within(path, in.rel(p)) }
}

// anyOf matches if one of the matchers does.
func anyOf(ms ...func(archInput, string) bool) func(archInput, string) bool {
	return func(in archInput, p string) bool {
		return slices.ContainsFunc(ms, func(m func(archInput, string) bool) bool { return m(in, p) })
	}
}

func isAdapter(in archInput, p string) bool { return in.adapterOf(p) != "" }

// badAnyOf turns package matchers into a bad predicate that ignores the subject.
func badAnyOf(ms ...func(archInput, string) bool) func(archInput, string, string) bool {
	m := anyOf(ms...)
	return func(in archInput, _, p string) bool { return m(in, p) }
}

func aws(_ archInput, p string) bool { return isAWS(p) }

// ---------------------------------------------------------------- rules

// archRules are the rules, in the order they are reported.
var archRules = []*archRule{
	{
		Name:   "adapter-no-aws",
		Doc:    "an adapter imports nothing from AWS (SDK, smithy-go, aws-lambda-go), even transitively",
		Source: "shared/sources/*/doc.go",
		Check:  forbid(packages, isAdapter, badAnyOf(aws)),
	},
	{
		Name:   "adapter-no-other-adapter",
		Doc:    "an adapter, its tests included, never imports another adapter, even transitively",
		Source: "shared/webhook/doc.go, shared/sources/*/doc.go",
		Check:  checkAdapterIsolation,
	},
	{
		Name:   "adapter-imports",
		Doc:    "an adapter imports only the standard library, shared/webhook, events, its own subpackages and its own CRM read-back client (shared/crm/<name>api)",
		Source: "shared/sources/*/doc.go",
		Check:  checkAdapterImports,
	},
	{
		Name:   "crm-clients-stdlib",
		Doc:    "the CRM read-back clients (shared/crm and under it) import only the standard library, shared/crm, shared/webhook and events",
		Source: "shared/crm/doc.go",
		Check: forbid(packages, under("shared/crm"), func(in archInput, _, p string) bool {
			if in.inModule(p) {
				return !within(p, in.rel("shared/crm")) && p != in.rel("shared/webhook") && p != in.rel("events")
			}
			return !in.Packages.isStandard(p)
		}),
	},
	{
		Name:   "apply-no-adapter",
		Doc:    "shared/apply imports no adapter, even transitively",
		Source: "architecture",
		Check:  forbid(packages, under("shared/apply"), badAnyOf(isAdapter)),
	},
	{
		Name:   "reconcile-no-adapter-gainsight",
		Doc:    "shared/reconcile imports no adapter and nothing from Gainsight, even transitively",
		Source: "shared/reconcile/doc.go",
		Check:  forbid(packages, is("shared/reconcile"), badAnyOf(isAdapter, under("shared/gainsight"))),
	},
	{
		Name:   "ingest-apply-independent",
		Doc:    "shared/ingest and shared/apply do not import each other, even transitively",
		Source: "architecture",
		Check: forbid(packages, anyOf(under("shared/ingest"), under("shared/apply")), func(in archInput, s, p string) bool {
			if within(s, in.rel("shared/ingest")) {
				return within(p, in.rel("shared/apply"))
			}
			return within(p, in.rel("shared/ingest"))
		}),
	},
	{
		Name:   "gainsight-no-relay",
		Doc:    "shared/gainsight and gainsighttest import no other goalrelay package (gainsighttest may import shared/gainsight)",
		Source: "shared/gainsight/doc.go, shared/gainsight/gainsighttest/doc.go",
		Check: forbid(packages, under("shared/gainsight"), func(in archInput, _, p string) bool {
			return in.inModule(p) && p != in.rel("shared/gainsight")
		}),
	},
	{
		Name:   "gainsighttest-independent",
		Doc:    "gainsighttest is an independent implementation: it imports nothing from shared/gainsight",
		Source: "shared/gainsight/gainsighttest/doc.go",
		Check:  forbid(packages, under("shared/gainsight/gainsighttest"), badAnyOf(is("shared/gainsight"))),
	},
	{
		Name:   "gainsight-stdlib-only",
		Doc:    "outside goalrelay, shared/gainsight and gainsighttest import only the standard library (so nothing from AWS)",
		Source: "shared/gainsight/doc.go, shared/gainsight/gainsighttest/doc.go",
		Check: forbid(packages, under("shared/gainsight"), func(in archInput, _, p string) bool {
			return !in.inModule(p) && !in.Packages.isStandard(p)
		}),
	},
	{
		Name:   "bootstrap-no-test-tooling",
		Doc:    "a function's bootstrap links no test or local-run tooling (shared/devtools, gainsighttest, eventstest, ingesttest, testevents, package testing)",
		Source: "shared/devtools/*/doc.go, shared/ingest/ingesttest/doc.go, testevents/doc.go",
		Check: forbid(bootstraps, under("functions"), func(in archInput, _, p string) bool {
			return within(p, "testing") || anyOf(
				under("shared/devtools"),
				under("shared/gainsight/gainsighttest"),
				under("events/eventstest"),
				under("shared/ingest/ingesttest"),
				under("testevents"),
			)(in, p)
		}),
	},
	{
		Name:   "bootstrap-no-sdk-config",
		Doc:    "a function's bootstrap does not link the SDK's config package (about 2 MB of a bootstrap that must stay under 10 MB)",
		Source: "shared/awsenv/doc.go, shared/secrets/doc.go",
		Check: forbid(bootstraps, under("functions"), func(_ archInput, _, p string) bool {
			return within(p, "github.com/aws/aws-sdk-go-v2/config")
		}),
	},
	{
		Name:   "events-no-aws-gainsight",
		Doc:    "events imports nothing from AWS or Gainsight",
		Source: "events/doc.go",
		Check:  forbid(packages, is("events"), badAnyOf(aws, under("shared/gainsight"))),
	},
	{
		Name:   "webhook-no-aws-gainsight",
		Doc:    "shared/webhook imports nothing from AWS or Gainsight",
		Source: "shared/webhook/doc.go",
		Check:  forbid(packages, is("shared/webhook"), badAnyOf(aws, under("shared/gainsight"))),
	},
	{
		Name:   "mapping-no-aws-gainsight-adapter",
		Doc:    "shared/mapping imports nothing from AWS, Gainsight or the CRM adapters",
		Source: "shared/mapping/doc.go",
		Check:  forbid(packages, is("shared/mapping"), badAnyOf(aws, under("shared/gainsight"), isAdapter)),
	},
	{
		Name:   "queue-secrets-no-gainsight-adapter",
		Doc:    "shared/queue and shared/secrets import nothing from Gainsight or the CRM adapters",
		Source: "shared/queue/doc.go, shared/secrets/doc.go",
		Check:  forbid(packages, anyOf(is("shared/queue"), is("shared/secrets")), badAnyOf(under("shared/gainsight"), isAdapter)),
	},
	{
		Name:   "ingest-no-gainsight",
		Doc:    "shared/ingest imports nothing from Gainsight",
		Source: "shared/ingest/doc.go",
		Check:  forbid(packages, is("shared/ingest"), badAnyOf(under("shared/gainsight"))),
	},
	{
		Name:   "emf-no-aws",
		Doc:    "shared/emf imports nothing from AWS",
		Source: "shared/emf/doc.go",
		Check:  forbid(packages, is("shared/emf"), badAnyOf(aws)),
	},
	{
		Name:   "tracing-stdlib-only",
		Doc:    "shared/tracing imports only the standard library (no X-Ray or OpenTelemetry SDK, nothing from AWS)",
		Source: "shared/tracing/doc.go",
		Check: forbid(packages, is("shared/tracing"), func(in archInput, _, p string) bool {
			return !in.Packages.isStandard(p)
		}),
	},
	{
		Name:   "xray-stdlib-only",
		Doc:    "shared/xray imports only the standard library and shared/tracing (no X-Ray or OpenTelemetry SDK, nothing from AWS)",
		Source: "shared/xray/doc.go",
		Check: forbid(packages, is("shared/xray"), func(in archInput, _, p string) bool {
			return !in.Packages.isStandard(p) && p != in.rel("shared/tracing")
		}),
	},
	{
		Name:   "awsenv-no-sdk-config",
		Doc:    "shared/awsenv does not import the SDK's config package",
		Source: "shared/awsenv/doc.go",
		Check: forbid(packages, is("shared/awsenv"), func(_ archInput, _, p string) bool {
			return within(p, "github.com/aws/aws-sdk-go-v2/config")
		}),
	},
	{
		Name:   "state-quota-dynamodb-only",
		Doc:    "shared/state and shared/quota import the DynamoDB SDK only (the standard library, aws-sdk-go-v2/aws, service/dynamodb, smithy-go): nothing from Gainsight, the CRMs, SQS or Lambda",
		Source: "shared/state/doc.go, shared/quota/doc.go",
		Check:  checkDynamoDBOnly,
	},
	{
		Name:   "goalctl-only-cmd",
		Doc:    "nothing imports shared/goalctl but cmd/goalctl (non-test code)",
		Source: "shared/goalctl/doc.go",
		Check:  checkGoalctlImporters,
	},
}

func archRuleByName(name string) *archRule {
	for _, r := range archRules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// checkAdapterIsolation: no adapter package reaches another adapter; nor
// does an adapter's test binary, whose test helpers are otherwise free.
func checkAdapterIsolation(in archInput) ([]string, []archViolation) {
	g := in.Packages
	subs := subjects(g, func(p string) bool { return isAdapter(in, p) })
	var vs []archViolation
	for _, s := range subs {
		own := in.adapterOf(s)
		bad := func(p string) bool { a := in.adapterOf(p); return a != "" && a != own }
		for _, c := range g.reach(s, g[s].Imports, bad, nil) {
			vs = append(vs, archViolation{Package: s, Chain: c})
		}
		// The test binary: what the tests import, minus the adapter's own
		// packages (checked above as packages in their own right).
		tests := slices.Concat(g[s].TestImports, g[s].XTestImports)
		ownPkg := func(p string) bool { return in.adapterOf(p) == own }
		for _, c := range g.reach(s, tests, bad, ownPkg) {
			vs = append(vs, archViolation{Package: s, Test: true, Chain: c})
		}
	}
	return subs, vs
}

// checkAdapterImports: an adapter's direct imports are the standard
// library, shared/webhook, events, its own subpackages or its own CRM
// read-back client (shared/sources/hubspot: shared/crm/hubspotapi). Another adapter
// and AWS are left to their own rules.
func checkAdapterImports(in archInput) ([]string, []archViolation) {
	g := in.Packages
	subs := subjects(g, func(p string) bool { return isAdapter(in, p) })
	var vs []archViolation
	for _, s := range subs {
		for _, imp := range g[s].Imports {
			own := in.adapterOf(s)
			switch a := in.adapterOf(imp); {
			case a == own, a != "", isAWS(imp), imp == "C",
				imp == in.rel("shared/crm/"+strings.TrimPrefix(own, in.rel("shared/sources/"))+"api"),
				imp == in.rel("shared/webhook"), imp == in.rel("events"),
				!in.inModule(imp) && g.isStandard(imp):
				continue
			}
			vs = append(vs, archViolation{Package: s, Chain: []string{s, imp}})
		}
	}
	return subs, vs
}

// checkDynamoDBOnly: the direct imports of shared/state and shared/quota
// are the standard library and the DynamoDB SDK.
func checkDynamoDBOnly(in archInput) ([]string, []archViolation) {
	g := in.Packages
	subs := subjects(g, func(p string) bool {
		return p == in.rel("shared/state") || p == in.rel("shared/quota")
	})
	allowed := []string{
		"github.com/aws/aws-sdk-go-v2/aws",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb",
		"github.com/aws/smithy-go",
	}
	var vs []archViolation
	for _, s := range subs {
		for _, imp := range g[s].Imports {
			ok := !in.inModule(imp) && g.isStandard(imp) ||
				slices.ContainsFunc(allowed, func(a string) bool { return within(imp, a) })
			if !ok {
				vs = append(vs, archViolation{Package: s, Chain: []string{s, imp}})
			}
		}
	}
	return subs, vs
}

// checkGoalctlImporters: among the module's packages (not their tests),
// only cmd/goalctl imports shared/goalctl.
func checkGoalctlImporters(in archInput) ([]string, []archViolation) {
	g := in.Packages
	goalctl := in.rel("shared/goalctl")
	if _, ok := g[goalctl]; !ok {
		return nil, nil
	}
	var vs []archViolation
	for _, s := range subjects(g, in.inModule) {
		if s == in.rel("cmd/goalctl") || within(s, goalctl) {
			continue
		}
		for _, imp := range g[s].Imports {
			if within(imp, goalctl) {
				vs = append(vs, archViolation{Package: s, Chain: []string{s, imp}})
			}
		}
	}
	return []string{goalctl}, vs
}

// checkArchitecture applies every rule to the input. It returns, per rule,
// the packages the rule constrains, and every violation, in rule order.
func checkArchitecture(in archInput) (subjectsByRule map[string][]string, vs []archViolation) {
	subjectsByRule = map[string][]string{}
	for _, r := range archRules {
		subs, rvs := r.Check(in)
		subjectsByRule[r.Name] = subs
		for _, v := range rvs {
			v.Rule = r.Name
			vs = append(vs, v)
		}
	}
	return subjectsByRule, vs
}

// ---------------------------------------------------------------- the real graph

// moduleRoot is the directory of go.mod, found upwards from the working
// directory, and the module path it declares.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(m), `"`)
				}
			}
			t.Fatalf("%s/go.mod has no module line", dir)
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = up
	}
}

// goList runs `go list -deps -json` in dir with the extra arguments and
// environment and decodes the package graph.
func goList(t *testing.T, dir string, env []string, args ...string) archGraph {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", slices.Concat(
		[]string{"list", "-deps", "-json=ImportPath,Standard,Imports,TestImports,XTestImports,Error"}, args)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	g := archGraph{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			archPackage
			Error *struct{ Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: decoding: %v", strings.Join(cmd.Args, " "), err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		g[p.ImportPath] = p.archPackage
	}
	return g
}

// TestArchitecture checks the rules on the module as it is.
func TestArchitecture(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	root, module := moduleRoot(t)
	in := archInput{
		Module:   module,
		Packages: goList(t, root, nil, "./..."),
		// As sam build builds them (the Makefile's build-IngestFunction and
		// build-ApplyFunction targets).
		Bootstraps: goList(t, root, []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"},
			"-tags", "lambda.norpc", "./functions/..."),
	}
	subs, vs := checkArchitecture(in)
	for _, r := range archRules {
		short := make([]string, len(subs[r.Name]))
		for i, s := range subs[r.Name] {
			short[i] = strings.TrimPrefix(s, module+"/")
		}
		if len(short) == 0 {
			t.Errorf("rule %s (%s) constrains no package: was a package renamed?", r.Name, r.Doc)
			continue
		}
		t.Logf("%s: %s", r.Name, strings.Join(short, ", "))
	}
	for _, v := range vs {
		t.Error(v.format(module))
	}
}

// ---------------------------------------------------------------- the rules can fail

// TestArchitectureRulesCanFail feeds the checker small graphs that each
// break one rule and asserts that it reports exactly that.
func TestArchitectureRulesCanFail(t *testing.T) {
	const m = "example.com/relay"
	p := func(rel string) string { return m + "/" + rel }
	const (
		sdk        = "github.com/aws/aws-sdk-go-v2/aws"
		smithy     = "github.com/aws/smithy-go"
		lambda     = "github.com/aws/aws-lambda-go/lambda"
		sqs        = "github.com/aws/aws-sdk-go-v2/service/sqs"
		dynamo     = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
		config     = "github.com/aws/aws-sdk-go-v2/config"
		cmp        = "github.com/google/go-cmp/cmp"
		testingPkg = "testing"
	)
	// graph builds a graph from "pkg: imp imp ..." lines; paths without a
	// dot in their first element are relative to the module, except the
	// standard library names listed in std.
	std := map[string]bool{"fmt": true, "testing": true, "net/http": true, "encoding/json": true}
	abs := func(s string) string {
		first, _, _ := strings.Cut(s, "/")
		if std[s] || strings.Contains(first, ".") {
			return s
		}
		return p(s)
	}
	type edges map[string]string // pkg → space-separated imports
	graph := func(e edges, tests ...edges) archGraph {
		g := archGraph{}
		add := func(path string) archPackage {
			path = abs(path)
			if _, ok := g[path]; !ok {
				g[path] = archPackage{ImportPath: path, Standard: std[path]}
			}
			return g[path]
		}
		for from, to := range e {
			pk := add(from)
			for _, imp := range strings.Fields(to) {
				add(imp)
				pk.Imports = append(pk.Imports, abs(imp))
			}
			slices.Sort(pk.Imports)
			g[pk.ImportPath] = pk
		}
		for _, te := range tests {
			for from, to := range te {
				pk := add(from)
				for _, imp := range strings.Fields(to) {
					add(imp)
					pk.XTestImports = append(pk.XTestImports, abs(imp))
				}
				g[pk.ImportPath] = pk
			}
		}
		return g
	}
	chain := func(ps ...string) []string {
		out := make([]string, len(ps))
		for i, s := range ps {
			out[i] = abs(s)
		}
		return out
	}
	v := func(rule, pkg string, ps ...string) archViolation {
		return archViolation{Rule: rule, Package: abs(pkg), Chain: chain(ps...)}
	}
	vt := func(rule, pkg string, ps ...string) archViolation {
		x := v(rule, pkg, ps...)
		x.Test = true
		return x
	}

	cases := []struct {
		name       string
		packages   archGraph
		bootstraps archGraph
		want       []archViolation
	}{
		{
			name: "a healthy graph",
			packages: graph(edges{
				"events":                              "encoding/json",
				"shared/webhook":                      "events",
				"shared/sources":                      "shared/sources/hubspot shared/sources/pipedrive",
				"shared/sources/hubspot":              "shared/webhook fmt shared/sources/hubspot/internal/sig shared/crm/hubspotapi",
				"shared/crm/hubspotapi":               "shared/crm shared/webhook net/http",
				"shared/crm":                          "fmt",
				"shared/sources/hubspot/internal/sig": "fmt",
				"shared/sources/pipedrive":            "shared/webhook events",
				"shared/ingest":                       "shared/sources shared/queue",
				"shared/queue":                        "events " + sqs,
				"shared/apply":                        "shared/gainsight shared/queue shared/state",
				"shared/reconcile":                    "shared/webhook shared/queue events",
				"shared/state":                        dynamo + " " + sdk + " fmt",
				"shared/gainsight":                    "net/http",
				"shared/gainsight/gainsighttest":      "net/http testing",
				"events/eventstest":                   "events testing",
				"functions/apply":                     "shared/apply " + lambda,
				"cmd/goalctl":                         "shared/goalctl",
				"shared/goalctl":                      "shared/apply shared/sources/hubspot",
			}, edges{
				"shared/sources/hubspot": "shared/sources/hubspot events/eventstest " + cmp,
			}),
			bootstraps: graph(edges{
				"functions/apply":  "shared/apply " + lambda,
				"shared/apply":     "shared/gainsight",
				"shared/gainsight": "net/http",
			}),
		},
		{
			name:     "adapter imports the SDK directly",
			packages: graph(edges{"shared/sources/hubspot": "shared/webhook " + smithy}),
			want:     []archViolation{v("adapter-no-aws", "shared/sources/hubspot", "shared/sources/hubspot", smithy)},
		},
		{
			name: "adapter reaches aws-lambda-go through its own subpackage",
			packages: graph(edges{
				"shared/sources/hubspot":     "shared/sources/hubspot/sig",
				"shared/sources/hubspot/sig": lambda,
			}),
			want: []archViolation{
				v("adapter-no-aws", "shared/sources/hubspot", "shared/sources/hubspot", "shared/sources/hubspot/sig", lambda),
				v("adapter-no-aws", "shared/sources/hubspot/sig", "shared/sources/hubspot/sig", lambda),
			},
		},
		{
			name: "adapter imports another adapter",
			packages: graph(edges{
				"shared/sources/hubspot":   "shared/webhook shared/sources/pipedrive",
				"shared/sources/pipedrive": "shared/webhook",
			}),
			want: []archViolation{v("adapter-no-other-adapter", "shared/sources/hubspot", "shared/sources/hubspot", "shared/sources/pipedrive")},
		},
		{
			name: "adapter's tests reach another adapter through a test helper",
			packages: graph(edges{
				"shared/sources/hubspot":   "shared/webhook",
				"shared/sources/pipedrive": "shared/webhook",
				"testevents":               "shared/sources/pipedrive",
			}, edges{
				"shared/sources/hubspot": "shared/sources/hubspot testevents",
			}),
			want: []archViolation{vt("adapter-no-other-adapter", "shared/sources/hubspot", "shared/sources/hubspot", "testevents", "shared/sources/pipedrive")},
		},
		{
			name:     "adapter imports a relay package other than webhook and events",
			packages: graph(edges{"shared/sources/hubspot": "shared/webhook shared/mapping"}),
			want:     []archViolation{v("adapter-imports", "shared/sources/hubspot", "shared/sources/hubspot", "shared/mapping")},
		},
		{
			name:     "adapter imports another CRM's read-back client",
			packages: graph(edges{"shared/sources/hubspot": "shared/webhook shared/crm/hubspotapi shared/crm/pipedriveapi", "shared/crm/hubspotapi": "shared/crm", "shared/crm/pipedriveapi": "shared/crm"}),
			want:     []archViolation{v("adapter-imports", "shared/sources/hubspot", "shared/sources/hubspot", "shared/crm/pipedriveapi")},
		},
		{
			name:     "a read-back client reaches a relay package",
			packages: graph(edges{"shared/crm/hubspotapi": "shared/crm shared/webhook shared/mapping", "shared/crm": "fmt", "shared/webhook": "events", "events": "fmt", "shared/mapping": "fmt"}),
			want:     []archViolation{v("crm-clients-stdlib", "shared/crm/hubspotapi", "shared/crm/hubspotapi", "shared/mapping")},
		},
		{
			name:     "adapter imports a third-party package",
			packages: graph(edges{"shared/sources/pipedrive": "shared/webhook " + cmp}),
			want:     []archViolation{v("adapter-imports", "shared/sources/pipedrive", "shared/sources/pipedrive", cmp)},
		},
		{
			name: "apply reaches an adapter through the registry",
			packages: graph(edges{
				"shared/apply":           "shared/sources",
				"shared/sources":         "shared/sources/hubspot",
				"shared/sources/hubspot": "shared/webhook",
			}),
			want: []archViolation{v("apply-no-adapter", "shared/apply", "shared/apply", "shared/sources", "shared/sources/hubspot")},
		},
		{
			name: "reconcile reaches the Gainsight client",
			packages: graph(edges{
				"shared/reconcile": "shared/readback",
				"shared/readback":  "shared/gainsight",
				"shared/gainsight": "net/http",
			}),
			want: []archViolation{v("reconcile-no-adapter-gainsight", "shared/reconcile", "shared/reconcile", "shared/readback", "shared/gainsight")},
		},
		{
			name: "ingest reaches apply",
			packages: graph(edges{
				"shared/ingest": "shared/x",
				"shared/x":      "shared/apply",
			}),
			want: []archViolation{v("ingest-apply-independent", "shared/ingest", "shared/ingest", "shared/x", "shared/apply")},
		},
		{
			name:     "apply imports ingest",
			packages: graph(edges{"shared/apply": "shared/ingest"}),
			want:     []archViolation{v("ingest-apply-independent", "shared/apply", "shared/apply", "shared/ingest")},
		},
		{
			name:     "gainsight imports a relay package",
			packages: graph(edges{"shared/gainsight": "net/http shared/x", "shared/x": "fmt"}),
			want:     []archViolation{v("gainsight-no-relay", "shared/gainsight", "shared/gainsight", "shared/x")},
		},
		{
			name:     "gainsighttest reaches a relay package",
			packages: graph(edges{"shared/gainsight/gainsighttest": "shared/x", "shared/x": "events", "events": "fmt"}),
			want:     []archViolation{v("gainsight-no-relay", "shared/gainsight/gainsighttest", "shared/gainsight/gainsighttest", "shared/x")},
		},
		{
			name:     "gainsighttest imports the client",
			packages: graph(edges{"shared/gainsight/gainsighttest": "shared/gainsight", "shared/gainsight": "net/http"}),
			want:     []archViolation{v("gainsighttest-independent", "shared/gainsight/gainsighttest", "shared/gainsight/gainsighttest", "shared/gainsight")},
		},
		{
			name:     "gainsight imports the SDK",
			packages: graph(edges{"shared/gainsight": "net/http " + sdk}),
			want:     []archViolation{v("gainsight-stdlib-only", "shared/gainsight", "shared/gainsight", sdk)},
		},
		{
			name: "ingest bootstrap links test tooling",
			bootstraps: graph(edges{
				"functions/ingest":         "shared/ingest",
				"shared/ingest":            "shared/ingest/ingesttest",
				"shared/ingest/ingesttest": "shared/devtools/awstest",
				"shared/devtools/awstest":  testingPkg,
			}),
			want: []archViolation{v("bootstrap-no-test-tooling", "functions/ingest", "functions/ingest", "shared/ingest", "shared/ingest/ingesttest")},
		},
		{
			name: "apply bootstrap links package testing",
			bootstraps: graph(edges{
				"functions/apply":  "shared/apply",
				"shared/apply":     "shared/gainsight",
				"shared/gainsight": testingPkg,
			}),
			want: []archViolation{v("bootstrap-no-test-tooling", "functions/apply", "functions/apply", "shared/apply", "shared/gainsight", testingPkg)},
		},
		{
			name:       "bootstrap links the SDK's config package",
			bootstraps: graph(edges{"functions/ingest": "shared/x", "shared/x": config}),
			want:       []archViolation{v("bootstrap-no-sdk-config", "functions/ingest", "functions/ingest", "shared/x", config)},
		},
		{
			name:     "events imports the SDK",
			packages: graph(edges{"events": "encoding/json " + sdk}),
			want:     []archViolation{v("events-no-aws-gainsight", "events", "events", sdk)},
		},
		{
			name:     "events imports gainsight",
			packages: graph(edges{"events": "shared/gainsight", "shared/gainsight": "net/http"}),
			want:     []archViolation{v("events-no-aws-gainsight", "events", "events", "shared/gainsight")},
		},
		{
			name:     "webhook reaches AWS",
			packages: graph(edges{"shared/webhook": "shared/x", "shared/x": lambda}),
			want:     []archViolation{v("webhook-no-aws-gainsight", "shared/webhook", "shared/webhook", "shared/x", lambda)},
		},
		{
			name:     "mapping imports an adapter",
			packages: graph(edges{"shared/mapping": "shared/sources/hubspot"}),
			want:     []archViolation{v("mapping-no-aws-gainsight-adapter", "shared/mapping", "shared/mapping", "shared/sources/hubspot")},
		},
		{
			name:     "secrets imports gainsight",
			packages: graph(edges{"shared/secrets": "shared/gainsight"}),
			want:     []archViolation{v("queue-secrets-no-gainsight-adapter", "shared/secrets", "shared/secrets", "shared/gainsight")},
		},
		{
			name:     "ingest imports gainsight",
			packages: graph(edges{"shared/ingest": "shared/gainsight"}),
			want:     []archViolation{v("ingest-no-gainsight", "shared/ingest", "shared/ingest", "shared/gainsight")},
		},
		{
			name:     "emf imports the SDK",
			packages: graph(edges{"shared/emf": sdk}),
			want:     []archViolation{v("emf-no-aws", "shared/emf", "shared/emf", sdk)},
		},
		{
			name:     "tracing imports the SDK",
			packages: graph(edges{"shared/tracing": sdk}),
			want:     []archViolation{v("tracing-stdlib-only", "shared/tracing", "shared/tracing", sdk)},
		},
		{
			name:     "xray imports the SDK",
			packages: graph(edges{"shared/xray": "shared/tracing " + sdk}),
			want:     []archViolation{v("xray-stdlib-only", "shared/xray", "shared/xray", sdk)},
		},
		{
			name:     "awsenv imports the SDK's config package",
			packages: graph(edges{"shared/awsenv": sdk + " " + config}),
			want:     []archViolation{v("awsenv-no-sdk-config", "shared/awsenv", "shared/awsenv", config)},
		},
		{
			name:     "quota imports SQS",
			packages: graph(edges{"shared/quota": dynamo + " " + sqs}),
			want:     []archViolation{v("state-quota-dynamodb-only", "shared/quota", "shared/quota", sqs)},
		},
		{
			name:     "state imports gainsight",
			packages: graph(edges{"shared/state": dynamo + " shared/gainsight"}),
			want:     []archViolation{v("state-quota-dynamodb-only", "shared/state", "shared/state", "shared/gainsight")},
		},
		{
			name:     "a package other than cmd/goalctl imports goalctl",
			packages: graph(edges{"cmd/goalctl": "shared/goalctl", "cmd/other": "shared/goalctl", "shared/goalctl": "fmt"}),
			want:     []archViolation{v("goalctl-only-cmd", "cmd/other", "cmd/other", "shared/goalctl")},
		},
	}

	// Every rule must be shown to fail.
	proven := map[string]bool{}
	for _, c := range cases {
		for _, w := range c.want {
			proven[w.Rule] = true
		}
	}
	for _, r := range archRules {
		if !proven[r.Name] {
			t.Errorf("rule %s has no case that breaks it", r.Name)
		}
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := archInput{Module: m, Packages: c.packages, Bootstraps: c.bootstraps}
			if in.Packages == nil {
				in.Packages = archGraph{}
			}
			if in.Bootstraps == nil {
				in.Bootstraps = archGraph{}
			}
			_, got := checkArchitecture(in)
			if !slices.EqualFunc(got, c.want, func(a, b archViolation) bool {
				return a.Rule == b.Rule && a.Package == b.Package && a.Test == b.Test && slices.Equal(a.Chain, b.Chain)
			}) {
				t.Errorf("violations:\n%s\nwant:\n%s", archList(got, m), archList(c.want, m))
			}
			for _, v := range got {
				msg := v.format(m)
				t.Log(msg)
				// The message names the rule, the package and, when the
				// import is transitive, the chain.
				if !strings.Contains(msg, v.Rule) || !strings.Contains(msg, strings.TrimPrefix(v.Package, m+"/")) ||
					(len(v.Chain) > 2 && !strings.Contains(msg, " → ")) {
					t.Errorf("message %q does not name the rule, the package and the chain", msg)
				}
			}
		})
	}
}

func archList(vs []archViolation, module string) string {
	if len(vs) == 0 {
		return "\t(none)"
	}
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = "\t" + v.format(module)
	}
	return strings.Join(lines, "\n")
}
