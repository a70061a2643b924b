package app

import (
	"context"
	"time"

	"blameful.dev/blameful/internal/store"
)

// RecipientAddresses exposes recipient resolution to the external tests.
func RecipientAddresses(ctx context.Context, a *App, recipient string, now time.Time) (out []string, err error) {
	err = a.db.View(ctx, func(tx *store.Tx) error {
		out, err = recipientAddresses(tx, recipient, now)
		return err
	})
	return out, err
}
