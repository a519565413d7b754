package sources

import (
	"github.com/goalrelay/goalrelay/shared/sources/dynamics"
	"github.com/goalrelay/goalrelay/shared/sources/hubspot"
	"github.com/goalrelay/goalrelay/shared/sources/pipedrive"
	"github.com/goalrelay/goalrelay/shared/sources/salesforce"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// all is the one list of sources, in documentation order. Adding a CRM is
// an adapter package under shared/sources and one line here.
var all = []*webhook.Source{
	&hubspot.Source,
	&salesforce.Source,
	&dynamics.Source,
	&pipedrive.Source,
	&standardwebhooks.Source,
}

// All returns every source, in documentation order. The descriptors are
// shared: callers must not modify them.
func All() []*webhook.Source { return all }

// Lookup returns the source named name (the {source} path segment).
func Lookup(name string) (*webhook.Source, bool) {
	for _, s := range all {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Names returns the sources' names, in documentation order.
func Names() []string {
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.Name
	}
	return out
}
