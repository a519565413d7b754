package awstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestMotoPython: moto_server's interpreter comes from its script's #! line
// when that names a Python (a virtual environment's console script), else
// python3 from PATH (a shell shim, as pyenv installs).
func TestMotoPython(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	venv := write("venv-moto", "#!/srv/app/.venv/bin/python\nimport sys\n")
	if got, err := motoPython(venv); err != nil || !slices.Equal(got, []string{"/srv/app/.venv/bin/python"}) {
		t.Errorf("venv script: %v, %v", got, err)
	}
	env := write("env-moto", "#! /usr/bin/env python3\n")
	if got, err := motoPython(env); err != nil || !slices.Equal(got, []string{"/usr/bin/env", "python3"}) {
		t.Errorf("env script: %v, %v", got, err)
	}
	shim := write("shim-moto", "#!/usr/bin/env bash\nexec pyenv exec moto_server \"$@\"\n")
	want, lerr := exec.LookPath("python3")
	got, err := motoPython(shim)
	switch {
	case lerr != nil && err == nil:
		t.Errorf("shell shim without python3 on PATH: %v, want an error", got)
	case lerr == nil && (err != nil || !slices.Equal(got, []string{want})):
		t.Errorf("shell shim: %v, %v; want [%s]", got, err, want)
	}
}
