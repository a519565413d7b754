// Package crmtest holds what the fake CRM APIs (hubspottest,
// pipedrivetest) share: serving a handler on loopback until Close. It
// imports the standard library only and is never linked into a bootstrap.
package crmtest

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// Listener serves a fake's handler in the background.
type Listener struct {
	// URL is http://host:port once Listen returned.
	URL string
	srv *http.Server
}

// Listen serves h on addr ("127.0.0.1:0" for a free loopback port).
func (l *Listener) Listen(addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	l.URL = "http://" + ln.Addr().String()
	l.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return nil
}

// Close stops serving.
func (l *Listener) Close() {
	if l.srv != nil {
		_ = l.srv.Close()
	}
}

// Start serves h on a free loopback port, closed by t.Cleanup.
func Start(t testing.TB, l *Listener, h http.Handler) {
	t.Helper()
	if err := l.Listen("127.0.0.1:0", h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
}
