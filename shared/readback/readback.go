package readback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/secrets"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Credentials gives a source's member of the CRM credentials secret, or an
// error wrapping secrets.ErrSourceDisabled when it has none
// (*secrets.CRMCredentials).
type Credentials interface {
	Source(ctx context.Context, name string) (json.RawMessage, error)
}

// Readers opens and keeps the readers of the sources that can be read
// back. The zero value with no Credentials reads nothing back. It is safe
// for concurrent use.
type Readers struct {
	// Sources are the source descriptors (those without ReadBack are
	// skipped).
	Sources []*webhook.Source
	// Credentials is nil when CRM_CREDENTIALS_ID is not set.
	Credentials Credentials
	// BaseURLs override a source's API base URL, by source name.
	BaseURLs   map[string]string
	HTTPClient *http.Client
	Now        func() time.Time

	mu    sync.Mutex
	cache map[string]opened
}

type opened struct {
	raw    string
	reader webhook.Reader
}

// Target is a readable source: its descriptor, reader and object type.
type Target struct {
	Source *webhook.Source
	Reader webhook.Reader
	Object string
}

// BaseURLsFromEnv reads each source's APIURLEnv with getenv.
func BaseURLsFromEnv(sources []*webhook.Source, getenv func(string) string) map[string]string {
	out := map[string]string{}
	for _, s := range sources {
		if s.ReadBack != nil && s.ReadBack.APIURLEnv != "" {
			if v := getenv(s.ReadBack.APIURLEnv); v != "" {
				out[s.Name] = v
			}
		}
	}
	return out
}

// Describes reports whether eventSource belongs to a source that has a
// read-back at all (whatever the credentials say).
func (rs *Readers) Describes(eventSource string) bool {
	return rs != nil && rs.Credentials != nil && rs.source(eventSource) != nil
}

func (rs *Readers) source(eventSource string) *webhook.Source {
	for _, s := range rs.Sources {
		if s.ReadBack != nil && s.Within(eventSource) {
			return s
		}
	}
	return nil
}

// ErrNoReader: the source cannot be read back (no read-back in its
// descriptor, or no member in the credentials secret).
var ErrNoReader = errors.New("no CRM read-back for this source")

// For returns the reader of eventSource's source. It wraps ErrNoReader
// when there is none; other errors are the secret store's (transient) or
// the credentials' format (crm.ErrCredentials).
func (rs *Readers) For(ctx context.Context, eventSource string) (Target, error) {
	if rs == nil || rs.Credentials == nil {
		return Target{}, ErrNoReader
	}
	s := rs.source(eventSource)
	if s == nil {
		return Target{}, fmt.Errorf("%w: %s", ErrNoReader, eventSource)
	}
	return rs.open(ctx, s)
}

func (rs *Readers) open(ctx context.Context, s *webhook.Source) (Target, error) {
	raw, err := rs.Credentials.Source(ctx, s.Name)
	if errors.Is(err, secrets.ErrSourceDisabled) {
		return Target{}, fmt.Errorf("%w: %s has no member in the CRM credentials secret", ErrNoReader, s.Name)
	}
	if err != nil {
		return Target{}, err
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if o, ok := rs.cache[s.Name]; ok && o.raw == string(raw) {
		return Target{Source: s, Reader: o.reader, Object: s.ReadBack.Object}, nil
	}
	r, err := s.ReadBack.Open(raw, webhook.ReaderOptions{BaseURL: rs.BaseURLs[s.Name], HTTPClient: rs.HTTPClient, Now: rs.Now})
	if err != nil {
		return Target{}, fmt.Errorf("%s read-back: %w", s.Name, err)
	}
	if rs.cache == nil {
		rs.cache = map[string]opened{}
	}
	rs.cache[s.Name] = opened{raw: string(raw), reader: r}
	return Target{Source: s, Reader: r, Object: s.ReadBack.Object}, nil
}

// Mapper turns a record change into canonical events (*mapping.Mapper).
type Mapper interface {
	Map(ch webhook.Change) ([]events.Event, error)
}

// GoalFields maps a read-back record and returns the fields of the goal
// upsert it gives (nil when the mapping gives none).
func GoalFields(m Mapper, ch webhook.Change) (map[string]any, error) {
	evs, err := m.Map(ch)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		if e.Type == events.GoalUpserted {
			return e.Data.Fields, nil
		}
	}
	return nil, nil
}
