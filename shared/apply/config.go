package apply

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is the apply function's configuration, from its environment.
type Config struct {
	GainsightBaseURL     string        // GAINSIGHT_BASE_URL
	AccessKeySecretID    string        // GAINSIGHT_ACCESS_KEY_SECRET_ID
	DLQURL               string        // DLQ_URL
	StateTable           string        // STATE_TABLE
	CallsPerMinute       int           // GAINSIGHT_CALLS_PER_MINUTE, default 90
	CallsPerDay          int           // GAINSIGHT_CALLS_PER_DAY, default 45000
	ExternalIDField      string        // GAINSIGHT_EXTERNAL_ID_FIELD, default goalrelay_external_id__gc
	GainsightCallTimeout time.Duration // GAINSIGHT_TIMEOUT, default 20s: one call's limit
	// QuotaWindow is the length of the "minute" window
	// (GAINSIGHT_QUOTA_WINDOW, default 1m). Only scaled-down local runs and
	// benchmarks change it; Gainsight's window is one minute.
	QuotaWindow time.Duration
	// MaxFutureSkew is how far ahead of now an event's CRM time may lie
	// (MAX_FUTURE_SKEW, default 5m, as at ingest).
	MaxFutureSkew time.Duration
	// InFlight is the batch's visibility while the function works on it,
	// and the most a batch whose invocation died stays invisible
	// (IN_FLIGHT_VISIBILITY, default 60s, at least 3s). Only scaled-down
	// local runs and tests change it.
	InFlight time.Duration
	// CRMCredentialsID names the CRM credentials secret
	// (CRM_CREDENTIALS_ID, optional): with it, a goal upsert that cannot
	// create its goal is completed from the CRM (readback.go). MappingFile
	// (MAPPING_FILE, optional) is the mapping read-back records go
	// through, the same file as ingest's; the shipped defaults when empty.
	CRMCredentialsID string
	MappingFile      string
}

// ConfigFromEnv reads the configuration with getenv (os.Getenv) and
// reports every missing or invalid variable at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		GainsightBaseURL:  strings.TrimSpace(getenv("GAINSIGHT_BASE_URL")),
		AccessKeySecretID: strings.TrimSpace(getenv("GAINSIGHT_ACCESS_KEY_SECRET_ID")),
		DLQURL:            strings.TrimSpace(getenv("DLQ_URL")),
		StateTable:        strings.TrimSpace(getenv("STATE_TABLE")),
		ExternalIDField:   strings.TrimSpace(getenv("GAINSIGHT_EXTERNAL_ID_FIELD")),
		CRMCredentialsID:  strings.TrimSpace(getenv("CRM_CREDENTIALS_ID")),
		MappingFile:       strings.TrimSpace(getenv("MAPPING_FILE")),
	}
	var problems []string
	for name, v := range map[string]string{
		"GAINSIGHT_BASE_URL": c.GainsightBaseURL, "GAINSIGHT_ACCESS_KEY_SECRET_ID": c.AccessKeySecretID,
		"DLQ_URL": c.DLQURL, "STATE_TABLE": c.StateTable,
	} {
		if v == "" {
			problems = append(problems, name+" is required")
		}
	}
	if c.GainsightBaseURL != "" {
		if u, err := url.Parse(c.GainsightBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("GAINSIGHT_BASE_URL %q is not an http(s) URL", c.GainsightBaseURL))
		}
	}
	intVar := func(name string, def int) int {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			problems = append(problems, fmt.Sprintf("%s %q is not a positive integer", name, v))
			return def
		}
		return n
	}
	durVar := func(name string, def time.Duration) time.Duration {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("%s %q is not a positive duration (e.g. 20s)", name, v))
			return def
		}
		return d
	}
	c.CallsPerMinute = intVar("GAINSIGHT_CALLS_PER_MINUTE", 90)
	c.CallsPerDay = intVar("GAINSIGHT_CALLS_PER_DAY", 45000)
	c.GainsightCallTimeout = durVar("GAINSIGHT_TIMEOUT", 20*time.Second)
	c.QuotaWindow = durVar("GAINSIGHT_QUOTA_WINDOW", time.Minute)
	c.MaxFutureSkew = durVar("MAX_FUTURE_SKEW", DefaultMaxFutureSkew)
	if c.MaxFutureSkew > 24*time.Hour {
		problems = append(problems, fmt.Sprintf("MAX_FUTURE_SKEW %s is more than 24h", c.MaxFutureSkew))
	}
	c.InFlight = durVar("IN_FLIGHT_VISIBILITY", DefaultInFlight)
	if c.InFlight < minInFlight {
		problems = append(problems, fmt.Sprintf("IN_FLIGHT_VISIBILITY %s is under %s", c.InFlight, minInFlight))
	}
	if c.ExternalIDField == "" {
		c.ExternalIDField = DefaultExternalIDField
	} else if !strings.HasSuffix(c.ExternalIDField, "__gc") {
		problems = append(problems, fmt.Sprintf("GAINSIGHT_EXTERNAL_ID_FIELD %q is not a custom field (…__gc)", c.ExternalIDField))
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return c, errors.New("apply: configuration: " + strings.Join(problems, "; "))
	}
	return c, nil
}
