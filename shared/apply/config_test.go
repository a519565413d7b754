package apply

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"GAINSIGHT_BASE_URL": "https://acme.gainsightcloud.com", "GAINSIGHT_ACCESS_KEY_SECRET_ID": "goalrelay/gainsight-access-key",
		"DLQ_URL": "https://sqs/dlq.fifo", "STATE_TABLE": "state",
	}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.CallsPerMinute != 90 || c.CallsPerDay != 45000 || c.ExternalIDField != DefaultExternalIDField ||
		c.QuotaWindow != time.Minute || c.GainsightCallTimeout != 20*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	env["GAINSIGHT_CALLS_PER_MINUTE"] = "0"
	env["GAINSIGHT_BASE_URL"] = "acme"
	delete(env, "STATE_TABLE")
	_, err = ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"STATE_TABLE is required", "GAINSIGHT_CALLS_PER_MINUTE", "GAINSIGHT_BASE_URL \"acme\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
