package app

import (
	"context"
	"encoding/json"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// DeliveryView is one outbox message on one channel, as an administrator
// sees it.
type DeliveryView struct {
	ID string
	// Key is the idempotency key the receiver sees.
	Key       string
	MessageID string
	Kind      string
	Recipient string
	Channel   string
	// State is pending, delivered or dead.
	State string
	// Attempts counts the tries made (or started) so far.
	Attempts    int
	NextAttempt time.Time
	LastError   string
	DeliveredAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Payload is the message's JSON; a private notice's too, since only
	// administrators see deliveries.
	Payload json.RawMessage
}

// IsFailing reports whether the delivery is pending after a failed try.
func (d DeliveryView) IsFailing() bool {
	return d.State == store.DeliveryPending && d.Attempts > 0 && d.LastError != ""
}

// CanRetry reports whether RetryDelivery would re-arm it: it is dead, or
// pending after a failed try.
func (d DeliveryView) CanRetry() bool { return d.State == store.DeliveryDead || d.IsFailing() }

// DeliveryFilter selects deliveries for the administrator's list.
type DeliveryFilter struct {
	// State is pending, failed (pending after a failed try), delivered or
	// dead; all when empty.
	State string
	Kind  string
	// Before is the cursor: the id of the last delivery of the page before.
	Before string
	Limit  int
}

// deliveryStates are the states a filter may name.
var deliveryStates = []string{store.DeliveryPending, store.DeliveryFailed, store.DeliveryDelivered, store.DeliveryDead}

// Deliveries lists outbox deliveries, newest first. Administrators only
// (Forbidden otherwise); an unknown state is Invalid naming "state".
func (a *App) Deliveries(ctx context.Context, actor org.Actor, f DeliveryFilter) ([]DeliveryView, error) {
	if err := require(actor, org.RoleAdmin); err != nil {
		return nil, err
	}
	known := f.State == ""
	for _, s := range deliveryStates {
		known = known || f.State == s
	}
	if !known {
		return nil, errs.Field("state", "%q is not a delivery state: use pending, failed, delivered or dead", f.State)
	}
	var out []DeliveryView
	err := a.db.View(ctx, func(tx *store.Tx) error {
		list, err := tx.Deliveries(store.DeliveryFilter{State: f.State, Kind: f.Kind, Before: f.Before, Limit: f.Limit})
		for _, d := range list {
			out = append(out, deliveryView(d))
		}
		return err
	})
	return out, err
}

func deliveryView(d store.Delivery) DeliveryView {
	payload := json.RawMessage(d.Message.Payload)
	if !json.Valid(payload) {
		payload = json.RawMessage("null")
	}
	return DeliveryView{ID: d.ID, Key: notify.Key(d.Message.ID, notify.Channel(d.Channel)), MessageID: d.Message.ID, Kind: d.Message.Kind,
		Recipient: d.Message.Recipient, Channel: d.Channel, State: d.State, Attempts: d.Attempts, NextAttempt: d.NextAttempt,
		LastError: d.LastError, DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Payload: payload}
}

// retryRecord is the audit record of a retry: the delivery as it was.
type retryRecord struct {
	Message   string `json:"message"`
	Kind      string `json:"kind"`
	Channel   string `json:"channel"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
}

// RetryDelivery re-arms a dead delivery, or one failing and waiting for
// its next try, to be tried at the next pass with a fresh count of tries;
// the retry is an audit event. Administrators only (Forbidden otherwise,
// before anything is looked up); an unknown id is NotFound; a delivery
// delivered, or pending and not yet tried, is a Conflict.
func (a *App) RetryDelivery(ctx context.Context, actor org.Actor, id string) (DeliveryView, error) {
	var v DeliveryView
	err := a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		d, err := tx.Delivery(id)
		if err != nil {
			return err
		}
		if cur := deliveryView(d); !cur.CanRetry() {
			if d.State == store.DeliveryDelivered {
				return errs.E(errs.Conflict, "this delivery was delivered already")
			}
			return errs.E(errs.Conflict, "this delivery has not failed: it is waiting for its first try")
		}
		now := a.Now()
		if err := tx.RearmDelivery(id, now); err != nil {
			return err
		}
		if err := a.record(tx, actor, "outbox.retry", id, retryRecord{Message: d.Message.ID, Kind: d.Message.Kind, Channel: d.Channel,
			State: d.State, Attempts: d.Attempts, LastError: d.LastError}); err != nil {
			return err
		}
		d, err = tx.Delivery(id)
		v = deliveryView(d)
		return err
	})
	return v, err
}
