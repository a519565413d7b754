package hubspot

import "github.com/goalrelay/goalrelay/shared/webhook"

// Parse exposes parse to the tests, which exercise the parser on bodies
// they do not sign. Production code reaches it only through Open.
func (a *Adapter) Parse(r *webhook.Request) ([]webhook.Change, error) { return a.parse(r) }
