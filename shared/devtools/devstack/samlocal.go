package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/testevents"
)

// SAMHost is the name a container started by sam local invoke knows this
// host by: Docker Desktop resolves it by itself (and reaches the host's
// loopback through it); Docker Engine on Linux needs --add-host
// host.docker.internal:host-gateway, the bridge's address.
const SAMHost = "host.docker.internal"

// SAMStack is where a function in SAM's container finds this stack:
// moto_server and the simulator at SAMHost, on the ports they listen on
// (with Options.ContainerHost, the ports served there).
func (s *Stack) SAMStack() (testevents.SAMStack, error) {
	aws, sim := s.MotoURL, s.SimulatorURL
	if s.containerMoto != "" {
		aws, sim = s.containerMoto, s.containerSim
	}
	ap, err := port(aws)
	if err != nil {
		return testevents.SAMStack{}, err
	}
	sp, err := port(sim)
	if err != nil {
		return testevents.SAMStack{}, err
	}
	return testevents.SAMStack{AWS: "http://" + SAMHost + ":" + ap, Gainsight: "http://" + SAMHost + ":" + sp, Name: s.opts.StackName}, nil
}

func port(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Port() == "" {
		return "", fmt.Errorf("devstack: no port in %q", rawURL)
	}
	return u.Port(), nil
}

// WriteSAMEnv writes the sam local invoke --env-vars file for l to path.
func WriteSAMEnv(path string, l testevents.SAMStack) error {
	b, err := json.MarshalIndent(testevents.SAMEnv(l), "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// SAMInvokeLines is how to run each function under sam local invoke
// against the running stack, whose --env-vars file is envFile (relative
// to the module root), in the region of the stack's resources. With a
// containerHost (Linux), the commands map host.docker.internal to the
// bridge with --add-host; without, they are for Docker Desktop, and a
// note says what Linux needs.
func SAMInvokeLines(envFile, containerHost string) string {
	extra := ""
	if containerHost != "" {
		extra = " --add-host " + SAMHost + ":host-gateway"
	}
	line := func(fn, event string) string {
		return "  sam local invoke " + fn + " -e testevents/" + event + " --env-vars " + envFile + " --region " + awstest.Region + extra + "\n"
	}
	text := "\nInvoke a function in SAM's container against this stack (after `sam build`; needs Docker):\n\n" +
		line(testevents.IngestFunction, "hubspot-property-changes.json") + line(testevents.ApplyFunction, "sqs-goal-upserted.json") +
		"\n(Signed testevents expire after 5 minutes: go run ./testevents/gen signs them anew.)"
	if containerHost == "" {
		text += "\nOn Linux (Docker Engine), run go run ./cmd/goalrelay-local -container-host 172.17.0.1 (the docker0\n" +
			"bridge's address) instead, and it prints these commands with --add-host " + SAMHost + ":host-gateway."
	}
	return text
}

// forwarders serve addresses that containers reach, each relaying its
// connections to a service of the stack on 127.0.0.1.
type forwarders struct {
	mu  sync.Mutex
	lns []net.Listener
}

// add listens on host (port chosen by the system) and relays every
// connection to target (host:port); it returns the address it serves.
func (f *forwarders) add(host, target string) (string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("devstack: listen on %s for containers: %w", host, err)
	}
	f.mu.Lock()
	f.lns = append(f.lns, ln)
	f.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			go relay(c, target)
		}
	}()
	return ln.Addr().String(), nil
}

// relay copies between c and a new connection to target until either
// side closes.
func relay(c net.Conn, target string) {
	defer c.Close()
	t, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer t.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(t, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, t); done <- struct{}{} }()
	<-done
}

// close stops listening; relays in progress end with their connections.
func (f *forwarders) close() error {
	f.mu.Lock()
	var errs []error
	for _, ln := range f.lns {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	f.lns = nil
	f.mu.Unlock()
	return errors.Join(errs...)
}

// serveContainers serves moto_server and the simulator at host too.
func (s *Stack) serveContainers(host string) error {
	for _, t := range []struct {
		url string
		dst *string
	}{{s.MotoURL, &s.containerMoto}, {s.SimulatorURL, &s.containerSim}} {
		u, err := url.Parse(t.url)
		if err != nil {
			return err
		}
		addr, err := s.fwd.add(host, u.Host)
		if err != nil {
			return err
		}
		*t.dst = "http://" + addr
	}
	return nil
}
