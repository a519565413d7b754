package lambdalog

import (
	"encoding/json"
	"strings"
	"time"
)

// Levels are Lambda's application log levels, least severe first.
var Levels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

func rank(level string) int {
	l := strings.ToUpper(level)
	for i, v := range Levels {
		if v == l {
			return i
		}
	}
	return -1
}

// Level is the level Lambda's filter gives line: its "level" when that is
// valid and the line has a valid RFC 3339 "timestamp", else INFO.
func Level(line []byte) string {
	var rec struct {
		Level     *string `json:"level"`
		Timestamp *string `json:"timestamp"`
	}
	if json.Unmarshal(line, &rec) != nil || rec.Level == nil || rec.Timestamp == nil || rank(*rec.Level) < 0 {
		return "INFO"
	}
	if _, err := time.Parse(time.RFC3339Nano, *rec.Timestamp); err != nil {
		return "INFO"
	}
	return strings.ToUpper(*rec.Level)
}

// Kept reports whether Lambda sends line to CloudWatch Logs when the
// function's ApplicationLogLevel is configured (one of Levels).
func Kept(line []byte, configured string) bool {
	return rank(Level(line)) >= rank(configured)
}

// Line is one JSON line of a function's output.
type Line struct {
	Raw    []byte
	Fields map[string]any
}

// Metric reports whether the line is an EMF metric line.
func (l Line) Metric() bool { _, ok := l.Fields["_aws"]; return ok }

// String is the value of a string field, or "".
func (l Line) String(key string) string { s, _ := l.Fields[key].(string); return s }

// JSONLines returns the lines of out that are JSON objects (the function's
// log and metric lines; the emulator's own lines are text), in order.
func JSONLines(out string) []Line {
	var lines []Line
	for raw := range strings.Lines(out) {
		raw = strings.TrimSpace(raw)
		if !strings.HasPrefix(raw, "{") {
			continue
		}
		var f map[string]any
		if json.Unmarshal([]byte(raw), &f) == nil {
			lines = append(lines, Line{Raw: []byte(raw), Fields: f})
		}
	}
	return lines
}
