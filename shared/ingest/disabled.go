package ingest

import "errors"

// isDisabled reports whether a secret-store error means "this source is
// switched off" rather than "the store failed".
func isDisabled(err error) bool {
	return errors.Is(err, ErrSourceDisabled)
}
