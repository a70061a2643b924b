package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// How a delivery pass works through the outbox.
const (
	// dispatchBatch messages get their delivery rows per transaction.
	dispatchBatch = 200
	// claimBatch deliveries are claimed at a time, each held for
	// deliveryLease: long enough for the batch's tries, each bounded by
	// the sender's timeout, and short enough that a crashed pass's
	// claims come back soon.
	claimBatch    = 10
	deliveryLease = 5 * time.Minute
	// maxTriesPerPass bounds one pass, so that a backlog is worked off
	// over several passes instead of one that never ends.
	maxTriesPerPass = 1000
)

// DeliveryReport counts what one delivery pass did.
type DeliveryReport struct {
	// Dispatched is the number of messages given their delivery rows.
	Dispatched int
	// Delivered, Failed and Dead count tries: accepted, failed and due
	// again later, and failed for the last time.
	Delivered, Failed, Dead int
}

// String says what the pass did, for `blameful jobs run` and the log.
func (r DeliveryReport) String() string {
	return fmt.Sprintf("%d delivered, %d failed (to try again), %d dead; %d new messages dispatched", r.Delivered, r.Failed, r.Dead, r.Dispatched)
}

// DeliverOutbox makes one delivery pass at now, with the channels s has.
// First every message not yet dispatched gets a delivery row for each
// configured channel that applies to it (notify.Applies; email only when
// its recipient resolves to an address); then every delivery due at now
// on a channel s has is claimed, tried once, and recorded: delivered,
// failed and due again after a back-off, or dead after its last try or an
// error no retry cures. A sender with no channel does nothing, and dispatches nothing,
// so that messages wait for a channel to be configured.
//
// Several passes may run at once, in one process or in several sharing a
// PostgreSQL database: a claim holds a delivery for one pass, so each try
// is made once. A pass that dies after a try and before recording it
// leaves the claim to run out, and the delivery is tried again: delivery
// is at least once, and a receiver drops repeats by the key. Only the
// background jobs call it; it takes no actor.
func (a *App) DeliverOutbox(ctx context.Context, s *notify.Sender, now time.Time) (DeliveryReport, error) {
	var rep DeliveryReport
	if len(s.Configured()) == 0 {
		return rep, nil
	}
	for {
		n, err := a.dispatch(ctx, s, now)
		rep.Dispatched += n
		if err != nil {
			return rep, err
		}
		if n < dispatchBatch {
			break
		}
	}
	var channels []string
	for _, ch := range s.Configured() {
		channels = append(channels, string(ch))
	}
	for rep.Delivered+rep.Failed+rep.Dead < maxTriesPerPass {
		claim := a.newID()
		var batch []store.Delivery
		err := a.db.Update(ctx, func(tx *store.Tx) (err error) {
			batch, err = tx.ClaimDeliveries(now, deliveryLease, claim, channels, claimBatch)
			return err
		})
		if err != nil {
			return rep, err
		}
		if len(batch) == 0 {
			break
		}
		for _, d := range batch {
			if err := a.try(ctx, s, d, claim, now, &rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// dispatch gives up to dispatchBatch undispatched messages their delivery
// rows, and returns how many messages it looked at.
func (a *App) dispatch(ctx context.Context, s *notify.Sender, now time.Time) (int, error) {
	n := 0
	err := a.db.Update(ctx, func(tx *store.Tx) error {
		msgs, err := tx.Undispatched(dispatchBatch)
		if err != nil {
			return err
		}
		n = len(msgs)
		for _, om := range msgs {
			m := notifyMessage(om)
			var channels, ids []string
			for _, ch := range dispatchChannels(s, m) {
				if ch == notify.Email {
					if m.To, err = recipientAddresses(tx, m.Recipient, now); err != nil {
						return err
					}
				}
				if notify.Applies(ch, m) {
					channels = append(channels, string(ch))
					ids = append(ids, a.newID())
				}
			}
			if _, err := tx.Dispatch(om.ID, ids, channels, now); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// try makes one claimed try and records its outcome.
func (a *App) try(ctx context.Context, s *notify.Sender, d store.Delivery, claim string, now time.Time, rep *DeliveryReport) error {
	m := notifyMessage(d.Message)
	ch := notify.Channel(d.Channel)
	var sendErr error
	if ch == notify.Email {
		err := a.db.View(ctx, func(tx *store.Tx) (err error) {
			m.To, err = recipientAddresses(tx, m.Recipient, now)
			return err
		})
		if err != nil {
			return err
		}
		if len(m.To) == 0 {
			sendErr = notify.Permanent(errors.New("the recipient " + m.Recipient + " has no email address now"))
		}
	}
	var issue notify.Issue
	switch {
	case sendErr != nil:
	case ch == notify.GitHub:
		issue, sendErr = s.CreateIssue(ctx, m)
	default:
		sendErr = s.Send(ctx, ch, m, now)
	}
	if ctx.Err() != nil {
		// Shutting down: leave the claim to run out, and the delivery to
		// be tried again, rather than count a try cut short as failed.
		return ctx.Err()
	}
	state, next, text := store.DeliveryDelivered, time.Time{}, ""
	switch {
	case sendErr == nil:
		rep.Delivered++
	case notify.IsPermanent(sendErr) || d.Attempts >= s.Attempts():
		state, text = store.DeliveryDead, sendErr.Error()
		rep.Dead++
	default:
		state, text = store.DeliveryPending, sendErr.Error()
		next = now.Add(notify.Backoff(d.Attempts, rand.Float64()))
		rep.Failed++
	}
	if sendErr != nil {
		a.log.Warn("notification not delivered", "delivery_id", d.ID, "channel", d.Channel, "kind", m.Kind,
			"attempt", d.Attempts, "state", state, "err", sendErr)
	}
	return a.db.Update(ctx, func(tx *store.Tx) error {
		wrote, err := tx.FinishDelivery(d.ID, claim, state, next, clipError(text), now)
		if err != nil || !wrote || state != store.DeliveryDelivered || ch != notify.GitHub {
			return err
		}
		return a.issueCreated(tx, m, issue, now)
	})
}

// dispatchChannels returns the channels a message may go to: the
// sender's, and for an issue to create, GitHub's even when this process
// has no GitHub token, so that the issue waits for one that has (serve
// and jobs run may be configured apart) instead of being dropped.
func dispatchChannels(s *notify.Sender, m notify.Message) []notify.Channel {
	chans := s.Configured()
	if m.Kind == notify.KindGitHubIssue && !slices.Contains(chans, notify.GitHub) {
		chans = append(slices.Clone(chans), notify.GitHub)
	}
	return chans
}

// clipError keeps a stored error to a readable size.
func clipError(s string) string {
	const max = 1000
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

func notifyMessage(m store.OutboxMessage) notify.Message {
	return notify.Message{ID: m.ID, Kind: m.Kind, Recipient: m.Recipient, Payload: m.Payload, CreatedAt: m.CreatedAt}
}

// recipientAddresses resolves a message's recipient to email addresses at
// now: a person to their email (none once they left or were erased), a
// team to its leader's, and a role (role:hr) to the people whose enabled
// accounts hold it. Anything else (a checkpoint's "checkpoint", a
// channel) has none. Emails go to a team's leader, not to every member:
// the leader answers for what the team owns, and decides who acts.
func recipientAddresses(tx *store.Tx, recipient string, now time.Time) ([]string, error) {
	if role, ok := strings.CutPrefix(recipient, "role:"); ok {
		return tx.RoleAddresses(role)
	}
	ref := org.Ref(recipient)
	if ref.IsTeam() {
		edges, err := tx.Edges(store.EdgeFilter{Objects: []org.Ref{ref}, Relations: []org.Relation{org.Leads}, At: now})
		if err != nil || len(edges) != 1 {
			return nil, err // no leader, or an ambiguous one: nobody to write to
		}
		ref = edges[0].Subject
	}
	if !ref.IsPerson() {
		return nil, nil
	}
	p, err := tx.Person(ref)
	if errors.Is(err, errs.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if p.Email == "" || !p.IsActiveAt(now) || !p.Erased.IsZero() {
		return nil, nil
	}
	return []string{p.Email}, nil
}
