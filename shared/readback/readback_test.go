package readback_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/goalrelay/goalrelay/shared/crm"
	"github.com/goalrelay/goalrelay/shared/readback"
	"github.com/goalrelay/goalrelay/shared/secrets"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

type creds map[string]string

func (c creds) Source(_ context.Context, name string) (json.RawMessage, error) {
	v, ok := c[name]
	if !ok {
		return nil, fmt.Errorf("x: %w", secrets.ErrSourceDisabled)
	}
	return json.RawMessage(v), nil
}

type reader struct{ webhook.Reader }

func TestForFindsTheReaderOfASourceWithCredentials(t *testing.T) {
	opened := 0
	src := &webhook.Source{Name: "crm", Namespace: "crm/acct/", ReadBack: &webhook.ReadBack{Object: "deal",
		Open: func(raw json.RawMessage, o webhook.ReaderOptions) (webhook.Reader, error) {
			opened++
			if string(raw) == `"bad"` {
				return nil, crm.ErrCredentials
			}
			if o.BaseURL != "http://127.0.0.1:9" {
				t.Errorf("base URL %q", o.BaseURL)
			}
			return reader{}, nil
		}}}
	other := &webhook.Source{Name: "other", Namespace: "other/acct/"}
	c := creds{"crm": `{"token":"a"}`}
	rs := &readback.Readers{Sources: []*webhook.Source{src, other}, Credentials: c,
		BaseURLs: readback.BaseURLsFromEnv([]*webhook.Source{{Name: "crm", ReadBack: &webhook.ReadBack{APIURLEnv: "CRM_URL"}}}, func(string) string { return "http://127.0.0.1:9" })}

	tg, err := rs.For(t.Context(), "crm/acct/1")
	if err != nil || tg.Object != "deal" || tg.Source != src {
		t.Fatalf("For = %+v, %v", tg, err)
	}
	if _, err := rs.For(t.Context(), "crm/acct/2"); err != nil || opened != 1 {
		t.Fatalf("a second For opened again (%d) or failed: %v", opened, err)
	}
	c["crm"] = `{"token":"b"}` // rotated: opened again
	if _, err := rs.For(t.Context(), "crm/acct/1"); err != nil || opened != 2 {
		t.Fatalf("after rotation: opened %d, %v", opened, err)
	}
	for _, es := range []string{"other/acct/1", "nobody/x"} {
		if _, err := rs.For(t.Context(), es); !errors.Is(err, readback.ErrNoReader) {
			t.Errorf("For(%s) = %v, want ErrNoReader", es, err)
		}
	}
	delete(c, "crm")
	if _, err := rs.For(t.Context(), "crm/acct/1"); !errors.Is(err, readback.ErrNoReader) {
		t.Errorf("without a member: %v", err)
	}
	c["crm"] = `"bad"`
	if _, err := rs.For(t.Context(), "crm/acct/1"); !errors.Is(err, crm.ErrCredentials) {
		t.Errorf("bad credentials: %v", err)
	}
	if (&readback.Readers{Sources: []*webhook.Source{src}}).Describes("crm/acct/1") {
		t.Error("a source without the credentials secret is described as readable")
	}
}
