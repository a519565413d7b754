package mapping_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and an
// error must always be a located ConfigError or a join of them. A mapping
// that loads must map a change without panicking.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("defaults/*.yaml")
	seeds = append(seeds, "testdata/all-sources.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("source: x\nobjects:\n  o:\n    type: goal\n    fields: {A: \"fields.a | to_number(@)\"}\n"))
	f.Add([]byte("sources: {a: {objects: {b: {type: metric, onDelete: emit, associate: {CTA: 'fields.c[*]'}}}}}"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("source: x\nobjects: {o: {type: goal, fields: {A: {expr: '`1`', map: {1: 2}, format: date}}}}"))
	ch := webhook.Change{ID: "1", Source: "x/1", Object: "o", RecordID: "r", Op: webhook.OpUpsert, OccurredAt: at,
		Fields: map[string]any{"a": "1767225600000", "c": []any{"x", 1.0}, "b": map[string]any{"k": true}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := mapping.Parse("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, mapping.ErrInvalidConfig) {
				t.Fatalf("error does not wrap ErrInvalidConfig: %v", err)
			}
			return
		}
		for _, s := range m.Sources() {
			c := ch
			c.Source = s + "/1"
			_, _ = m.Map(c)
			c.Op = webhook.OpDelete
			_, _ = m.Map(c)
		}
	})
}
