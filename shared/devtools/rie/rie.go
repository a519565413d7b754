package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ToolPackage is the emulator's import path, pinned by the tool line in go.mod.
const ToolPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// ModuleRoot finds the directory holding go.mod, starting at dir and
// walking up.
func ModuleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("rie: go.mod not found above " + dir)
		}
		d = parent
	}
}

// Build compiles pkg (e.g. "./functions/ingest") in the module at root into
// outDir/bootstrap for the host architecture, with the same flags as the
// Lambda build (static, lambda.norpc, stripped), and returns its path.
func Build(ctx context.Context, root, pkg, outDir string) (string, error) {
	out := filepath.Join(outDir, "bootstrap")
	if err := goBuild(ctx, root, out, []string{"CGO_ENABLED=0"},
		"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", pkg); err != nil {
		return "", err
	}
	return out, nil
}

// BuildEmulator compiles aws-lambda-rie from the go.mod tool line into outDir.
func BuildEmulator(ctx context.Context, root, outDir string) (string, error) {
	out := filepath.Join(outDir, "aws-lambda-rie")
	if err := goBuild(ctx, root, out, nil, ToolPackage); err != nil {
		return "", err
	}
	return out, nil
}

func goBuild(ctx context.Context, root, out string, env []string, args ...string) error {
	// The go command of the toolchain running the tests, when there is
	// one (GOROOT as `go test` sets it), else the one on PATH.
	gobin := "go"
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			gobin = p
		}
	}
	cmd := exec.CommandContext(ctx, gobin, append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("rie: go build %v: %w\n%s", args, err, stderr.String())
	}
	return nil
}

// Config describes one function run under the emulator.
type Config struct {
	Emulator  string   // path of aws-lambda-rie
	Bootstrap string   // path of the bootstrap binary
	Name      string   // AWS_LAMBDA_FUNCTION_NAME
	Timeout   int      // seconds, AWS_LAMBDA_FUNCTION_TIMEOUT; 0 means 30
	Env       []string // extra environment (KEY=VALUE)
	// Output receives the function's and the emulator's output; nil discards it.
	Output io.Writer
	// MaxLife bounds the process lifetime (it runs under timeout(1)) so that
	// a crashed parent cannot leave it behind; 0 means 30 minutes.
	MaxLife time.Duration
	// Traced makes InvokeTraced's trace header reach the runtime. The
	// emulator (outside its managed-instances mode) gives the runtime no
	// trace header, whatever the invoke carries, so the bootstrap then
	// talks to the emulator's runtime API through a proxy that adds the
	// header to each invocation as Lambda does (Lambda-Runtime-Trace-Id on
	// the answer to /runtime/invocation/next).
	Traced bool
}

// Function is a bootstrap running under aws-lambda-rie.
type Function struct {
	URL  string // invoke URL
	name string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex // one invoke at a time
	http *http.Client
	// trace is the header of the invocation under way (Config.Traced).
	trace     atomic.Pointer[string]
	cleanupMu sync.Mutex
	cleanup   []func()
}

// Start launches the emulator with the bootstrap on free loopback ports.
// Init is lazy: the bootstrap starts on the first invoke.
//
// A port found free can be taken by another process before the emulator
// binds it; the emulator then exits at once (it panics on the bind), and
// Start tries again on other ports, three times in all. It waits until
// both of the emulator's ports answer, so that an invoke never reaches a
// listener that took one of them.
func Start(ctx context.Context, c Config) (*Function, error) {
	for attempt := 1; ; attempt++ {
		f, err := start(ctx, c)
		if err == nil || attempt == 3 || !errors.Is(err, errExited) {
			return f, err
		}
	}
}

// errExited: the emulator exited before both its ports answered.
var errExited = errors.New("rie: emulator exited during start-up")

func start(ctx context.Context, c Config) (*Function, error) {
	// The trace proxy's listener first, held open, so that neither port
	// picked for the emulator can be its; and two different ports.
	var proxy net.Listener
	if c.Traced {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		proxy = l
	}
	invokePort, apiPort, err := pickPorts()
	if err != nil {
		if proxy != nil {
			proxy.Close()
		}
		return nil, err
	}
	if c.Timeout == 0 {
		c.Timeout = 30
	}
	if c.MaxLife == 0 {
		c.MaxLife = 30 * time.Minute
	}
	if c.Name == "" {
		c.Name = filepath.Base(filepath.Dir(c.Bootstrap))
	}
	f := &Function{
		URL:  "http://127.0.0.1:" + strconv.Itoa(invokePort) + "/2015-03-31/functions/function/invocations",
		name: c.Name,
		done: make(chan struct{}),
		http: &http.Client{Timeout: time.Duration(c.Timeout+10) * time.Second},
	}
	boot := c.Bootstrap
	if c.Traced {
		if boot, err = f.traceProxy(proxy, c.Bootstrap, apiPort); err != nil {
			f.runCleanup()
			return nil, err
		}
	}
	cmd := exec.Command("timeout", strconv.Itoa(int(c.MaxLife/time.Second)), c.Emulator,
		"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(invokePort),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		boot)
	cmd.Dir = filepath.Dir(c.Bootstrap)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(baseEnv(),
		"AWS_LAMBDA_FUNCTION_NAME="+c.Name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(c.Timeout),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
	)
	cmd.Env = append(cmd.Env, c.Env...)
	if c.Output != nil {
		cmd.Stdout, cmd.Stderr = c.Output, c.Output
	}
	if err := cmd.Start(); err != nil {
		f.runCleanup()
		return nil, fmt.Errorf("rie: start: %w", err)
	}
	f.cmd = cmd
	go func() { _ = cmd.Wait(); f.runCleanup(); close(f.done) }()
	for _, port := range []int{apiPort, invokePort} {
		if err := f.waitListening(ctx, port); err != nil {
			f.Close()
			return nil, err
		}
	}
	// An emulator that lost a port to another listener has exited (or
	// is about to) while that listener answers: still running a moment
	// later, it holds both.
	select {
	case <-f.done:
		f.Close()
		return nil, errExited
	case <-time.After(startSettle):
	}
	return f, nil
}

// startSettle is how long Start watches a fresh emulator after its ports
// answer; it panics within milliseconds when a port was taken.
const startSettle = 50 * time.Millisecond

// pickPorts picks the emulator's two ports (a variable for tests).
var pickPorts = freePorts

// traceProxy serves on l a proxy to the emulator's runtime API (on
// apiPort) that adds the current invocation's trace header to the answer
// of /runtime/invocation/next, and writes a launcher that runs bootstrap
// with AWS_LAMBDA_RUNTIME_API pointing at the proxy; it returns the
// launcher.
func (f *Function) traceProxy(l net.Listener, bootstrap string, apiPort int) (string, error) {
	target := &url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(apiPort)}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0) // the runtime's long poll is cut at Close
	rp.ModifyResponse = func(r *http.Response) error {
		if strings.HasSuffix(r.Request.URL.Path, "/runtime/invocation/next") {
			if h := f.trace.Load(); h != nil && *h != "" {
				r.Header.Set("Lambda-Runtime-Trace-Id", *h)
			}
		}
		return nil
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	f.cleanup = append(f.cleanup, func() { _ = srv.Close(); _ = l.Close() })
	dir, err := os.MkdirTemp("", "goalrelay-rie-traced-")
	if err != nil {
		return "", err
	}
	f.cleanup = append(f.cleanup, func() { _ = os.RemoveAll(dir) })
	abs, err := filepath.Abs(bootstrap)
	if err != nil {
		return "", err
	}
	launcher := filepath.Join(dir, "bootstrap")
	script := "#!/bin/sh\nAWS_LAMBDA_RUNTIME_API=" + l.Addr().String() + " exec '" + strings.ReplaceAll(abs, "'", `'\''`) + "' \"$@\"\n"
	if err := os.WriteFile(launcher, []byte(script), 0o755); err != nil {
		return "", err
	}
	return launcher, nil
}

func (f *Function) runCleanup() {
	f.cleanupMu.Lock()
	fns := f.cleanup
	f.cleanup = nil
	f.cleanupMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// baseEnv passes through only what a Lambda-like environment needs: no
// AWS_LAMBDA_RUNTIME_API (the emulator sets it) and no
// AWS_LAMBDA_MAX_CONCURRENCY (it switches the emulator to another mode).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "HOME", "TMPDIR", "TZ", "LANG":
			env = append(env, kv)
		}
	}
	return env
}

func (f *Function) waitListening(ctx context.Context, port int) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.done:
			return errExited
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("rie: emulator did not listen within 15s")
}

// FunctionError is a handler error or time-out reported by the emulator.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *FunctionError) Error() string { return "function error: " + e.Type + ": " + e.Message }

// Invoke sends payload to the function and returns its response. Calls are
// serialised. A handler error or time-out returns *FunctionError.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f.InvokeTraced(ctx, payload, "")
}

// InvokeTraced is Invoke as a traced invocation: the emulator hands
// traceHeader (an X-Ray trace header, "Root=...;Parent=...;Sampled=1") to
// the runtime as Lambda does with Tracing: Active; aws-lambda-go puts it in
// the handler's context and in _X_AMZN_TRACE_ID. "" sends none.
func (f *Function) InvokeTraced(ctx context.Context, payload []byte, traceHeader string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	if traceHeader != "" {
		req.Header.Set("X-Amzn-Trace-Id", traceHeader)
	}
	f.trace.Store(&traceHeader)
	defer f.trace.Store(nil)
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke %s: %w", f.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("rie: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("rie: invoke %s: HTTP %d: %s", f.name, resp.StatusCode, body)
	}
	var fe FunctionError
	if json.Unmarshal(body, &fe) == nil && fe.Message != "" && fe.Type != "" {
		return nil, &fe
	}
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("Task timed out")) {
		return nil, &FunctionError{Type: "Timeout", Message: string(body)}
	}
	return body, nil
}

// InvokeJSON marshals in, invokes, and unmarshals the response into out.
func (f *Function) InvokeJSON(ctx context.Context, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := f.Invoke(ctx, b)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return fmt.Errorf("rie: decode response %q: %w", resp, err)
	}
	return nil
}

// Kill stops the emulator and the function at once (SIGKILL), as a crash
// would; Close is the orderly stop. The emulator starts the bootstrap in a
// process group of its own, so every descendant is killed by pid, not only
// the group this package started.
func (f *Function) Kill() {
	if f.cmd.Process != nil {
		for _, pid := range descendants(f.cmd.Process.Pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-f.done
}

// Close stops the process group it started and the bootstrap, and waits.
func (f *Function) Close() {
	if f.cmd.Process != nil {
		kids := descendants(f.cmd.Process.Pid)
		_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGTERM)
		for _, pid := range kids {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
		f.Kill()
	}
}

// descendants lists every process below pid (children first found, then
// theirs), read from /proc; empty where /proc is not available.
func descendants(pid int) []int {
	parent := map[int]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		p, err1 := strconv.Atoi(filepath.Base(d))
		pp, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil {
			parent[p] = pp
		}
	}
	var out []int
	frontier := []int{pid}
	for len(frontier) > 0 {
		var next []int
		for p, pp := range parent {
			for _, q := range frontier {
				if pp == q {
					next = append(next, p)
				}
			}
		}
		out = append(out, next...)
		frontier = next
	}
	return out
}

// freePorts returns two different loopback ports that were free: both
// are held open until both are picked.
func freePorts() (int, int, error) {
	a, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	defer a.Close()
	b, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	defer b.Close()
	return a.Addr().(*net.TCPAddr).Port, b.Addr().(*net.TCPAddr).Port, nil
}

// BuildFunction builds the emulator and the bootstrap of pkg (e.g.
// "./functions/apply") into dir, from the module that holds the current
// directory: what a test of one function needs.
func BuildFunction(ctx context.Context, pkg, dir string) (emulator, bootstrap string, err error) {
	root, err := ModuleRoot(".")
	if err != nil {
		return "", "", err
	}
	if bootstrap, err = Build(ctx, root, pkg, dir); err != nil {
		return "", "", err
	}
	emulator, err = BuildEmulator(ctx, root, dir)
	return emulator, bootstrap, err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
