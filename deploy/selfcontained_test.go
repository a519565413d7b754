package deploy

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the top of the repository, relative to this package.
const repoRoot = ".."

// outsidePointers are the marks of a pointer to a document that readers of
// this repository do not have: the design notes and reference files the
// project was first written from. What a reader needs from them lives in
// the package documentation, docs/ and the README instead.
//
// Each expression is written so that its own source text does not match it
// (an escaped dot, \x{00A7} for the section sign, a character class), so
// this file passes the check it defines.
var outsidePointers = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`DESIGN\.md`), "the design notes; point at the README or a package doc instead"},
	{regexp.MustCompile(`STYLE\.md`), "the style notes"},
	{regexp.MustCompile(`gainsight-customer-goals-api\.txt`), "the Gainsight API text; see docs/gainsight-api.md"},
	{regexp.MustCompile(`gainsight-facts\.md`), "the Gainsight facts; see docs/gainsight-api.md"},
	{regexp.MustCompile(`crm-webhooks\.md`), "the CRM webhook reference; see docs/crm-webhook-formats.md"},
	{regexp.MustCompile(`crm-apis\.md`), "the CRM API reference"},
	{regexp.MustCompile(`aws-serverless\.md`), "the AWS reference"},
	{regexp.MustCompile(`local-emulators\.md`), "the emulator reference"},
	{regexp.MustCompile(`(?i)\breference/`), "a reference folder outside the repository"},
	{regexp.MustCompile(`\x{00A7}`), "a section sign, the way the outside references were cited"},
	{regexp.MustCompile(`\.\./shared/`), "a folder beside the repository"},
	{regexp.MustCompile(`/work/[s]hared`), "a folder of the development machine"},
}

// pointerFinding is one pointer to an outside document.
type pointerFinding struct {
	line int
	text string
	what string
}

// findOutsidePointers returns the lines of text that point at a document
// outside the repository.
func findOutsidePointers(text string) []pointerFinding {
	var out []pointerFinding
	for i, line := range strings.Split(text, "\n") {
		for _, op := range outsidePointers {
			if op.re.MatchString(line) {
				out = append(out, pointerFinding{line: i + 1, text: strings.TrimSpace(line), what: op.what})
				break
			}
		}
	}
	return out
}

// repoTextFiles returns the repository's text files (slash-separated paths
// relative to the root), skipping version control, build output and
// binary files.
func repoTextFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(repoRoot, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch rel {
			case ".git", ".aws-sam", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || rel == "bench.txt" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
			return nil // binary
		}
		files[rel] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestNoPointersOutsideRepository keeps the repository self-explanatory:
// no comment, document, test or configuration file may send the reader to
// a document that is not in the repository.
func TestNoPointersOutsideRepository(t *testing.T) {
	files := repoTextFiles(t)
	if _, ok := files["deploy/selfcontained_test.go"]; !ok {
		t.Fatalf("walk did not find this test file among %d files; wrong root?", len(files))
	}
	paths := slices.Sorted(maps.Keys(files))
	for _, p := range paths {
		for _, f := range findOutsidePointers(string(files[p])) {
			t.Errorf("%s:%d: points outside the repository (%s): %s", p, f.line, f.what, f.text)
		}
	}
}

// TestFindOutsidePointers shows that the check catches each kind of
// pointer that used to be in the repository and lets the legitimate
// look-alikes through.
func TestFindOutsidePointers(t *testing.T) {
	sect := "\u00a7"
	tests := []struct {
		name string
		text string
		want int // number of flagged lines
	}{
		{"design notes", `// envByFunction is the public interface of DESIGN` + `.md ("Function env")`, 1},
		{"Gainsight spec file", "// (reference" + "/gainsight-customer-goals-api" + ".txt): goals", 1},
		{"Gainsight facts", "// REST APIs under /v1 (gainsight-facts" + ".md, base URL)", 1},
		{"reference section", "// \"code\" instead (reference " + sect + "3).", 1},
		{"section sign alone", "// The " + sect + "1.1 sample delivery", 1},
		{"CRM reference by name", "// (crm-webhooks" + ".md " + sect + "2.1)", 1},
		{"CRM reference without section", "see crm-webhooks" + ".md for details", 1},
		{"sibling folder", "read ../" + "shared/" + "reference" + "/aws-serverless" + ".md", 1},
		{"machine path", "cat /work/" + "shared/DESIGN" + ".md", 1},
		{"template comment", "#   - the env var names of DESIGN" + ".md's public interface", 1},
		{"two lines, one bad", "fine\nsee DESIGN" + ".md\nfine", 1},
		{"in-repo doc", "see docs/crm-webhook-formats.md for how each CRM signs", 0},
		{"in-repo doc as a link", "[`docs/gainsight-api.md`](docs/gainsight-api.md)", 0},
		{"in-repo format file", "# Format: shared/mapping/FORMAT.md.", 0},
		{"entity reference", `{"__type": "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts"}`, 0},
		{"the spec", "// The spec's sample reply is a bare recordList", 0},
		{"README section", `report("STATE_TABLE (README, \"Public interface\") is missing")`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findOutsidePointers(tt.text)
			if len(got) != tt.want {
				t.Errorf("findOutsidePointers(%q) = %+v, want %d finding(s)", tt.text, got, tt.want)
			}
		})
	}
}

// TestOutsidePointersSelfClean shows that the pattern list does not flag
// itself: this file, read from disk, has no finding.
func TestOutsidePointersSelfClean(t *testing.T) {
	data, err := os.ReadFile("selfcontained_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if got := findOutsidePointers(string(data)); len(got) > 0 {
		t.Errorf("the check flags its own source: %+v", got)
	}
}
