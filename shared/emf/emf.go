package emf

import (
	"encoding/json"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goalrelay/goalrelay/shared/tracing"
)

// Namespace is the CloudWatch namespace of every goalrelay metric.
const Namespace = "goalrelay"

// Metric names the apply function emits; the template's alarms and
// dashboard use the same names.
const (
	EventsApplied  = "EventsApplied"
	GainsightCalls = "GainsightCalls"
	Gainsight429   = "Gainsight429"
	SentToDLQ      = "SentToDLQ"
	StaleSkipped   = "StaleSkipped"
	EventsMerged   = "EventsMerged"
	QuotaWaitMs    = "QuotaWaitMs"
	// CRMReadBacks counts the records asked of a CRM's API to complete
	// goal upserts that could not create their goal; CRMReadBack429 the
	// read-backs the CRM refused with a 429.
	CRMReadBacks   = "CRMReadBacks"
	CRMReadBack429 = "CRMReadBack429"
)

// Metric names the ingest function emits, one line per request with the
// dimensions Source and Outcome (see shared/ingest); the template's refusal
// alarms and dashboard use the same names.
const (
	Webhooks     = "Webhooks"
	EventsQueued = "EventsQueued"
)

// units for the metrics above; anything else is a Count.
var units = map[string]string{QuotaWaitMs: "Milliseconds"}

// Dimension is a CloudWatch dimension a Recorder adds to Function.
// Its value becomes part of the metric's identity: it must come from a small
// fixed set (never from a request), or every new value is a new metric.
type Dimension struct {
	Name, Value string
}

// Recorder accumulates metric values. It is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	function string
	level    string // the lines' "level": LineLevel of the function's log level
	dims     []Dimension
	values   map[string]float64
	out      io.Writer
	now      func() time.Time
}

// LogLevelEnv is the variable in which Lambda gives a function its
// application log level (LoggingConfig ApplicationLogLevel, JSON log format
// only): TRACE, DEBUG, INFO, WARN, ERROR or FATAL.
const LogLevelEnv = "AWS_LAMBDA_LOG_LEVEL"

// New returns a Recorder that writes to out with dimension Function=function.
// Its lines carry the level LineLevel gives for the log level in
// LogLevelEnv, read once here (as the Lambda log handler reads it).
func New(out io.Writer, function string) *Recorder {
	return &Recorder{function: function, level: LineLevel(os.Getenv(LogLevelEnv)),
		values: map[string]float64{}, out: out, now: time.Now}
}

// LineLevel is the "level" of the metric lines for the function's
// configured application log level: the lowest level that Lambda's
// log-level filter keeps at that setting, and never below INFO. The filter
// drops a JSON line whose level is below the configured one, and takes a
// line without a valid "level" (or without a valid RFC 3339 "timestamp")
// as INFO; a metric line without them would vanish at WARN and above, and
// the metrics and the alarms built on them would go quiet. INFO (and
// unset, TRACE, DEBUG) gives INFO; WARN gives WARN; ERROR gives ERROR;
// FATAL, or a value Lambda does not document, gives FATAL, which no setting
// drops. Letter case and surrounding space are ignored.
func LineLevel(configured string) string {
	switch l := strings.ToUpper(strings.TrimSpace(configured)); l {
	case "", "TRACE", "DEBUG", "INFO":
		return "INFO"
	case "WARN", "ERROR":
		return l
	default:
		return "FATAL"
	}
}

// With returns a new Recorder with counters of its own that writes to the
// same output with the dimensions of r followed by dims, all in one
// dimension set. Names must differ from Function, level, timestamp and
// traceId, from each other and from the metric names. With on a nil Recorder returns nil.
func (r *Recorder) With(dims ...Dimension) *Recorder {
	if r == nil {
		return nil
	}
	return &Recorder{
		function: r.function,
		level:    r.level,
		dims:     append(append([]Dimension(nil), r.dims...), dims...),
		values:   map[string]float64{},
		out:      r.out,
		now:      r.now,
	}
}

// Add adds v to the metric name.
func (r *Recorder) Add(name string, v float64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.values[name] += v
	r.mu.Unlock()
}

// Inc adds one to the metric name.
func (r *Recorder) Inc(name string) { r.Add(name, 1) }

// Get returns the current value of name (for tests and logs).
func (r *Recorder) Get(name string) float64 {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.values[name]
}

// Flush writes every non-zero metric as one EMF line and resets them.
// Nothing is written when nothing was recorded.
func (r *Recorder) Flush() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	vals := r.values
	r.values = map[string]float64{}
	r.mu.Unlock()
	if len(vals) == 0 {
		return nil
	}
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	ms := make([]metric, 0, len(names))
	now := r.now()
	// "level" and "timestamp" are what Lambda's log-level filter reads
	// (LineLevel); traceId is the invocation's X-Ray trace, as on every
	// log line.
	line := map[string]any{"Function": r.function, "level": r.level,
		"timestamp": now.UTC().Format(time.RFC3339Nano)}
	if id := tracing.CurrentTraceID(); id != "" {
		line["traceId"] = id
	}
	dimNames := []string{"Function"}
	for _, d := range r.dims {
		line[d.Name] = d.Value
		dimNames = append(dimNames, d.Name)
	}
	for _, n := range names {
		u := units[n]
		if u == "" {
			u = "Count"
		}
		ms = append(ms, metric{n, u})
		line[n] = vals[n]
	}
	line["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{dimNames},
			"Metrics":    ms,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	_, err = r.out.Write(append(b, '\n'))
	return err
}
