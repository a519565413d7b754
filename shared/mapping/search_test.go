package mapping

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

type structDoc struct{ Name string }

// TestSearchFieldPath: the direct lookup of dotted field names gives what
// the JMESPath interpreter gives.
func TestSearchFieldPath(t *testing.T) {
	doc := map[string]any{
		"recordId": "r1",
		"fields": map[string]any{
			"name": "Acme", "zero": 0.0, "empty": "", "null": nil, "list": []any{1.0},
			"ref":    map[string]any{"Name": "Acme Corp", "Id": "a-1"},
			"struct": structDoc{Name: "by reflection"},
			"ptr":    &structDoc{Name: "through a pointer"},
			"a b":    map[string]any{"c": true},
		},
	}
	for _, src := range []string{
		"recordId", "fields", "fields.name", "fields.zero", "fields.empty", "fields.null", "fields.missing",
		"fields.missing.deeper", "fields.list", "fields.list.x", "fields.name.x", "fields.ref.Name", "fields.ref.name",
		"fields.struct.name", "fields.ptr.name", "fields.struct.missing", `fields."a b".c`, "nope.nope",
	} {
		t.Run(src, func(t *testing.T) {
			e, err := compile(src)
			if err != nil {
				t.Fatal(err)
			}
			if e.path == nil {
				t.Fatalf("%s: no field path", src)
			}
			want, werr := e.jp.Search(doc)
			got, gerr := e.search(doc)
			if d := cmp.Diff(want, got); d != "" || (werr == nil) != (gerr == nil) {
				t.Errorf("search (-interpreter +path): %s; errors %v, %v", d, werr, gerr)
			}
		})
	}
	for _, src := range []string{"fields.a || fields.b", "fields.list[0]", "@", "`1`", "fields.*", "to_string(fields.zero)"} {
		if e, err := compile(src); err != nil || e.path != nil {
			t.Errorf("%s: path %v, %v; want the interpreter", src, e.path, err)
		}
	}
}
