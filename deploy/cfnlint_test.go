package deploy

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCfnLint runs Python cfn-lint (it expands SAM with aws-sam-translator;
// the npm package of the same name does not understand SAM) on the template.
// Errors and warnings fail; informational findings do not. A missing cfn-lint
// fails the test except under -short, where it is skipped.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		if testing.Short() {
			t.Skip("cfn-lint is not on PATH")
		}
		t.Fatalf("cfn-lint is not on PATH (it ships with the machine's Python environment: pip install cfn-lint): %v", err)
	}
	cmd := exec.CommandContext(t.Context(), bin, filepath.Base(templatePath))
	cmd.Dir = filepath.Dir(templatePath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		// cfn-lint's exit code is a bit mask: 1 lint failure, 2 error,
		// 4 warning, 8 informational.
		if code := exit.ExitCode(); code&(1|2|4) != 0 {
			t.Fatalf("cfn-lint %s: exit %d\n%s", templatePath, code, out.String())
		}
	default:
		t.Fatalf("cfn-lint: %v\n%s", err, out.String())
	}
}
