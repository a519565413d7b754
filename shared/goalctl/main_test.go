package goalctl_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/goalrelay/goalrelay/shared/goalctl"
)

// binary is goalctl built once by TestMain, for the tests that run it as
// a separate process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "goalctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "goalctl")
	build := exec.Command("go", "build", "-o", binary, "github.com/goalrelay/goalrelay/cmd/goalctl")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build goalctl:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a goalctl run gave.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// harness runs goalctl in-process with an environment.
type harness struct {
	env      map[string]string
	now      time.Time
	awsCfg   *aws.Config
	stdin    string
	progress *bool
}

func (h *harness) run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := &goalctl.Env{
		Stdin:  strings.NewReader(h.stdin),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return h.env[k] },
	}
	env.Progress = h.progress
	if !h.now.IsZero() {
		env.Now = func() time.Time { return h.now }
	}
	if h.awsCfg != nil {
		cfg := *h.awsCfg
		env.AWSConfig = func(context.Context, goalctl.AWSOptions) (aws.Config, error) { return cfg, nil }
	}
	code := goalctl.Run(t.Context(), args, env)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// execGoalctl runs the built binary with only env in its environment
// (plus PATH and HOME) and the stdin given.
func execGoalctl(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run goalctl: %v", err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\n%s", r.code, code, r)
	}
}

// mustNotLeak fails when a secret appears in the output.
func mustNotLeak(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("output contains a secret (%d characters)\n%s", len(s), r)
		}
	}
}
