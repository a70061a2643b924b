package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/store"
)

// OutboxCheckpoint is the outbox kind of checkpoint messages. Their
// recipient is "checkpoint" and their payload the signed checkpoint's JSON;
// the worker delivers them to wherever checkpoints are kept outside the
// database.
const OutboxCheckpoint = "audit.checkpoint"

const checkpointRecipient = "checkpoint"

// Checkpoint signs the audit chain's current head with key, records it,
// queues it in the outbox in the same transaction, and returns it. An
// empty chain is a Conflict: there is nothing to vouch for. Only holders of
// the signing key call it (the CLI and the serve emitter); it takes no
// actor because the key is the authority.
//
// A checkpoint is deliberately not an audit event. It commits to the head;
// as an event it would move the head on, so no checkpoint could ever name
// the head it sits on, and each would be a new event making the next one
// due, forever, on an idle system. It records no one's change, only a
// fact about the chain. And inside the chain it would add nothing against
// the attacker it exists for, who rewrites the chain anyway: it is worth
// something only in the copies outside the database.
func (a *App) Checkpoint(ctx context.Context, key ed25519.PrivateKey) (audit.SignedCheckpoint, error) {
	s, _, err := a.checkpoint(ctx, key, func(audit.Head, *audit.SignedCheckpoint) bool { return true })
	return s, err
}

// checkpoint signs, records and queues a checkpoint of the head if due
// says one is due, given the head and the last recorded checkpoint (nil
// when there is none); ok tells whether it did. The head's row lock makes
// servers sharing a database decide one after the other.
func (a *App) checkpoint(ctx context.Context, key ed25519.PrivateKey, due func(audit.Head, *audit.SignedCheckpoint) bool) (s audit.SignedCheckpoint, ok bool, err error) {
	err = a.db.Update(ctx, func(tx *store.Tx) error {
		head, err := tx.LockAuditHead()
		if err != nil {
			return err
		}
		last, err := lastCheckpoint(tx)
		if err != nil || !due(head, last) {
			return err
		}
		if head.Seq == 0 {
			return errs.E(errs.Conflict, "the audit log is empty: there is nothing to checkpoint yet")
		}
		s = audit.Sign(audit.NewCheckpoint(head, a.Now()), key)
		payload, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode checkpoint: %w", err)
		}
		if err := tx.CreateAuditCheckpoint(a.newID(), s); err != nil {
			return err
		}
		ok = true
		return tx.Enqueue(store.OutboxMessage{ID: a.newID(), Kind: OutboxCheckpoint, Recipient: checkpointRecipient, Payload: payload, CreatedAt: s.At})
	})
	return s, ok && err == nil, err
}

// lastCheckpoint returns the last recorded checkpoint, or nil.
func lastCheckpoint(tx *store.Tx) (*audit.SignedCheckpoint, error) {
	last, err := tx.LastAuditCheckpoint()
	if errors.Is(err, errs.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &last, nil
}

// Checkpoint schedule defaults.
const (
	DefaultCheckpointEvery    = 1000
	DefaultCheckpointInterval = 10 * time.Minute
)

// CheckpointEmitter signs checkpoints of the audit chain in the background
// and logs each one as a single line, key "checkpoint", holding its JSON:
// that line is the copy that lives outside the database. A checkpoint is
// due when Every events were added since the last one, or when Interval has
// passed since it and any event was added; the first is due as soon as the
// chain has an event. Zero settings take the defaults.
type CheckpointEmitter struct {
	App *App
	Key ed25519.PrivateKey
	// Every is the number of new events that makes a checkpoint due.
	Every int64
	// Interval is how long after the last checkpoint a single new event
	// makes one due.
	Interval time.Duration
	// Poll is how often Run looks: a minute, or Interval if shorter.
	Poll time.Duration
	// Ticks, when set, drives Run instead of a ticker of Poll (tests).
	Ticks <-chan time.Time
	// Log gets the checkpoint lines and failures; the app's logger if nil.
	Log *slog.Logger
}

// Run emits checkpoints until ctx is cancelled: one pass at once, then one
// per tick. A failed pass is logged and tried again at the next tick. The
// caller owns the goroutine and waits for Run to return.
func (e *CheckpointEmitter) Run(ctx context.Context) {
	ticks := e.Ticks
	if ticks == nil {
		t := time.NewTicker(e.poll())
		defer t.Stop()
		ticks = t.C
	}
	for {
		if _, _, err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			e.log().Error("audit checkpoint failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
	}
}

// Tick makes one pass: if a checkpoint is due, it signs, records, queues
// and logs one, and returns it with true.
func (e *CheckpointEmitter) Tick(ctx context.Context) (audit.SignedCheckpoint, bool, error) {
	due := e.due(e.App.Now())
	// Look first without the head's lock, so that a pass with nothing to
	// do costs one read and never holds up a writer.
	var head audit.Head
	var last *audit.SignedCheckpoint
	err := e.App.db.View(ctx, func(tx *store.Tx) (err error) {
		if head, err = tx.AuditHead(); err != nil {
			return err
		}
		last, err = lastCheckpoint(tx)
		return err
	})
	if err != nil || !due(head, last) {
		return audit.SignedCheckpoint{}, false, err
	}
	s, ok, err := e.App.checkpoint(ctx, e.Key, due)
	if err != nil || !ok {
		return s, ok, err
	}
	line, err := json.Marshal(s)
	if err != nil {
		return s, ok, fmt.Errorf("encode checkpoint: %w", err)
	}
	e.log().Info("audit checkpoint", "checkpoint", json.RawMessage(line))
	return s, true, nil
}

// due returns the emitter's schedule at time now.
func (e *CheckpointEmitter) due(now time.Time) func(audit.Head, *audit.SignedCheckpoint) bool {
	every, interval := e.Every, e.Interval
	if every <= 0 {
		every = DefaultCheckpointEvery
	}
	if interval <= 0 {
		interval = DefaultCheckpointInterval
	}
	return func(head audit.Head, last *audit.SignedCheckpoint) bool {
		switch {
		case last == nil:
			return head.Seq > 0
		case head.Seq <= last.Seq:
			// Nothing new; a head behind the last checkpoint is a removal
			// that audit verify reports, and no reason to vouch for it.
			return false
		case head.Seq-last.Seq >= every:
			return true
		}
		return !now.Before(last.At.Add(interval))
	}
}

func (e *CheckpointEmitter) poll() time.Duration {
	switch {
	case e.Poll > 0:
		return e.Poll
	case e.Interval > 0 && e.Interval < time.Minute:
		return e.Interval
	}
	return time.Minute
}

func (e *CheckpointEmitter) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return e.App.log
}
