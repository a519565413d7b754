package ingest

import (
	"errors"

	"github.com/goalrelay/goalrelay/shared/secrets"
)

// isDisabled reports whether a secret-store error means "this source is
// switched off" rather than "the store failed".
func isDisabled(err error) bool {
	return errors.Is(err, ErrSourceDisabled) || errors.Is(err, secrets.ErrSourceDisabled)
}
