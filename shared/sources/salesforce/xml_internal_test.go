package salesforce

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// tokensEqual checks that reader.next, which reads with RawToken and
// resolves namespaces itself, gives what Token gives: the same tokens,
// start element and attribute names resolved alike, and an error at the same token.
func tokensEqual(t *testing.T, body []byte) {
	t.Helper()
	want := xml.NewDecoder(bytes.NewReader(body))
	want.Strict = true
	r := &reader{dec: xml.NewDecoder(bytes.NewReader(body))}
	r.dec.Strict = true
	for i := 0; ; i++ {
		wt, werr := want.Token()
		gt, gerr := r.next()
		if werr != nil || gerr != nil {
			var se *xml.SyntaxError
			deep := gerr != nil && bytes.Contains([]byte(gerr.Error()), []byte("nested deeper"))
			directive := gerr != nil && bytes.Contains([]byte(gerr.Error()), []byte("directives"))
			switch {
			case werr != nil && gerr != nil:
			case werr != nil && !errorAs(werr, &se) && gerr == nil:
				t.Fatalf("token %d: Token error %v, next none", i, werr)
			case gerr != nil && (deep || directive) && werr == nil:
			default:
				t.Fatalf("token %d: Token error %v, next error %v", i, werr, gerr)
			}
			return
		}
		if we, ok := wt.(xml.EndElement); ok { // next leaves end tag names unresolved
			if ge, ok := gt.(xml.EndElement); !ok || ge.Name.Local != we.Name.Local {
				t.Fatalf("token %d: Token %#v, next %#v", i, wt, gt)
			}
			continue
		}
		if !reflect.DeepEqual(xml.CopyToken(wt), xml.CopyToken(gt)) {
			t.Fatalf("token %d: Token %#v, next %#v", i, wt, gt)
		}
	}
}

func errorAs(err error, se **xml.SyntaxError) bool {
	s, ok := err.(*xml.SyntaxError)
	*se = s
	return ok
}

var nsCases = []string{
	`<a:x xmlns:a="u1"><a:y xmlns:a="u2" a:t="1"/><a:z a:t="2"/></a:x>`,
	`<x xmlns="d"><y xmlns=""><z/></y><w t="1"/></x>`,
	`<a:x xmlns:a="u"></b:x>`,
	`<a:x xmlns:a="u" xmlns:b="u"></b:x>`,
	`<x><p:y/></x>`,
	`<x xml:lang="en"><xmlns/><y xmlns:xml="http://www.w3.org/XML/1998/namespace"/></x>`,
	`<x><y xmlns:p="u"/><p:z/></x>`,
	`<x></x></y>`,
	`</x>`,
	`<x a="1" xmlns:xmlns="z"><xmlns:y/></x>`,
	`<!DOCTYPE x><x/>`,
	`<a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q/></p></o></n></m></l></k></j></i></h></g></f></e></d></c></b></a>`,
	`<x xmlns:p=""><p:y/></x>`,
}

func TestNextMatchesToken(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		tokensEqual(t, b)
	}
	for _, c := range nsCases {
		tokensEqual(t, []byte(c))
	}
}

func FuzzNextMatchesToken(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, c := range nsCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, body []byte) { tokensEqual(t, body) })
}
