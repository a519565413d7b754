package rie_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/devtools/rie"
)

func TestEmulatorRunsBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	emu, boot := buildEcho(t)
	fn, err := rie.Start(t.Context(), rie.Config{Emulator: emu, Bootstrap: boot, Name: "echo", Timeout: 5, Env: []string{"ECHO_ENV=set"}, Traced: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fn.Close)

	var got struct {
		Echo, Function, Env string
		Deadline            bool
	}
	if err := fn.InvokeJSON(t.Context(), map[string]any{"echo": "hello"}, &got); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if got.Echo != "hello" || got.Function != "echo" || got.Env != "set" || !got.Deadline {
		t.Errorf("response = %+v", got)
	}

	err = fn.InvokeJSON(t.Context(), map[string]any{"fail": true}, nil)
	var fe *rie.FunctionError
	if !errors.As(err, &fe) || fe.Message != "failure requested" {
		t.Errorf("handler error = %v, want FunctionError 'failure requested'", err)
	}

	// After an error the runtime still answers.
	if err := fn.InvokeJSON(t.Context(), map[string]any{"echo": "again"}, &got); err != nil || got.Echo != "again" {
		t.Errorf("invoke after error: %v %+v", err, got)
	}
	// A traced invocation: the runtime gets the header as Lambda gives it,
	// and the next invocation, untraced, gets none.
	const header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	raw, err := fn.InvokeTraced(t.Context(), []byte(`{"echo":"traced"}`), header)
	if err != nil {
		t.Fatal(err)
	}
	var traced struct{ Trace, TraceEnv string }
	if err := json.Unmarshal(raw, &traced); err != nil || traced.Trace != header || traced.TraceEnv != header {
		t.Errorf("traced invoke: %v %s, want the header %q in the context and the environment", err, raw, header)
	}
	if raw, err := fn.Invoke(t.Context(), []byte(`{"echo":"untraced"}`)); err != nil || strings.Contains(string(raw), "Root=") {
		t.Errorf("untraced invoke after a traced one: %v %s", err, raw)
	}
}

func TestKillStopsTheBootstrapToo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	emu, boot := buildEcho(t)
	fn, err := rie.Start(t.Context(), rie.Config{Emulator: emu, Bootstrap: boot, Name: "echo", Timeout: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := fn.InvokeJSON(t.Context(), map[string]any{"echo": "x"}, nil); err != nil {
		t.Fatal(err)
	}
	if !bootstrapRunning(boot) {
		t.Fatal("the bootstrap is not running after an invoke")
	}
	// Kill it in the middle of a long invoke, as a crash would: the
	// bootstrap must not go on with its work.
	go func() { _ = fn.InvokeJSON(context.Background(), map[string]any{"sleepMs": 10000}, nil) }()
	time.Sleep(300 * time.Millisecond)
	fn.Kill()
	deadline := time.Now().Add(time.Second)
	for bootstrapRunning(boot) {
		if time.Now().After(deadline) {
			t.Fatal("the bootstrap survived Kill during an invoke")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bootstrapRunning reports whether a process runs the binary at path.
func bootstrapRunning(path string) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		if exe, err := os.Readlink(filepath.Join(d, "exe")); err == nil && exe == path {
			return true
		}
	}
	return false
}

// TestStartTriesAgainWhenAPortIsTaken: when another listener takes the
// invoke port between its pick and the emulator's bind (here: it holds it
// from the start), the emulator exits and Start tries again on other
// ports; before, Start returned and every invoke reached the other
// listener (HTTP 502).
func TestStartTriesAgainWhenAPortIsTaken(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	emu, boot := buildEcho(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	t.Cleanup(other.Close)
	taken := other.Listener.Addr().(*net.TCPAddr).Port
	picks := 0
	real := *rie.PickPorts
	*rie.PickPorts = func() (int, int, error) {
		picks++
		invoke, api, err := real()
		if picks == 1 {
			invoke = taken
		}
		return invoke, api, err
	}
	t.Cleanup(func() { *rie.PickPorts = real })
	fn, err := rie.Start(t.Context(), rie.Config{Emulator: emu, Bootstrap: boot, Name: "echo", Timeout: 5, Traced: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fn.Close)
	var got struct{ Echo string }
	if err := fn.InvokeJSON(t.Context(), map[string]any{"echo": "hello"}, &got); err != nil || got.Echo != "hello" {
		t.Fatalf("invoke: %v %+v", err, got)
	}
	if picks != 2 {
		t.Errorf("%d port picks, want 2 (one retry)", picks)
	}
}

// buildEcho builds the emulator and the echo bootstrap of testdata.
func buildEcho(t *testing.T) (emulator, bootstrap string) {
	t.Helper()
	root, err := rie.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	emu, err := rie.BuildEmulator(t.Context(), root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	boot, err := rie.Build(t.Context(), root, "./shared/devtools/rie/testdata/echo", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return emu, boot
}
