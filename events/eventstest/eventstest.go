package eventstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/goalrelay/goalrelay/events"
)

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
)

func schema() (*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(events.Schema))
		if err != nil {
			compileErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		const url = "goalrelay-event.json"
		if err := c.AddResource(url, doc); err != nil {
			compileErr = err
			return
		}
		compiled, compileErr = c.Compile(url)
	})
	return compiled, compileErr
}

// ValidateJSON validates one marshalled event against the schema.
func ValidateJSON(b []byte) error {
	s, err := schema()
	if err != nil {
		return fmt.Errorf("compile schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("parse event: %w", err)
	}
	return s.Validate(inst)
}

// AssertValid marshals each event and fails t if one breaks the schema.
func AssertValid(t testing.TB, evs ...events.Event) {
	t.Helper()
	for i, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("event %d: marshal: %v", i, err)
		}
		if err := ValidateJSON(b); err != nil {
			t.Errorf("event %d (%s) breaks the schema: %v\n%s", i, e.ID, err, b)
		}
	}
}
