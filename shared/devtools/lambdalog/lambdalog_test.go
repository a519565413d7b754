package lambdalog_test

import (
	"testing"

	"github.com/goalrelay/goalrelay/shared/devtools/lambdalog"
)

func TestKept(t *testing.T) {
	const ts = `"timestamp":"2026-03-01T12:00:00.123Z"`
	tests := []struct {
		line       string
		configured string
		want       bool
	}{
		{`{"level":"INFO",` + ts + `}`, "INFO", true},
		{`{"level":"INFO",` + ts + `}`, "WARN", false},
		{`{"level":"debug",` + ts + `}`, "DEBUG", true},
		{`{"level":"debug",` + ts + `}`, "INFO", false},
		{`{"level":"ERROR",` + ts + `}`, "ERROR", true},
		{`{"level":"ERROR",` + ts + `}`, "FATAL", false},
		{`{"level":"FATAL",` + ts + `}`, "FATAL", true},
		// No level, an invalid one, or no valid timestamp: INFO.
		{`{"_aws":{},` + ts + `}`, "INFO", true},
		{`{"_aws":{},` + ts + `}`, "WARN", false},
		{`{"level":"LOUD",` + ts + `}`, "WARN", false},
		{`{"level":"ERROR"}`, "ERROR", false},
		{`{"level":"ERROR","timestamp":"yesterday"}`, "ERROR", false},
		{`{"level":"ERROR","timestamp":"yesterday"}`, "INFO", true},
		{`START RequestId: 1 Version: $LATEST`, "WARN", false},
	}
	for _, tt := range tests {
		if got := lambdalog.Kept([]byte(tt.line), tt.configured); got != tt.want {
			t.Errorf("Kept(%s, %s) = %v, want %v", tt.line, tt.configured, got, tt.want)
		}
	}
}
