package awstest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Another server on the port moto was given (it took the port first) is
// not taken for moto: tests would otherwise talk to it.
func TestIsMotoRefusesAnotherServer(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"result":false,"message":"access key is missing"}`))
	}))
	defer other.Close()
	if (&Moto{Direct: other.URL, done: make(chan struct{})}).isMoto() {
		t.Error("a server that is not moto was taken for moto")
	}
	dash := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html><title>Moto</title></html>`))
	}))
	defer dash.Close()
	exited := make(chan struct{})
	close(exited)
	if (&Moto{Direct: dash.URL, done: exited}).isMoto() {
		t.Error("an answer was taken for moto's after moto had exited")
	}
	if !(&Moto{Direct: dash.URL, done: make(chan struct{})}).isMoto() {
		t.Error("moto's dashboard was not recognised")
	}
}
