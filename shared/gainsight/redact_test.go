package gainsight_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// echoKey is a long random-looking access key for the echo tests (keys
// are long random strings); the tests look for any 8 bytes of it.
const echoKey = "gsAK7Hq2LmX9pZ4vR8tN3wY6bK1cF5dJ0sEuWq3Tz"

// minLeak is the shortest piece of the key the tests call a leak.
const minLeak = 8

// echoCase is a reply that echoes the key somewhere.
type echoCase struct {
	name   string
	reply  reply
	optFns []func(*gainsight.Options)
}

func echoCases() []echoCase {
	k := echoKey
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	cases := []echoCase{
		{name: "message", reply: reply{status: 400, body: envelopeFailure(`"8008"`, `null`, "bad header accesskey="+k, "r-1")}},
		{name: "errorCode", reply: reply{status: 400, body: envelopeFailure(q(k), `null`, "bad", "r-1")}},
		{name: "errorCode under 200", reply: reply{status: 200, body: envelopeFailure(q("GS_"+k), `null`, "bad", "r-1")}},
		{name: "errorDesc", reply: reply{status: 400, body: envelopeFailure(`"8008"`, q(k), "", "r-1")}},
		{name: "requestId", reply: reply{status: 400, body: envelopeFailure(`"8008"`, `null`, "bad", k)}},
		{name: "requestId under 500", reply: reply{status: 500, body: envelopeFailure(`"VC_1002"`, `null`, "bad", "id-"+k)}},
		{name: "message cut by the server", reply: reply{status: 400, body: envelopeFailure(`"8008"`, `null`, "accesskey="+k[:20]+"...", "r-1")}},
		{name: "message of the key's tail", reply: reply{status: 400, body: envelopeFailure(`"8008"`, `null`, k[len(k)-12:]+" was refused", "r-1")}},
		{name: "errorInfo", reply: reply{status: 200, body: []byte(`{"result":false,"errorCode":"VC_8026","message":"in use","requestId":"r","errorInfo":{"usageInLayouts":[` + q(k) + `],"usageInGoals":[{"gsid":` + q(k) + `,"name":` + q("n "+k) + `}],"hasUsage":true}}`)}},
		{name: "spring exception and path", reply: reply{status: 500, body: []byte(`{"timestamp":1,"status":500,"error":` + q(k) + `,"exception":` + q("x."+k) + `,"message":` + q(k) + `,"path":` + q("/csgoal/"+k) + `}`)}},
		{name: "spring error only", reply: reply{status: 500, body: []byte(`{"timestamp":1,"status":500,"error":` + q(k) + `}`)}},
		{name: "429 message and requestId", reply: reply{status: 429, body: []byte(`{"message":` + q(k) + `,"requestId":` + q(k) + `}`)}},
		{name: "429 errorDesc", reply: reply{status: 429, body: []byte(`{"errorDesc":` + q(k) + `}`)}},
		{name: "429 header request id", reply: reply{status: 429, header: http.Header{"X-Request-Id": {k}}, body: []byte(`slow down`)}},
		{name: "header request id", reply: reply{status: 502, header: http.Header{"X-Request-Id": {"req " + k}}, body: []byte(`bad gateway`)}},
		{name: "header request id of a too large reply", reply: reply{status: 502, header: http.Header{"X-Gs-Request-Id": {k}}, body: []byte(strings.Repeat("x", 4096))},
			optFns: []func(*gainsight.Options){func(o *gainsight.Options) { o.MaxResponseBytes = 1024 }}},
		{name: "redirect location", reply: reply{status: 307, header: http.Header{"Location": {"https://proxy.invalid/login?accesskey=" + k}}}},
		{name: "data that does not decode", reply: reply{status: 200, body: []byte(`{"result":true,"requestId":` + q(k) + `,"data":{"record":[1,2]}}`)}},
	}
	// The key echoed in a body that is not JSON, at every offset around
	// the snippet's cut, whole or cut by the server at either end.
	for off := 150; off <= 210; off++ {
		pad := strings.Repeat("p", off)
		cases = append(cases,
			echoCase{name: fmt.Sprintf("502 body, key at %d", off), reply: reply{status: 502, body: []byte(pad + k + " tail")}},
			echoCase{name: fmt.Sprintf("200 body, key at %d", off), reply: reply{status: 200, body: []byte("<html>" + pad + k)}},
			echoCase{name: fmt.Sprintf("502 body, key's head at %d", off), reply: reply{status: 502, body: []byte(pad + k[:len(k)/2])}},
			echoCase{name: fmt.Sprintf("502 body, key's tail at %d", off), reply: reply{status: 502, body: []byte(k[len(k)/2:] + pad)}},
			echoCase{name: fmt.Sprintf("200 JSON without result, key at %d", off), reply: reply{status: 200, body: []byte(`{"x":"` + pad + k + `"}`)}},
		)
	}
	for cut := minLeak; cut < len(k); cut++ {
		cases = append(cases,
			echoCase{name: fmt.Sprintf("body ending in the key's first %d bytes", cut), reply: reply{status: 503, body: []byte(strings.Repeat(" w", 90) + k[:cut])}},
			echoCase{name: fmt.Sprintf("body starting with the key's last %d bytes", cut), reply: reply{status: 503, body: []byte(k[len(k)-cut:] + strings.Repeat(" w", 90))}},
		)
	}
	return cases
}

// TestAccessKeyNeverInErrors calls a fake Gainsight that echoes the access
// key in every field a failure can carry, and checks that no 8 bytes of
// the key are in the error's string or in any of its exported fields.
func TestAccessKeyNeverInErrors(t *testing.T) {
	for _, tc := range echoCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := cannedServer(t, tc.reply)
			c, err := gainsight.New(gainsight.Options{BaseURL: srv.URL, AccessKey: gainsight.StaticAccessKey(echoKey)}, tc.optFns...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.UpdateGoal(t.Context(), &gainsight.UpdateGoalRequest{Record: gainsight.GoalRecord{Gsid: "1CG0", Name: "x"}})
			if err == nil {
				t.Fatal("no error")
			}
			texts := map[string]string{"Error()": err.Error()}
			exported(reflect.ValueOf(err), "err", texts)
			for where, s := range texts {
				if piece := keyPiece(s, echoKey, minLeak); piece != "" {
					t.Errorf("%s carries %q of the access key: %q", where, piece, s)
				}
			}
		})
	}
}

// exported adds every string reachable through v's exported fields (and
// the Error of every error among them) to out, by path.
func exported(v reflect.Value, path string, out map[string]string) {
	if !v.IsValid() {
		return
	}
	if v.CanInterface() {
		if e, ok := v.Interface().(error); ok && !(v.Kind() == reflect.Pointer && v.IsNil()) {
			out[path+".Error()"] = e.Error()
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			exported(v.Elem(), path, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				exported(v.Field(i), path+"."+f.Name, out)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			out[path] = string(v.Bytes())
			return
		}
		for i := range v.Len() {
			exported(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			exported(v.MapIndex(k), fmt.Sprintf("%s[%v]", path, k), out)
		}
	case reflect.String:
		out[path] = v.String()
	}
}

// keyPiece returns a piece of key of at least n bytes found in s, or "".
func keyPiece(s, key string, n int) string {
	for i := 0; i+n <= len(key); i++ {
		if strings.Contains(s, key[i:i+n]) {
			return key[i : i+n]
		}
	}
	return ""
}
