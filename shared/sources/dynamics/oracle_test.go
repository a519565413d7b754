package dynamics

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oracle_test.go is a reference decoder for decode.go: the same input
// decoded with encoding/json into plain structs (attribute and formatted
// values into any) and turned into the executionContext decodeContext
// builds. decode.go promises encoding/json's rules, so here they hold by
// construction: member names matched exactly, then by Unicode case folding;
// null leaves a string or struct alone and sets a slice, pointer or any to
// nil; a repeated member is decoded again over the first (slice elements in
// place, an existing *entity reused); a value of the wrong type or a number
// beyond float64 is recorded, skipped and reported at the end; 10000 levels
// of nesting at most; invalid UTF-8 and lone surrogates become U+FFFD;
// anything after the top-level value is an error. Duplicate member names
// are not an error under either (the later one wins, as above).
//
// What cannot be equal by construction, and how the comparison treats it:
//
//   - Error values. decode.go returns *decodeError (syntax, depth) or
//     errShape (wrong type, unreadable number) with its own text;
//     encoding/json returns *json.SyntaxError or *json.UnmarshalTypeError.
//     Only the class is compared: syntax versus type mismatch (Parse wraps
//     both in webhook.ErrMalformed). Results are compared only when both
//     sides succeed: what is left in the structs after an error differs
//     (decode.go stops at the first syntax error; encoding/json checks the
//     syntax before decoding anything and allocates a *entity before it
//     finds the value is not an object).
//   - Attribute values are flattened by the production flatten after
//     decoding into any; decode.go flattens while reading and flattens
//     typed objects (Money, EntityReference, ...) from their members
//     without building a map (flatObject). flatten is the specification
//     the fast path must match; it is not itself under test here.
//   - A Target parameter: decode.go decodes it while reading the body when
//     its key comes first and otherwise on demand (param.entity). The
//     oracle keeps the value as json.RawMessage and unmarshals it into an
//     entity, as the encoding/json version of Parse did; a mismatch inside
//     it is the Target's error, not the body's. The comparison goes
//     through param.entity() for every parameter, so both paths of
//     decode.go are compared, and ignores which path was taken.
//   - param.Value is a sub-slice of the body in decode.go and a copy here;
//     only the bytes are compared. Nil and empty slices are told apart
//     (encoding/json leaves a member it never saw nil and makes an empty
//     non-nil slice of "[]"; decode.go does the same).

// jsonContext and the types below are executionContext for encoding/json.
type jsonContext struct {
	MessageName        string
	OrganizationId     string
	OperationId        string
	RequestId          string
	CorrelationId      string
	OperationCreatedOn string
	PrimaryEntityId    string
	PrimaryEntityName  string
	InputParameters    []jsonParam
	PostEntityImages   []jsonImage
	PreEntityImages    []jsonImage
}

type jsonParam struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type jsonImage struct {
	Key   string      `json:"key"`
	Value *jsonEntity `json:"value"`
}

type jsonEntity struct {
	Id              string
	Attributes      []jsonKeyValue
	FormattedValues []jsonKeyValue
}

type jsonKeyValue struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// oracleDecodeContext is decodeContext written with encoding/json. Like
// Parse needs, it decodes the value of a "Target" parameter (the one Parse
// reads) and leaves the others as their bytes.
func oracleDecodeContext(body []byte, c *executionContext) error {
	var j jsonContext
	if err := json.Unmarshal(body, &j); err != nil {
		return err
	}
	*c = executionContext{
		MessageName:        j.MessageName,
		OrganizationId:     j.OrganizationId,
		OperationId:        j.OperationId,
		RequestId:          j.RequestId,
		CorrelationId:      j.CorrelationId,
		OperationCreatedOn: j.OperationCreatedOn,
		PrimaryEntityId:    j.PrimaryEntityId,
		PrimaryEntityName:  j.PrimaryEntityName,
		PostEntityImages:   fromJSONImages(j.PostEntityImages),
		PreEntityImages:    fromJSONImages(j.PreEntityImages),
	}
	if j.InputParameters != nil {
		c.InputParameters = make([]param, len(j.InputParameters))
		for i, p := range j.InputParameters {
			c.InputParameters[i] = param{Key: p.Key, Value: p.Value}
			if p.Key == "Target" && !isNull(p.Value) {
				e := new(entity)
				err := oracleDecodeEntity(p.Value, e)
				c.InputParameters[i].decoded, c.InputParameters[i].target, c.InputParameters[i].targetErr = true, e, err
			}
		}
	}
	return nil
}

// oracleDecodeEntity is decodeEntity written with encoding/json.
func oracleDecodeEntity(b []byte, e *entity) error {
	var j jsonEntity
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = *fromJSONEntity(&j)
	return nil
}

func fromJSONImages(l []jsonImage) []image {
	if l == nil {
		return nil
	}
	out := make([]image, len(l))
	for i, img := range l {
		out[i] = image{Key: img.Key}
		if img.Value != nil {
			out[i].Value = fromJSONEntity(img.Value)
		}
	}
	return out
}

func fromJSONEntity(j *jsonEntity) *entity {
	e := &entity{Id: j.Id}
	if j.Attributes != nil {
		e.Attributes = make([]attribute, len(j.Attributes))
		for i, a := range j.Attributes {
			e.Attributes[i] = attribute{Key: a.Key, Value: attrValue{flatten(a.Value)}}
		}
	}
	if j.FormattedValues != nil {
		e.FormattedValues = make([]formattedValue, len(j.FormattedValues))
		for i, f := range j.FormattedValues {
			e.FormattedValues[i] = formattedValue(f)
		}
	}
	return e
}

// errClass is the comparable class of a decoding error.
func errClass(err error) string {
	var (
		de *decodeError
		es errShape
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &de), errors.As(err, &se):
		return "syntax"
	case errors.As(err, &es), errors.As(err, &te):
		return "type"
	}
	return "other: " + err.Error()
}

// decodedParam is a param as Parse sees it: its key, its bytes and what
// entity() gives.
type decodedParam struct {
	Key       string
	Value     []byte
	Entity    *entity // only when EntityErr is "ok"
	EntityErr string
}

// comparableContext is an executionContext with its params resolved
// (InputParameters is cleared: Params stands for it).
type comparableContext struct {
	Context executionContext
	Params  []decodedParam
}

func resolve(c executionContext, entityOf func(p *param) (*entity, error)) comparableContext {
	out := comparableContext{Context: c}
	if c.InputParameters != nil {
		out.Params = make([]decodedParam, len(c.InputParameters))
	}
	for i := range c.InputParameters {
		p := &c.InputParameters[i]
		e, err := entityOf(p)
		d := decodedParam{Key: p.Key, Value: p.Value, EntityErr: errClass(err)}
		if err == nil {
			d.Entity = e
		}
		out.Params[i] = d
	}
	out.Context.InputParameters = nil
	return out
}

// compareWithOracle decodes body with decode.go and with the oracle and
// reports any difference in error class or result.
func compareWithOracle(t *testing.T, body []byte) {
	t.Helper()
	var got, want executionContext
	gotErr := decodeContext(body, &got)
	wantErr := oracleDecodeContext(slices0(body), &want)
	if g, w := errClass(gotErr), errClass(wantErr); g != w {
		t.Fatalf("decodeContext: %s (%v); encoding/json: %s (%v)\nbody: %q", g, gotErr, w, wantErr, body)
	}
	if gotErr != nil {
		return
	}
	// Every parameter's value read as an entity: decode.go's answer
	// (inline or on demand) against encoding/json's.
	g := resolve(got, func(p *param) (*entity, error) { return p.entity() })
	w := resolve(want, func(p *param) (*entity, error) {
		if p.decoded {
			return p.target, p.targetErr
		}
		e := new(entity)
		return e, oracleDecodeEntity(p.Value, e)
	})
	// reflect.DeepEqual first: cmp.Diff is far too slow on values nested
	// thousands deep.
	if reflect.DeepEqual(w, g) {
		return
	}
	if d := cmp.Diff(w, g, cmp.AllowUnexported(attrValue{})); true {
		t.Fatalf("decodeContext differs from encoding/json (-encoding/json +decode.go):\n%s\nbody: %q", d, body)
	}
}

// slices0 copies b, so that neither decoder can see the other's changes.
func slices0(b []byte) []byte { return append([]byte(nil), b...) }

// oracleSeeds are the fuzz seeds: the testdata bodies, FuzzParseDynamics's
// seeds and corpus, and inputs for the rules listed above.
func oracleSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, name := range []string{"opportunity-create.json", "opportunity-update.json", "opportunity-delete.json"} {
		seeds = append(seeds, readTestdata(t, name))
	}
	// FuzzParseDynamics's f.Add seeds.
	seeds = append(seeds,
		[]byte(`{"MessageName":"Update","OrganizationId":"o","PrimaryEntityName":"e","PrimaryEntityId":"1","OperationId":"2","OperationCreatedOn":"\/Date(1+0000)\/"}`),
		[]byte(`{"MessageName":"Delete","OrganizationId":"o","PrimaryEntityName":"e","CorrelationId":"c","InputParameters":[{"key":"Target","value":{"Id":"9"}}],"PreEntityImages":[{"key":"p","value":{"Attributes":[{"key":"a","value":{"__type":"Money:x","Value":1}}]}}],"OperationCreatedOn":"2026-01-01T00:00:00Z"}`),
	)
	// Committed corpus entries of both fuzz targets.
	for _, dir := range []string{"FuzzParseDynamics", "FuzzDecodeMatchesOracle"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", dir, "*"))
		for _, f := range files {
			if b, ok := readCorpusFile(t, f); ok {
				seeds = append(seeds, b)
			}
		}
	}
	sample := string(readTestdata(t, "opportunity-update.json"))
	for _, s := range []string{
		`null`, `{}`, `[]`, `""`, ``, ` `, `{"MessageName":"Update"} `, `{"MessageName":"Update"}x`,
		`{"messagename":"Update","MESSAGENAME":"Create","\u004dessageName":"Delete"}`,
		`{"PoſtEntityImages":[{"KEY":"a","vaLue":{"attributes":[{"key":"k","value":1}]}}]}`,
		`{"InputParameters":[{"value":{"Id":"1","Attributes":[{"key":"a","value":"x"}]},"key":"Target"}]}`,
		`{"InputParameters":[{"key":"Target","value":{"Id":"1"}},{"key":"Target","value":{"Id":5}}]}`,
		`{"InputParameters":[{"key":"Target","value":"x"}],"InputParameters":[{"value":null}]}`,
		`{"InputParameters":[{"key":"Target","value":{"Attributes":[{"key":"a","value":1e400}]}}]}`,
		`{"InputParameters":[{"key":"X","value":1e400},null,{"key":"Target","value":null}]}`,
		`{"PostEntityImages":[{"key":"a","value":{"Id":"1","Attributes":[{"key":"x","value":1},{"key":"y","value":2}]}}],"PostEntityImages":[{"value":{"Attributes":[{"value":3}]}}]}`,
		`{"PostEntityImages":[{"key":"a","value":{"Id":"1"}}],"PostEntityImages":[{"value":null}],"PreEntityImages":null}`,
		`{"PostEntityImages":[],"PreEntityImages":[{"value":"x"}]}`,
		`{"PostEntityImages":[{"value":{"Attributes":[{"key":"m","value":{"__type":"Money:http://x","Value":1.5}},{"key":"r","value":{"__type":"EntityReference:x","Id":"i","LogicalName":"l","Id":"j"}},{"key":"d","value":"\/Date(1506384247000-0700)\/"},{"key":"e","value":{"__type":"Entity:x","Attributes":[{"key":"n","value":{"__type":"OptionSetValue:y","Value":3}}]}},{"key":"c","value":{"__type":"EntityCollection:x","Entities":[{"Attributes":[]},5]}},{"key":"o","value":{"__type":"Other","A":"\/Date(0)\/"}},{"key":"t","value":{"__type":5,"__type":"Money","Value":2}},{"key":"u","value":{"__type":"Money","__type":5,"Value":2}},{"key":"v","value":{"__type":"Mon\u0065y\u003ax","Value":{"a":[1]}}},{"key":"w","value":{"__type":"","Attributes":[{"key":"z","value":1}]}},{"key":"q","value":{"__type":"\u00e9\ud800:x"}}],"FormattedValues":[{"key":"m","value":"$1.50"},{"key":"n","value":{"x":"\/Date(0)\/"}}]}}]}`,
		`{"MessageName":"\u00e9\ud83d\ude00\ud800\"\\\/\t\ud800\u0041"}`,
		"{\"MessageName\":\"\xff\xfe\xed\xa0\x80\"}",
		"\ufeff{}",
		`{"MessageName":1}`, `{"MessageName":[1,2]}`, `{"InputParameters":{}}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
		`{"a":tru}`, `{"a":nul`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a" 1}`, `{"a":1,}`, `{,}`, `[1,]`,
		`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		// Nesting at the limit and one beyond it: in an attribute value
		// (6 levels above it), in a Target (3 levels above it) and in a
		// Target's attribute.
		`{"PostEntityImages":[{"value":{"Attributes":[{"key":"a","value":` + strings.Repeat("[", 9994) + strings.Repeat("]", 9994) + `}]}}]}`,
		`{"PostEntityImages":[{"value":{"Attributes":[{"key":"a","value":` + strings.Repeat("[", 9995) + strings.Repeat("]", 9995) + `}]}}]}`,
		`{"InputParameters":[{"value":` + strings.Repeat("[", 9997) + strings.Repeat("]", 9997) + `,"key":"Target"}]}`,
		`{"InputParameters":[{"value":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `,"key":"Target"}]}`,
		`{"InputParameters":[{"key":"Target","value":{"Attributes":[{"key":"a","value":` + strings.Repeat("{\"a\":", 9995) + "1" + strings.Repeat("}", 9995) + `}]}}]}`,
		`{"InputParameters":[{"key":"Target","value":{"Attributes":[{"key":"a","value":` + strings.Repeat("{\"a\":", 9994) + "1" + strings.Repeat("}", 9994) + `}]}}]}`,
		strings.Replace(sample, `"MessageName"`, `"messagename"`, 1),
		strings.Replace(sample, `{"key": "ConcurrencyBehavior", "value": 0}`, `{"value": {"Attributes": [{"key": "name", "value": "late"}]}, "key": "Target"}`, 1),
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// readCorpusFile reads a "go test fuzz v1" file holding one []byte.
func readCorpusFile(t testing.TB, name string) ([]byte, bool) {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	header, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || string(header) != "go test fuzz v1" {
		return nil, false
	}
	lit, ok := strings.CutPrefix(strings.TrimSpace(string(rest)), "[]byte(")
	if !ok {
		return nil, false
	}
	lit, ok = strings.CutSuffix(lit, ")")
	if !ok {
		return nil, false
	}
	s, err := strconv.Unquote(lit)
	if err != nil {
		return nil, false
	}
	return []byte(s), true
}

// FuzzDecodeMatchesOracle: decodeContext and the encoding/json oracle agree
// on every input: both fail with the same class of error, or both succeed
// with the same context and the same entity for every parameter.
func FuzzDecodeMatchesOracle(f *testing.F) {
	for _, b := range oracleSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(compareWithOracle)
}
