package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	gt "github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// FaultKind is one kind of fault of the mix, with its weight.
type FaultKind struct {
	Name   string
	Weight float64
	Fault  gt.Fault
}

// DefaultMix is the fault mix of a run: a 500 before the call takes
// effect, a connection dropped after it took effect, and an answer that
// never comes (the client gives up at GAINSIGHT_TIMEOUT) before or after
// the call took effect. A fault "after" leaves the caller not knowing the
// outcome of a call that succeeded.
var DefaultMix = []FaultKind{
	{"500", 1, gt.FaultInternal},
	{"drop-after-apply", 1, gt.Fault{Drop: true, AfterApply: true}},
	{"hang", 1, gt.FaultHang},
	{"hang-after-apply", 1, gt.Fault{Hang: true, AfterApply: true}},
}

// faultFront stands before the simulator and injects the faults itself,
// so that it knows which calls took effect: a fault without AfterApply
// answers without reaching the simulator; one with AfterApply lets the
// simulator apply the call and then answers with the fault instead. Every
// call the simulator answered with 200 is logged with its body, in the
// order they took effect (the simulator serialises them).
type faultFront struct {
	sim     *gt.Server
	closing chan struct{}

	mu       sync.Mutex
	rate     float64
	mix      []FaultKind
	rng      *rand.Rand
	injected map[string]int
	calls    int
	writes   []write
	seq      int
}

// write is a call that took effect on the simulator.
type write struct {
	At   time.Time
	Body []byte
}

func newFaultFront(sim *gt.Server) *faultFront {
	return &faultFront{sim: sim, closing: make(chan struct{}), injected: map[string]int{}}
}

// setFaults makes a share rate of calls fail with a kind drawn from mix by
// weight, from a generator seeded with seed.
func (f *faultFront) setFaults(rate float64, seed uint64, mix []FaultKind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate, f.mix, f.rng = rate, mix, rand.New(rand.NewPCG(seed, seed^0x5eed))
}

// counts returns the faults injected by kind and the calls seen.
func (f *faultFront) counts() (map[string]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.injected))
	for k, v := range f.injected {
		out[k] = v
	}
	return out, f.calls
}

func (f *faultFront) effective() []write {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

func (f *faultFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	f.calls++
	var fault *gt.Fault
	if f.rng != nil && f.rate > 0 && f.rng.Float64() < f.rate {
		total := 0.0
		for _, m := range f.mix {
			total += m.Weight
		}
		x := f.rng.Float64() * total
		for _, m := range f.mix {
			if x < m.Weight {
				fault = &m.Fault
				f.injected[m.Name]++
				break
			}
			x -= m.Weight
		}
	}
	f.mu.Unlock()

	if fault == nil || fault.AfterApply {
		rec := httptest.NewRecorder()
		f.sim.Handler().ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			f.mu.Lock()
			f.writes = append(f.writes, write{At: time.Now(), Body: body})
			f.mu.Unlock()
		}
		if fault == nil {
			for k, vs := range rec.Header() {
				w.Header()[k] = vs
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
	}
	switch {
	case fault.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case fault.Hang:
		select {
		case <-r.Context().Done():
		case <-f.closing:
		}
		return
	}
	f.mu.Lock()
	f.seq++
	reqID := fmt.Sprintf("chaos-fault-%06d", f.seq)
	f.mu.Unlock()
	status := fault.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	env, _ := json.Marshal(map[string]any{"result": false, "errorCode": "GS_FAULT", "errorDesc": http.StatusText(status),
		"requestId": reqID, "data": nil, "message": "injected fault: " + http.StatusText(status) + " " + reqID})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(env)
}
