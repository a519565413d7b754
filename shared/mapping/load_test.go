package mapping_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

func TestParseErrors(t *testing.T) {
	const head = "source: hubspot\nobjects:\n  deal:\n    type: goal\n"
	tests := []struct {
		name string
		yaml string
		want string // the whole first line of the error
	}{
		{
			name: "unknown key in a field rule",
			yaml: head + "    fields:\n      Name: {exprs: fields.dealname}\n",
			want: `bad.yaml:6:14: objects.deal.fields.Name: unknown key "exprs" in a field rule (want one of expr, map, mapDefault, unmapped, default, format, required)`,
		},
		{
			name: "unknown key in an object",
			yaml: head + "    field: {}\n",
			want: `bad.yaml:5:5: objects.deal: unknown key "field" in an object mapping (want one of type, externalId, fullRecord, fields, constants, associate, dissociate, onDelete)`,
		},
		{
			name: "unknown top-level key",
			yaml: "sources: {}\nversion: 2\n",
			want: `bad.yaml:2:1: unknown key "version" in the file (want one of sources, source, objects)`,
		},
		{
			name: "bad JMESPath names the expression",
			yaml: head + "    fields:\n      Name: fields.[deal\n",
			want: `bad.yaml:6:13: objects.deal.fields.Name: bad JMESPath expression "fields.[deal": `,
		},
		{
			name: "bad JMESPath in externalId",
			yaml: head + "    externalId: \"recordId ||\"\n",
			want: `bad.yaml:5:17: objects.deal.externalId: bad JMESPath expression "recordId ||": `,
		},
		{
			name: "unknown event type",
			yaml: "source: hubspot\nobjects:\n  deal:\n    type: goals\n",
			want: `bad.yaml:4:11: objects.deal.type: unknown event type "goals" (want goal, goaltemplate or metric)`,
		},
		{
			name: "missing event type",
			yaml: "source: hubspot\nobjects:\n  deal:\n    fields: {Name: fields.dealname}\n",
			want: `bad.yaml:4:5: objects.deal: missing type: (goal, goaltemplate or metric)`,
		},
		{
			name: "unknown format",
			yaml: head + "    fields:\n      DueDate: {expr: fields.closedate, format: day}\n",
			want: `bad.yaml:6:49: objects.deal.fields.DueDate.format: unknown format "day" (want one of date, datetime, string, number, boolean)`,
		},
		{
			name: "empty target",
			yaml: head + "    fields:\n      \"\": fields.dealname\n",
			want: `bad.yaml:6:7: objects.deal.fields: empty target field name`,
		},
		{
			name: "value map not a map",
			yaml: head + "    fields:\n      StatusName:\n        expr: fields.dealstage\n        map: [closedwon, Achieved]\n",
			want: `bad.yaml:8:14: objects.deal.fields.StatusName.map: value map must be a mapping of source value to target value, got a list`,
		},
		{
			name: "mapDefault without map",
			yaml: head + "    fields:\n      StatusName: {expr: fields.dealstage, mapDefault: New}\n",
			want: `bad.yaml:6:19: objects.deal.fields.StatusName: mapDefault: and unmapped: need a map:`,
		},
		{
			name: "unmapped with an unknown mode",
			yaml: head + "    fields:\n      StatusName: {expr: fields.dealstage, map: {a: b}, unmapped: New}\n",
			want: `bad.yaml:6:67: objects.deal.fields.StatusName.unmapped: unmapped must be error, keep or omit, got "New" (use mapDefault: for a replacement value)`,
		},
		{
			name: "rule without expr",
			yaml: head + "    fields:\n      Name: {required: true}\n",
			want: `bad.yaml:6:13: objects.deal.fields.Name: field rule has no expr:`,
		},
		{
			name: "required not a boolean",
			yaml: head + "    fields:\n      Name: {expr: fields.dealname, required: yes please}\n",
			want: `bad.yaml:6:47: objects.deal.fields.Name.required: required must be true or false, got the scalar "yes please"`,
		},
		{
			name: "duplicate target",
			yaml: head + "    fields:\n      Name: fields.a\n      Name: fields.b\n",
			want: `bad.yaml:7:7: objects.deal.fields: duplicate key "Name"`,
		},
		{
			name: "target in fields and constants",
			yaml: head + "    fields: {EntityType: fields.e}\n    constants: {EntityType: COMPANY}\n",
			want: `bad.yaml:4:5: objects.deal: target "EntityType" is set by both fields and constants`,
		},
		{
			name: "association kind",
			yaml: head + "    associate: {Playbook: fields.p}\n",
			want: `bad.yaml:5:17: objects.deal.associate: unknown key "Playbook" in associate (want one of CTA, SP)`,
		},
		{
			name: "onDelete scalar",
			yaml: head + "    onDelete: close\n",
			want: `bad.yaml:5:15: objects.deal.onDelete: onDelete must be ignore, emit or a mapping with fields:, got "close"`,
		},
		{
			name: "constant that is a mapping",
			yaml: head + "    constants: {EntityType: {a: b}}\n",
			want: `bad.yaml:5:29: objects.deal.constants.EntityType: want a value (string, number, boolean, null or a list of them), got a mapping`,
		},
		{
			name: "sources and source together",
			yaml: "source: hubspot\nsources: {}\n",
			want: `bad.yaml:1:1: use either sources: (several sources) or source: with objects: (one source), not both`,
		},
		{
			name: "source name",
			yaml: "sources:\n  HubSpot:\n    objects: {}\n",
			want: `bad.yaml:2:3: sources.HubSpot: source name "HubSpot" must be lower case letters, digits, '-' or '_' (the first segment of the event source, e.g. hubspot)`,
		},
		{
			name: "objects not a mapping",
			yaml: "source: hubspot\nobjects: [deal]\n",
			want: `bad.yaml:2:10: objects: objects must be a mapping, got a list`,
		},
		{
			name: "yaml syntax",
			yaml: "source: hubspot\nobjects:\n  deal: {type: goal\n",
			want: `bad.yaml: yaml: line 2: did not find expected ',' or '}'`,
		},
		{
			name: "empty file",
			yaml: "",
			want: `bad.yaml: empty mapping file (want sources: or source: and objects:)`,
		},
		{
			name: "not a mapping",
			yaml: "- hubspot\n",
			want: `bad.yaml:1:1: a mapping file must be a mapping with sources: (or source: and objects:), got a list`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mapping.Parse("bad.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse = %v, nil; want an error", m)
			}
			if !errors.Is(err, mapping.ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
			first, _, _ := strings.Cut(err.Error(), "\n")
			if !strings.HasPrefix(first, tt.want) {
				t.Errorf("error\n got: %s\nwant: %s", first, tt.want)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := mapping.Parse("bad.yaml", []byte(`
source: hubspot
objects:
  deal:
    type: goal
    fields:
      Name: {expr: "fields.[", format: nope}
      DueDate: {expr: fields.closedate, colour: red}
`))
	var ces []*mapping.ConfigError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *mapping.ConfigError
		if errors.As(e, &ce) {
			ces = append(ces, ce)
		}
	}
	if len(ces) != 3 {
		t.Fatalf("got %d problems, want 3:\n%v", len(ces), err)
	}
	for _, ce := range ces {
		if ce.File != "bad.yaml" || ce.Line == 0 {
			t.Errorf("problem without a location: %+v", ce)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mapping.yaml")
	const file = `
sources:
  hubspot:
    objects:
      deal:
        type: goal
        fields:
          Name: fields.dealname
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	// The file replaces the defaults: salesforce is no longer mapped.
	if got := m.Sources(); len(got) != 1 || got[0] != "hubspot" {
		t.Errorf("Sources = %v, want [hubspot]", got)
	}
	evs, err := m.Map(webhook.Change{ID: "1", Source: "salesforce/org/x", Object: "Opportunity", RecordID: "006",
		Op: webhook.OpUpsert, OccurredAt: at, Fields: map[string]any{"Name": "x"}})
	if err != nil || len(evs) != 0 {
		t.Errorf("salesforce with a hubspot-only file: %v, %v; want nothing", evs, err)
	}

	if _, err := mapping.Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("source: hubspot\nobjects:\n  deal:\n    type: goals\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = mapping.Load(bad)
	if err == nil || !strings.HasPrefix(err.Error(), bad+":4:11: ") {
		t.Errorf("Load(bad) = %v, want an error naming %s:4:11", err, bad)
	}
}

func TestShippedFilesParse(t *testing.T) {
	files, err := filepath.Glob("defaults/*.yaml")
	if err != nil || len(files) != 4 {
		t.Fatalf("defaults: %v, %v", files, err)
	}
	for _, f := range files {
		if _, err := mapping.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := mapping.Load("testdata/all-sources.yaml"); err != nil {
		t.Errorf("testdata/all-sources.yaml: %v", err)
	}
}

func TestParseFollowsAliases(t *testing.T) {
	m := mustParse(t, `
source: crm
objects:
  a:
    type: goal
    fields:
      StatusName: &status
        expr: fields.stage
        map: &stages {won: Achieved, lost: Not Achieved}
  b:
    type: goal
    fields:
      StatusName: *status
      crm_status__gc: {expr: fields.stage, map: *stages}
`)
	evs, err := m.Map(webhook.Change{ID: "1", Source: "crm", Object: "b", RecordID: "r", Op: webhook.OpUpsert, OccurredAt: at,
		Fields: map[string]any{"stage": "won"}})
	if err != nil || len(evs) != 1 || evs[0].Data.Fields["StatusName"] != "Achieved" || evs[0].Data.Fields["crm_status__gc"] != "Achieved" {
		t.Errorf("Map = %+v, %v", evs, err)
	}
	// A cyclic alias is an error, not a hang.
	if _, err := mapping.Parse("c.yaml", []byte("source: crm\nobjects:\n  a:\n    type: goal\n    constants: {X: &l [1, *l]}\n")); err == nil {
		t.Error("cyclic alias: want an error")
	}
}

// TestParseRefusesOwnedTargets: a mapping may not target a relay-owned
// field (events.IsOwnedField), in fields, constants or onDelete, in any
// letter case; the error is located at the target's key.
func TestParseRefusesOwnedTargets(t *testing.T) {
	const head = "source: hubspot\nobjects:\n  deal:\n    type: goal\n"
	tests := []struct {
		name      string
		yaml      string
		line, col int
		path      string
		target    string
	}{
		{"Gsid in fields", head + "    fields:\n      Name: fields.dealname\n      Gsid: fields.gainsight_gsid\n", 7, 7, "objects.deal.fields.Gsid", "Gsid"},
		{"GSID as a rule", head + "    fields:\n      GSID: {expr: fields.gsid, format: string}\n", 6, 7, "objects.deal.fields.GSID", "GSID"},
		{"the external-id field", head + "    fields: {goalrelay_external_id__gc: recordId}\n", 5, 14, "objects.deal.fields.goalrelay_external_id__gc", "goalrelay_external_id__gc"},
		{"a system field as a constant", head + "    constants:\n      ModifiedDate: \"2026-01-01\"\n", 6, 7, "objects.deal.constants.ModifiedDate", "ModifiedDate"},
		{"a system field on delete", head + "    onDelete:\n      fields: {createdbyid: x}\n", 6, 16, "objects.deal.onDelete.fields.createdbyid", "createdbyid"},
		{"gsid of a metric", "source: crm\nobjects:\n  product:\n    type: metric\n    fields:\n      gsid: fields.id\n", 6, 7, "objects.product.fields.gsid", "gsid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mapping.Parse("owned.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse = %v, nil; want an error", m)
			}
			if !errors.Is(err, mapping.ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
			var ce *mapping.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v holds no *ConfigError", err)
			}
			if ce.File != "owned.yaml" || ce.Line != tt.line || ce.Column != tt.col || ce.Path != tt.path {
				t.Errorf("located at %s:%d:%d %s, want owned.yaml:%d:%d %s", ce.File, ce.Line, ce.Column, ce.Path, tt.line, tt.col, tt.path)
			}
			if !strings.Contains(ce.Problem, tt.target) || !strings.Contains(ce.Problem, "owns") {
				t.Errorf("problem %q does not name %s as relay-owned", ce.Problem, tt.target)
			}
			if want := fmt.Sprintf("owned.yaml:%d:%d: %s: ", tt.line, tt.col, tt.path); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

// TestParseAcceptsLookalikeTargets: only the owned names are refused, not
// fields that resemble them.
func TestParseAcceptsLookalikeTargets(t *testing.T) {
	_, err := mapping.Parse("ok.yaml", []byte("source: hubspot\nobjects:\n  deal:\n    type: goal\n"+
		"    fields: {crm_external_id__gc: recordId, GsidOfCompany: fields.x, LastModifiedDate__gc: fields.y}\n"))
	if err != nil {
		t.Errorf("Parse: %v", err)
	}
}
