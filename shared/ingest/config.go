package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goalrelay/goalrelay/shared/mapping"
)

// Config is the ingest function's environment.
type Config struct {
	QueueURL         string // QUEUE_URL, required
	WebhookSecretsID string // WEBHOOK_SECRETS_ID, required
	PublicBaseURL    string // PUBLIC_BASE_URL, optional
	MappingFile      string // MAPPING_FILE, optional (empty: the shipped defaults)
	MaxBody          int    // MAX_BODY_BYTES, optional (default DefaultMaxBody)
	// MaxFutureSkew is MAX_FUTURE_SKEW, optional (default
	// DefaultMaxFutureSkew): how far ahead of now an event's time may lie.
	MaxFutureSkew time.Duration
}

// ErrConfig is wrapped by every error ConfigFromEnv returns.
var ErrConfig = errors.New("ingest: invalid configuration")

// ConfigFromEnv reads the configuration through getenv (os.Getenv in main).
// Every problem is reported, each naming its variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		QueueURL:         strings.TrimSpace(getenv("QUEUE_URL")),
		WebhookSecretsID: strings.TrimSpace(getenv("WEBHOOK_SECRETS_ID")),
		PublicBaseURL:    strings.TrimSpace(getenv("PUBLIC_BASE_URL")),
		MappingFile:      strings.TrimSpace(getenv("MAPPING_FILE")),
		MaxBody:          DefaultMaxBody,
		MaxFutureSkew:    DefaultMaxFutureSkew,
	}
	var errs []error
	if c.QueueURL == "" {
		errs = append(errs, fmt.Errorf("%w: QUEUE_URL is not set (the SQS FIFO queue URL)", ErrConfig))
	}
	if c.WebhookSecretsID == "" {
		errs = append(errs, fmt.Errorf("%w: WEBHOOK_SECRETS_ID is not set (the Secrets Manager id of the webhook secrets)", ErrConfig))
	}
	if c.PublicBaseURL != "" && !strings.HasPrefix(c.PublicBaseURL, "https://") && !strings.HasPrefix(c.PublicBaseURL, "http://") {
		errs = append(errs, fmt.Errorf("%w: PUBLIC_BASE_URL %q must start with https://", ErrConfig, c.PublicBaseURL))
	}
	if s := strings.TrimSpace(getenv("MAX_BODY_BYTES")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%w: MAX_BODY_BYTES %q is not a positive number of bytes", ErrConfig, s))
		} else {
			c.MaxBody = n
		}
	}
	if s := strings.TrimSpace(getenv("MAX_FUTURE_SKEW")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > 24*time.Hour {
			errs = append(errs, fmt.Errorf("%w: MAX_FUTURE_SKEW %q is not a positive duration of at most 24h (e.g. 5m)", ErrConfig, s))
		} else {
			c.MaxFutureSkew = d
		}
	}
	return c, errors.Join(errs...)
}

// LoadMapper returns the mapping of MAPPING_FILE, or the shipped defaults
// when it is empty. An invalid file gives an error naming the file, the line
// and the problem.
func (c Config) LoadMapper() (*mapping.Mapper, error) {
	if c.MappingFile == "" {
		return mapping.Default(), nil
	}
	m, err := mapping.Load(c.MappingFile)
	if err != nil {
		return nil, fmt.Errorf("%w: MAPPING_FILE: %w", ErrConfig, err)
	}
	return m, nil
}
