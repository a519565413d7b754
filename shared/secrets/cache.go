package secrets

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// cached is one secret, cached the way aws-secretsmanager-caching-go
// caches it. This package used that library until its import of the SDK's
// config package (SSO, STS, IMDS, shared files: 2 MB of the ingest
// bootstrap, which must stay under 10 MB) had to go; the behaviour is the
// library's:
//
//   - DescribeSecret gives the version staged AWSCURRENT. It is asked on
//     the first read and then again on the first read after a random time
//     between TTL/2 and TTL.
//   - GetSecretValue reads that version when it is not the one held; a
//     version's value never changes, so it is kept until AWSCURRENT moves.
//   - A failed DescribeSecret keeps the last good description, so the last
//     good value is still served; it is retried on a read after 2^n ms (n
//     failures in a row, at most 3.6 s). Without a value yet, reads fail
//     with that error until then.
//   - A failed GetSecretValue is returned and retried on the next read.
//
// Refresh bypasses the cache and keeps the new value only when both calls
// succeed. Errors name the secret id and wrap the SDK's error; they never
// contain the value.
type cached struct {
	client Client
	id     string
	ttl    time.Duration

	mu           sync.Mutex
	described    bool      // a DescribeSecret was made
	current      string    // version id staged AWSCURRENT, as last described
	nextDescribe time.Time // when the description is stale
	describeErr  error     // the last DescribeSecret's error
	failures     int       // DescribeSecret failures in a row
	retryAt      time.Time // when a failed DescribeSecret may be retried
	version      string    // the version value belongs to
	value        string
}

// currentStage is the staging label of the version in use.
const currentStage = "AWSCURRENT"

// maxRetryDelay bounds the wait before a failed DescribeSecret is retried.
const maxRetryDelay = 3600 * time.Millisecond

func (c *cached) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if !c.described || !now.Before(c.nextDescribe) || (c.describeErr != nil && !now.Before(c.retryAt)) {
		c.describe(ctx)
	}
	if c.current == "" {
		if c.describeErr != nil {
			return "", fmt.Errorf("secrets: read %s: %w", c.id, c.describeErr)
		}
		return "", fmt.Errorf("secrets: read %s: %w", c.id, errNoCurrent)
	}
	if c.version != c.current {
		v, err := c.read(ctx, c.current)
		if err != nil {
			return "", fmt.Errorf("secrets: read %s: %w", c.id, err)
		}
		c.version, c.value = c.current, v
	}
	return c.value, nil
}

// describe asks for the current version id, keeping the last good one on
// failure.
func (c *cached) describe(ctx context.Context) {
	out, err := c.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &c.id})
	now := time.Now()
	c.described = true
	c.nextDescribe = now.Add(c.jitteredTTL())
	if err != nil {
		c.failures++
		c.describeErr = err
		c.retryAt = now.Add(min(time.Millisecond<<min(c.failures, 12), maxRetryDelay))
		return
	}
	c.describeErr, c.failures = nil, 0
	c.current = currentVersion(out)
}

// jitteredTTL is a random duration between TTL/2 and TTL.
func (c *cached) jitteredTTL() time.Duration {
	if c.ttl < 2 {
		return c.ttl
	}
	return rand.N(c.ttl/2) + c.ttl/2
}

func (c *cached) read(ctx context.Context, version string) (string, error) {
	out, err := c.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &c.id, VersionId: &version})
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", errNoString
	}
	return *out.SecretString, nil
}

// refresh reads the secret now, bypassing the cache, and keeps the result
// only when it succeeded, so a failed refresh leaves the last good value.
func (c *cached) refresh(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, err := c.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &c.id})
	if err != nil {
		return "", fmt.Errorf("secrets: refresh %s: %w", c.id, err)
	}
	current := currentVersion(out)
	if current == "" {
		return "", fmt.Errorf("secrets: refresh %s: %w", c.id, errNoCurrent)
	}
	v, err := c.read(ctx, current)
	if err != nil {
		return "", fmt.Errorf("secrets: refresh %s: %w", c.id, err)
	}
	c.described, c.nextDescribe = true, time.Now().Add(c.jitteredTTL())
	c.describeErr, c.failures = nil, 0
	c.current, c.version, c.value = current, current, v
	return v, nil
}

var (
	errNoCurrent = errors.New("no version is staged " + currentStage)
	errNoString  = errors.New("the current version has no SecretString")
)

func currentVersion(out *secretsmanager.DescribeSecretOutput) string {
	for id, stages := range out.VersionIdsToStages {
		for _, s := range stages {
			if s == currentStage {
				return id
			}
		}
	}
	return ""
}
