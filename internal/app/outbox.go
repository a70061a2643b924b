package app

import (
	"encoding/json"
	"fmt"

	"blameful.dev/blameful/internal/store"
)

// notify queues a message in the outbox inside the caller's transaction, so
// it is sent exactly when the change that caused it commits. Delivery (chat,
// email, webhooks) happens after the commit, at least once.
func (a *App) notify(tx *store.Tx, kind, recipient string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("notify %s: %w", kind, err)
	}
	return tx.Enqueue(store.OutboxMessage{ID: a.newID(), Kind: kind, Recipient: recipient, Payload: b, CreatedAt: a.Now()})
}
