package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakePython writes a stand-in for python3 into dir: "-m venv DIR" makes
// DIR/bin/pip, a stand-in for pip that logs its arguments to pip.log and,
// for each requirement, puts an executable of the tool into DIR/bin
// (unless FAKE_PIP_FAIL is set, when it fails).
func fakePython(t *testing.T, dir string) {
	t.Helper()
	pip := `#!/bin/sh
echo "$@" >> "$(dirname "$0")/../pip.log"
[ -n "$FAKE_PIP_FAIL" ] && { echo "ERROR: No matching distribution" >&2; exit 1; }
for a in "$@"; do
	case "$a" in
	moto*) printf '#!/bin/sh\n' > "$(dirname "$0")/moto_server"; chmod +x "$(dirname "$0")/moto_server" ;;
	cfn-lint*) printf '#!/bin/sh\n' > "$(dirname "$0")/cfn-lint"; chmod +x "$(dirname "$0")/cfn-lint" ;;
	esac
done
`
	python := `#!/bin/sh
[ "$1" = "-m" ] && [ "$2" = "venv" ] || { echo "unexpected: $*" >&2; exit 2; }
mkdir -p "$3/bin"
cat > "$3/bin/pip" <<'PIP'
` + pip + `PIP
chmod +x "$3/bin/pip"
`
	if err := os.WriteFile(filepath.Join(dir, "python3"), []byte(python), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestPytools(t *testing.T) {
	script, err := filepath.Abs(filepath.Join("..", "scripts", "pytools"))
	if err != nil {
		t.Fatal(err)
	}
	stub := func(dir, name string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		onPath     []string // tools already on PATH
		inVenv     bool     // both already in .venv
		noPython   bool
		pipFails   bool
		wantOK     bool
		wantPip    string // the pip log, "" = pip never ran
		wantStderr string
	}{
		{name: "nothing installed", wantOK: true, wantPip: "install --quiet moto[server]==5.2.1 cfn-lint==1.51.0\n"},
		{name: "both on PATH", onPath: []string{"moto_server", "cfn-lint"}, wantOK: true},
		{name: "moto on PATH", onPath: []string{"moto_server"}, wantOK: true, wantPip: "install --quiet cfn-lint==1.51.0\n"},
		{name: "both in the project's venv", inVenv: true, wantOK: true},
		{name: "pip fails", pipFails: true, wantStderr: "install them by hand"},
		{name: "no python", noPython: true, wantStderr: "python3-not-installed is not on PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin, project := t.TempDir(), t.TempDir()
			if !tt.noPython {
				fakePython(t, bin)
			}
			for _, tool := range tt.onPath {
				stub(bin, tool)
			}
			venv := filepath.Join(project, ".venv")
			if tt.inVenv {
				if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
					t.Fatal(err)
				}
				stub(filepath.Join(venv, "bin"), "moto_server")
				stub(filepath.Join(venv, "bin"), "cfn-lint")
			}
			cmd := exec.Command("bash", script, project)
			// Only the stand-ins and the basic system tools are on PATH.
			// PYTHON names the stand-in, so that the system's python3 is
			// never run (it would reach the package index).
			python := filepath.Join(bin, "python3")
			if tt.noPython {
				python = "python3-not-installed"
			}
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + project, "PYTHON=" + python}
			if tt.pipFails {
				cmd.Env = append(cmd.Env, "FAKE_PIP_FAIL=1")
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			if (err == nil) != tt.wantOK {
				t.Fatalf("exit %v, want ok=%v; stderr:\n%s", err, tt.wantOK, stderr.String())
			}
			log, _ := os.ReadFile(filepath.Join(venv, "pip.log"))
			if string(log) != tt.wantPip && !tt.pipFails {
				t.Errorf("pip ran with %q, want %q", log, tt.wantPip)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
			if tt.wantOK && tt.wantPip != "" {
				for _, tool := range []string{"moto_server", "cfn-lint"} {
					_, inVenv := os.Stat(filepath.Join(venv, "bin", tool))
					_, onPath := os.Stat(filepath.Join(bin, tool))
					if inVenv != nil && onPath != nil {
						t.Errorf("%s is neither on PATH nor in the venv after the install", tool)
					}
				}
			}
			if tt.pipFails && !strings.Contains(stderr.String(), python+" -m venv "+venv+" && "+venv+"/bin/pip install moto[server]==5.2.1 cfn-lint==1.51.0") {
				t.Errorf("the by-hand command is missing:\n%s", stderr.String())
			}
		})
	}
}
