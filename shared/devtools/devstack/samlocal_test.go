package devstack

import (
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/testevents"
)

// The env file make run writes has the functions and variables of the
// committed testevents/env.json (which deploy's test holds to what the
// template declares), pointed at the stack's ports.
func TestWriteSAMEnv(t *testing.T) {
	st := &Stack{opts: Options{StackName: "goalrelay"}, MotoURL: "http://127.0.0.1:40001", SimulatorURL: "http://127.0.0.1:40002"}
	sam, err := st.SAMStack()
	if err != nil {
		t.Fatal(err)
	}
	if sam.AWS != "http://host.docker.internal:40001" || sam.Gainsight != "http://host.docker.internal:40002" {
		t.Errorf("SAMStack %+v", sam)
	}
	// With forwarders for containers, their ports.
	st.containerMoto, st.containerSim = "http://172.17.0.1:41001", "http://172.17.0.1:41002"
	if sam, _ = st.SAMStack(); sam.AWS != "http://host.docker.internal:41001" || sam.Gainsight != "http://host.docker.internal:41002" {
		t.Errorf("SAMStack with forwarders %+v", sam)
	}

	path := filepath.Join(t.TempDir(), "bin", "local", "sam-env.json")
	if err := WriteSAMEnv(path, sam); err != nil {
		t.Fatal(err)
	}
	var written, committed map[string]map[string]string
	for file, into := range map[string]*map[string]map[string]string{path: &written, "../../../testevents/env.json": &committed} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	for fn, vars := range committed {
		if got, want := slices.Sorted(maps.Keys(written[fn])), slices.Sorted(maps.Keys(vars)); !slices.Equal(got, want) {
			t.Errorf("%s: variables %v, want those of testevents/env.json %v", fn, got, want)
		}
	}
	if q := written[testevents.IngestFunction]["QUEUE_URL"]; q != "http://host.docker.internal:41001/123456789012/goalrelay-events.fifo" {
		t.Errorf("QUEUE_URL %q", q)
	}
}

// The printed commands name files that exist, the env file, the stack's
// region, and on Linux the host mapping.
func TestSAMInvokeLines(t *testing.T) {
	for _, host := range []string{"", "172.17.0.1"} {
		text := SAMInvokeLines("bin/local/sam-env.json", host)
		var fns []string
		for _, line := range strings.Split(text, "\n") {
			w := strings.Fields(line)
			if len(w) < 4 || strings.Join(w[:3], " ") != "sam local invoke" {
				continue
			}
			fns = append(fns, w[3])
			flags := map[string]string{}
			for i := 4; i+1 < len(w); i += 2 {
				flags[w[i]] = w[i+1]
			}
			if _, err := os.Stat(filepath.Join("../../..", flags["-e"])); err != nil || !strings.HasPrefix(flags["-e"], "testevents/") {
				t.Errorf("%q: event file: %v", line, err)
			}
			if flags["--env-vars"] != "bin/local/sam-env.json" || flags["--region"] != awstest.Region {
				t.Errorf("%q: flags %v", line, flags)
			}
			if got := flags["--add-host"]; (host != "") != (got == "host.docker.internal:host-gateway") {
				t.Errorf("%q with container host %q: --add-host %q", line, host, got)
			}
		}
		if strings.Join(fns, ",") != "IngestFunction,ApplyFunction" {
			t.Errorf("commands for %v\n%s", fns, text)
		}
	}
}

func TestForwarders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "through") }))
	t.Cleanup(srv.Close)
	var f forwarders
	addr, err := f.add("127.0.0.1", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "through" {
			t.Errorf("got %q", b)
		}
	}
	if err := f.close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("the forwarder still accepts after close")
	}
}
