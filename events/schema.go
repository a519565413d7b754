package events

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of one Event: the contract.
//
//go:embed schema.json
var Schema []byte
