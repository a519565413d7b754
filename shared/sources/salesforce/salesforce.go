package salesforce

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// Adapter is the Salesforce Outbound Message source. The zero value is
// ready to use and safe for concurrent use.
type Adapter struct{}

// ErrSecret is returned by Verify when the configured secret is not usable
// (not JSON, or no valid organizationId). It is a configuration problem,
// so it wraps none of the webhook sentinels.
var ErrSecret = errors.New("salesforce: invalid webhook secret configuration")

// Secret is the "salesforce" member of the webhook secret JSON:
//
//	{"organizationId":"00D5e000000AbCdEAK"}
//
// The 15-character form shown in Setup → Company Information is accepted
// too and normalised to 18 characters.
type Secret struct {
	OrganizationID string `json:"organizationId"`
}

// Verify checks that the message's OrganizationId is the configured one.
// Both are normalised to 18 characters (NormalizeID) and compared in
// constant time. A missing, invalid or different OrganizationId wraps
// webhook.ErrUnauthenticated; a body that is not an Outbound Message up to
// that point wraps webhook.ErrMalformed; an unusable secret returns
// ErrSecret. now is unused: Outbound Messages carry no timestamp to check.
// Verify reads the body only up to the OrganizationId.
func (a *Adapter) Verify(r *webhook.Request, secret json.RawMessage, now time.Time) error {
	want, err := configuredOrg(secret)
	if err != nil {
		return err
	}
	m, err := decode(r.Body, true)
	if err != nil {
		return err
	}
	return checkOrg(m.orgID, want)
}

// Open verifies r as Verify does and, when it comes from the configured
// organization, parses it (see parse). The body is decoded once; Open
// judges authenticity on the part up to the OrganizationId only, so a
// problem after it is reported as the body's, never as authentication.
func (a *Adapter) Open(r *webhook.Request, secret json.RawMessage, now time.Time) ([]webhook.Change, error) {
	want, err := configuredOrg(secret)
	if err != nil {
		return nil, err
	}
	m, derr := decode(r.Body, false)
	org := m.orgID
	if derr != nil && !m.orgSeen {
		// The body fails before its OrganizationId. Decide as a decode
		// that stops at the OrganizationId does: it only checks that the
		// elements it skips are well-formed XML.
		mo, err := decode(r.Body, true)
		if err != nil {
			return nil, err
		}
		org = mo.orgID
	}
	if err := checkOrg(org, want); err != nil {
		return nil, err
	}
	return changes(m, derr)
}

func checkOrg(org, want string) error {
	if org == "" {
		return fmt.Errorf("%w: salesforce: message has no OrganizationId", webhook.ErrUnauthenticated)
	}
	got, err := NormalizeID(org)
	if err != nil {
		return fmt.Errorf("%w: salesforce: OrganizationId is not a Salesforce id", webhook.ErrUnauthenticated)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return fmt.Errorf("%w: salesforce: OrganizationId is not the configured organization", webhook.ErrUnauthenticated)
	}
	return nil
}

// secretCache is the last usable secret and its normalised organization
// id, so that Verify parses the (unchanging) secret JSON once.
type secretCache struct{ raw, want string }

var lastSecret atomic.Pointer[secretCache]

func configuredOrg(secret json.RawMessage) (string, error) {
	if c := lastSecret.Load(); c != nil && c.raw == string(secret) {
		return c.want, nil
	}
	var s Secret
	if err := json.Unmarshal(secret, &s); err != nil {
		return "", fmt.Errorf("%w: not a JSON object with organizationId", ErrSecret)
	}
	want, err := NormalizeID(s.OrganizationID)
	if err != nil {
		return "", fmt.Errorf("%w: organizationId is not a 15- or 18-character Salesforce id", ErrSecret)
	}
	lastSecret.Store(&secretCache{raw: string(secret), want: want})
	return want, nil
}

// parse turns a verified Outbound Message into one Change per
// <Notification>, in document order:
//
//   - ID is "salesforce:<orgId18>:<notification Id>" (the notification Id,
//     prefix 04l, is what Salesforce keeps across redeliveries).
//   - Source is "salesforce/org/<orgId18>".
//   - Object is the sObject's xsi:type without its prefix ("Opportunity",
//     "Goal__c").
//   - RecordID is the sObject's Id field.
//   - Fields holds every field element of the sObject by its local name
//     (Id included), as the text Salesforce sent ("25000.0", "true",
//     "2026-01-01T00:00:00.000Z"); xsi:nil="true" gives nil. Types are
//     left to the mapping.
//   - OccurredAt is SystemModstamp, else LastModifiedDate. Outbound
//     Messages carry no event time, and a time of receipt would break
//     last-write-wins ordering, so a notification with neither field is
//     unmappable: add SystemModstamp to the outbound message's fields.
//   - Op is OpDelete (with nil Fields) when the sObject has IsDeleted
//     "true" (Outbound Messages have no delete notification; a Flow on
//     delete or a field can signal it that way), else OpUpsert.
//
// A notification whose sObject carries no field but Id is skipped:
// Salesforce sends no data when the record was deleted before delivery,
// and failing the message would make Salesforce retry it, and every other
// notification in it, for 24 hours.
//
// Errors wrap webhook.ErrMalformed (not XML, not an Outbound Message, no
// notification, nesting deeper than the format allows, DOCTYPE) or
// webhook.ErrUnmappable (a notification without Id, record Id, object type
// or time).
func (a *Adapter) parse(r *webhook.Request) ([]webhook.Change, error) {
	return changes(decode(r.Body, false))
}

// changes builds the changes of a decoded message; err is the decode's.
func changes(m *message, err error) ([]webhook.Change, error) {
	if err != nil {
		return nil, err
	}
	org, err := NormalizeID(m.orgID)
	if err != nil {
		return nil, fmt.Errorf("%w: salesforce: OrganizationId is missing or not a Salesforce id", webhook.ErrMalformed)
	}
	if len(m.notifications) == 0 {
		return nil, fmt.Errorf("%w: salesforce: message has no Notification", webhook.ErrMalformed)
	}
	if len(m.notifications) > maxBatch {
		return nil, fmt.Errorf("%w: salesforce: %d notifications in one message; Salesforce sends at most %d", webhook.ErrMalformed, len(m.notifications), maxBatch)
	}
	out := make([]webhook.Change, 0, len(m.notifications))
	for i := range m.notifications {
		n := &m.notifications[i]
		if !n.hasData() {
			continue
		}
		c, err := n.change(org)
		if err != nil {
			return nil, fmt.Errorf("notification %d: %w", i, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (n *notification) hasData() bool {
	for k := range n.fields {
		if k != "Id" {
			return true
		}
	}
	return false
}

func (n *notification) change(org string) (webhook.Change, error) {
	if !safeID(n.id) {
		return webhook.Change{}, fmt.Errorf("%w: salesforce: Notification Id is missing or invalid", webhook.ErrUnmappable)
	}
	if !safeName(n.object) {
		return webhook.Change{}, fmt.Errorf("%w: salesforce: sObject has no usable xsi:type", webhook.ErrUnmappable)
	}
	rid, _ := n.fields["Id"].(string)
	if !safeID(rid) {
		return webhook.Change{}, fmt.Errorf("%w: salesforce: sObject has no usable Id field", webhook.ErrUnmappable)
	}
	at, err := n.occurredAt()
	if err != nil {
		return webhook.Change{}, err
	}
	c := webhook.Change{
		ID:         "salesforce:" + org + ":" + n.id,
		Source:     namespace + org,
		Object:     n.object,
		RecordID:   rid,
		Op:         webhook.OpUpsert,
		OccurredAt: at,
		Fields:     n.fields,
	}
	if d, _ := n.fields["IsDeleted"].(string); d == "true" || d == "1" {
		c.Op = webhook.OpDelete
		c.Fields = nil
	}
	return c, nil
}

func (n *notification) occurredAt() (time.Time, error) {
	for _, name := range [...]string{"SystemModstamp", "LastModifiedDate"} {
		v, ok := n.fields[name]
		if !ok || v == nil {
			continue
		}
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: salesforce: %s is not an xsd:dateTime", webhook.ErrUnmappable, name)
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%w: salesforce: sObject has neither SystemModstamp nor LastModifiedDate; add SystemModstamp to the outbound message's fields", webhook.ErrUnmappable)
}

// safeID reports whether s is usable in an id: 1–64 ASCII letters and
// digits (Salesforce ids are 15 or 18).
func safeID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// safeName reports whether s is an sObject API name: letters, digits and
// underscores ("Opportunity", "Goal__c", "ns__Goal__c").
func safeName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
