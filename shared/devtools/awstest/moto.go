package awstest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region and credentials used against the emulator.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// Moto is a running moto_server behind a serialising proxy.
//
// moto_server does not make DynamoDB conditional writes atomic when
// requests arrive at the same moment (two conditional UpdateItems can both
// succeed), which real DynamoDB never allows. Every request therefore goes
// through a loopback proxy that forwards one request at a time, so tests
// with several concurrent consumers, in-process or in other processes, see
// DynamoDB's guarantees.
//
// Nor does moto 5.2.1 deliver a FIFO message group in order once several
// of its received messages come back from a visibility time-out: it hands
// out the group's last message first (TestFIFOGroupComesBackInOrder), so a
// consumer would apply a record's newest event before its older ones, which
// SQS never does. moto_server is therefore run through motofifo.py, which
// mends that in moto's SQS model and then starts moto_server's own main,
// with the Python interpreter that runs moto_server (motoCommand).
type Moto struct {
	// Endpoint is the proxy, http://127.0.0.1:<port>: give it to clients.
	Endpoint string
	// Direct is moto_server itself, bypassing the proxy.
	Direct string
	cmd    *exec.Cmd
	done   chan struct{}
	proxy  *http.Server
	// transport is the proxy's; its idle connections are closed before
	// moto_server is stopped so that it need not wait for them.
	transport *http.Transport
}

// ErrNotInstalled is returned when moto_server is not on PATH.
var ErrNotInstalled = errors.New("moto_server not found on PATH: run `make pytools` (it installs moto into .venv) and put .venv/bin on PATH, or run the tests through `make test`")

// StartMoto starts moto_server on a free loopback port and waits until it
// answers. maxLife bounds its lifetime (it is run under timeout(1)) so that
// a crashed test run cannot leave it behind.
//
// If moto exits during start-up (another process took the free port before
// moto bound it), it is started again on another port, three times at most.
func StartMoto(ctx context.Context, maxLife time.Duration) (*Moto, error) {
	argv, err := motoCommand()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		m, err := startMoto(ctx, argv, maxLife)
		if errors.Is(err, errExitedAtStart) && attempt < 3 {
			continue
		}
		return m, err
	}
}

var errExitedAtStart = errors.New("moto_server exited during start-up")

func startMoto(ctx context.Context, argv []string, maxLife time.Duration) (*Moto, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	secs := strconv.Itoa(int(maxLife / time.Second))
	args := append([]string{secs}, argv...)
	cmd := exec.Command("timeout", append(args, "-H", "127.0.0.1", "-p", strconv.Itoa(port))...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Getenv("GOALRELAY_MOTO_LOG") == "" {
		cmd.Stdout, cmd.Stderr = nil, nil
	} else {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	m := &Moto{Direct: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(m.done) }()

	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if m.isMoto() {
			if err := m.startProxy(); err != nil {
				m.Close()
				return nil, err
			}
			return m, nil
		}
		select {
		case <-ctx.Done():
			m.Close()
			return nil, ctx.Err()
		case <-m.done:
			return nil, errExitedAtStart
		case <-deadline.C:
			m.Close()
			return nil, errors.New("moto_server did not answer within 20s")
		case <-tick.C:
		}
	}
}

//go:embed motofifo.py
var motoFIFO []byte

// motoCommand is the command line that runs moto_server through
// motofifo.py: the Python interpreter of the moto_server on PATH (its
// script's #! line; python3 on PATH when the script is not a Python one,
// as with pyenv's shims), checked once to import moto, and motofifo.py
// written to the temporary directory under a name of its content's hash.
var motoCommand = sync.OnceValues(func() ([]string, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	python, err := motoPython(bin)
	if err != nil {
		return nil, err
	}
	if out, err := exec.Command(python[0], append(python[1:], "-c", "import moto.server, moto.sqs.models")...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("awstest: %s cannot import moto (the Python that runs %s is needed to mend its FIFO order): %v: %s",
			strings.Join(python, " "), bin, err, bytes.TrimSpace(out))
	}
	sum := sha256.Sum256(motoFIFO)
	path := filepath.Join(os.TempDir(), "goalrelay-motofifo-"+hex.EncodeToString(sum[:6])+".py")
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, motoFIFO) {
		tmp, err := os.CreateTemp(os.TempDir(), "goalrelay-motofifo-*.py")
		if err != nil {
			return nil, err
		}
		_, werr := tmp.Write(motoFIFO)
		if err := errors.Join(werr, tmp.Close()); err != nil {
			os.Remove(tmp.Name())
			return nil, err
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return nil, err
		}
	}
	return append(python, path), nil
})

// motoPython is the interpreter of the moto_server script at bin: its #!
// line when that names a Python, else python3 from PATH.
func motoPython(bin string) ([]string, error) {
	f, err := os.Open(bin)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 512)).ReadString('\n')
	if shebang, ok := strings.CutPrefix(strings.TrimSpace(line), "#!"); ok && strings.Contains(shebang, "python") {
		if fields := strings.Fields(shebang); len(fields) > 0 {
			return fields, nil
		}
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return nil, fmt.Errorf("awstest: %s is not a Python script and python3 is not on PATH: %w", bin, err)
	}
	return []string{python}, nil
}

// isMoto reports whether moto_server answers on m.Direct: its dashboard,
// with the "Moto" in its page. Any answer is not enough: between freePort
// and moto's bind, another test process may take the port (moto then
// exits), and a test would talk to that server instead.
func (m *Moto) isMoto() bool {
	resp, err := http.Get(m.Direct + "/moto-api/")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	select {
	case <-m.done:
		return false // moto exited: the answer came from someone else
	default:
	}
	return resp.StatusCode == http.StatusOK && bytes.Contains(b, []byte("Moto"))
}

// startProxy serves a reverse proxy to moto_server that forwards one
// request at a time.
func (m *Moto) startProxy() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	target, _ := url.Parse(m.Direct)
	rp := httputil.NewSingleHostReverseProxy(target)
	m.transport = &http.Transport{MaxIdleConnsPerHost: 4}
	rp.Transport = m.transport
	var mu sync.Mutex
	m.proxy = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			rp.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	m.Endpoint = "http://" + l.Addr().String()
	go func() { _ = m.proxy.Serve(l) }()
	return nil
}

// Close stops the proxy and the process group it started, and waits.
func (m *Moto) Close() {
	if m.proxy != nil {
		_ = m.proxy.Close()
		m.transport.CloseIdleConnections()
	}
	if m.cmd.Process != nil {
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
	}
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-m.done
	}
}

// Reset wipes every resource in the emulator.
func (m *Moto) Reset(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint+"/moto-api/reset", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset: %s", resp.Status)
	}
	return nil
}

// Config returns an aws.Config for the emulator: static test credentials,
// us-east-1, every service's BaseEndpoint set to it, one attempt per call.
func (m *Moto) Config(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithBaseEndpoint(m.Endpoint),
		config.WithRetryMaxAttempts(1),
	)
}

// Env returns the environment a process (a bootstrap under aws-lambda-rie,
// a CLI) needs to reach the emulator through the SDK's own settings.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_SQS=" + m.Endpoint,
		"AWS_ENDPOINT_URL_DYNAMODB=" + m.Endpoint,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + m.Endpoint,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=" + Region,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// NewMoto starts a moto_server for one test and stops it in t.Cleanup.
// The test fails (it is not skipped) when moto_server is missing, so that a
// CI machine without it cannot pass by testing less.
func NewMoto(t testing.TB) *Moto {
	t.Helper()
	m, err := StartMoto(context.Background(), 15*time.Minute)
	if err != nil {
		t.Fatalf("awstest: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// Config is NewMoto(t).Config with the error turned into a test failure.
func Config(t testing.TB, m *Moto) aws.Config {
	t.Helper()
	cfg, err := m.Config(context.Background())
	if err != nil {
		t.Fatalf("awstest: config: %v", err)
	}
	return cfg
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
