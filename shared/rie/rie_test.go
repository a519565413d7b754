package rie_test

import (
	"errors"
	"testing"

	"github.com/goalrelay/goalrelay/shared/rie"
)

func TestEmulatorRunsBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	root, err := rie.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	emu, err := rie.BuildEmulator(t.Context(), root, dir)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := rie.Build(t.Context(), root, "./shared/rie/testdata/echo", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fn, err := rie.Start(t.Context(), rie.Config{Emulator: emu, Bootstrap: boot, Name: "echo", Timeout: 5, Env: []string{"ECHO_ENV=set"}})
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
}
