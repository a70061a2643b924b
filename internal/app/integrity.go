package app

import (
	"context"
	"errors"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/store"
)

// raise stores flags the detectors found (once per key) and records each
// new one, inside the transaction of the change that revealed it.
func (a *App) raise(tx *store.Tx, actor org.Actor, flags ...integrity.Flag) error {
	for _, f := range flags {
		f.ID = a.newID()
		created, err := tx.RaiseFlag(&f)
		if err != nil {
			return err
		}
		if !created {
			continue
		}
		if err := a.record(tx, actor, "integrity.raise", f.ID, flagRecord{Rule: string(f.Rule), Incident: string(f.Incident),
			Key: f.Key, Suspect: string(f.Suspect)}); err != nil {
			return err
		}
	}
	return nil
}

// detectIncident runs the incident-level detectors after a write: I1 always,
// I3 when the severity changed.
func (a *App) detectIncident(tx *store.Tx, actor org.Actor, before, after *incident.Incident) error {
	now := a.Now()
	entries, err := tx.Entries(after.ID, false)
	if err != nil {
		return err
	}
	var found []integrity.Flag
	if f, ok := integrity.LateDeclaration(after, entries, a.cfg.Integrity, now); ok {
		found = append(found, f)
	}
	if before != nil {
		if f, ok := integrity.Downgrade(before, after, actor.Ref, now); ok {
			found = append(found, f)
		}
	}
	return a.raise(tx, actor, found...)
}

// detectEntry runs the timeline detectors after an entry was added or
// changed: I1 (an alert may reveal a late declaration), I4 (disclosed after
// the decision), and I2 (changed under review) when rev is set.
func (a *App) detectEntry(tx *store.Tx, actor org.Actor, e incident.Entry, rev *incident.Revision) error {
	now := a.Now()
	in, err := tx.Incident(e.Incident)
	if err != nil {
		return err
	}
	if err := a.detectIncident(tx, actor, nil, &in); err != nil {
		return err
	}
	var found []integrity.Flag
	d, err := tx.Decision(in.ID)
	switch {
	case err == nil:
		if f, ok := integrity.LateDisclosure(&in, e, d.DecidedAt, now); ok && !e.Deleted {
			found = append(found, f)
		}
	case !errors.Is(err, errs.NotFound):
		return err
	}
	if rev != nil {
		started, err := tx.ReviewStartedAt(in.ID)
		if err != nil {
			return err
		}
		if f, ok := integrity.Rewrite(in.ID, *rev, started, now); ok {
			found = append(found, f)
		}
	}
	return a.raise(tx, actor, found...)
}

// SweepIntegrity raises the flags that time alone reveals: postmortems past
// their due date (I5). The server runs it periodically; it is idempotent.
func (a *App) SweepIntegrity(ctx context.Context) (int, error) {
	actor := org.System("integrity")
	now := a.Now()
	raised := 0
	err := a.db.Update(ctx, func(tx *store.Tx) error {
		// Due at least as many calendar days as business days after
		// resolution: nothing resolved more recently can be overdue.
		cands, err := tx.OverdueCandidates(now.AddDate(0, 0, -a.cfg.PostmortemDueDays))
		if err != nil {
			return err
		}
		var found []integrity.Flag
		for _, in := range cands {
			due := postmortem.DueAt(in.ResolvedAt, a.cfg.PostmortemDueDays)
			if f, ok := integrity.MissingPostmortem(&in, due, now.After(due), now); ok {
				found = append(found, f)
			}
		}
		raised = len(found)
		return a.raise(tx, actor, found...)
	})
	return raised, err
}

// Reviewed is the state a redacted flag shows: reviewed, outcome private.
const Reviewed integrity.State = "reviewed"

// FlagView is an integrity flag as one actor may see it. A review's outcome
// (confirmed or dismissed, the subject, the reason) is private: Redacted
// flags show only that the flag was reviewed.
type FlagView struct {
	integrity.Flag
	Redacted bool
}

// IntegrityFlags lists flags (of one incident, or all), newest first. Open
// flags are for the weekly review and visible to every member; a reviewed
// flag's outcome only to HR, admins, its reviewer, and the people it is
// about with the leaders above them.
func (a *App) IntegrityFlags(ctx context.Context, actor org.Actor, id incident.ID, state integrity.State) ([]FlagView, error) {
	var out []FlagView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		filter := store.FlagFilter{Incident: id, Limit: 500}
		if state == integrity.Open {
			filter.State = state
		}
		flags, err := tx.Flags(filter)
		if err != nil {
			return err
		}
		for _, f := range flags {
			v, err := a.flagView(tx, actor, f)
			if err != nil {
				return err
			}
			// Filtering happens on what the actor may see, so a redacted
			// flag ("reviewed") never shows up under "confirmed".
			if state == "" || v.State == state || (state == Reviewed && v.State != integrity.Open) {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

func (a *App) flagView(tx *store.Tx, actor org.Actor, f integrity.Flag) (FlagView, error) {
	if f.State == integrity.Open || actor.HasAny(org.RoleHR, org.RoleAdmin) || actor.Ref == f.ReviewedBy {
		return FlagView{Flag: f}, nil
	}
	for _, who := range []org.Ref{f.Subject, f.Suspect} {
		if who.IsZero() {
			continue
		}
		ok, err := a.mayViewPrivate(tx, actor, who, a.Now())
		if err != nil || ok {
			return FlagView{Flag: f}, err
		}
	}
	f.Subject, f.Reason, f.ReviewedBy, f.State = "", "", "", Reviewed
	return FlagView{Flag: f, Redacted: true}, nil
}

// ReviewFlag confirms a flag, naming the person whose integrity it concerns,
// or dismisses it, with a reason either way (I7). A confirmed flag sets
// integrity_violation on that person's assessment of the incident, counts
// as a fault of its own (J7), and notifies HR. HR, admins and leaders
// review; nobody reviews a flag about themselves.
func (a *App) ReviewFlag(ctx context.Context, actor org.Actor, id string, confirm bool, subject org.Ref, reason string) (FlagView, error) {
	var v FlagView
	err := a.write(ctx, actor, []org.Role{org.RoleHR, org.RoleAdmin, org.RoleLeader}, func(tx *store.Tx) error {
		f, err := tx.Flag(id)
		if err != nil {
			return err
		}
		if confirm {
			if _, err := tx.Person(subject); err != nil && subject.IsPerson() {
				return errs.Field("subject", "%s is not a person of the org", subject)
			}
		}
		if err := a.mayReview(tx, actor, f, confirm, subject); err != nil {
			return err
		}
		if err := f.Review(confirm, subject, reason, actor.Ref, a.Now()); err != nil {
			return err
		}
		if err := tx.ReviewFlag(&f); err != nil {
			return err
		}
		if confirm {
			if err := a.notify(tx, "integrity.confirmed", "role:hr", map[string]any{
				"flag": f.ID, "rule": f.Rule, "incident": f.Incident, "subject": f.Subject, "reviewed_by": f.ReviewedBy}); err != nil {
				return err
			}
		}
		if err := a.record(tx, actor, "integrity.review", f.ID, flagRecord{Rule: string(f.Rule), Incident: string(f.Incident),
			Key: f.Key, State: string(f.State), Subject: string(f.Subject), Reason: f.Reason}); err != nil {
			return err
		}
		v = FlagView{Flag: f}
		return nil
	})
	return v, err
}

// mayReview lets HR and admins review any flag, and a leader only flags
// about people in their own organisation: the suspect, and on confirming
// the subject, must be below them. A flag about nobody (I5, I6) is HR's or
// an admin's to review.
func (a *App) mayReview(tx *store.Tx, actor org.Actor, f integrity.Flag, confirm bool, subject org.Ref) error {
	about := f.About(confirm, subject)
	leaders := make(map[org.Ref][]org.Ref, len(about))
	if !actor.HasAny(org.RoleHR, org.RoleAdmin) {
		for _, who := range about {
			au, err := a.audienceOf(tx, who, a.Now())
			if err != nil {
				return err
			}
			leaders[who] = au.chain
		}
	}
	return integrity.MayReview(actor, about, leaders)
}

type flagRecord struct {
	Rule     string `json:"rule"`
	Incident string `json:"incident,omitempty"`
	Key      string `json:"key"`
	Suspect  string `json:"suspect,omitempty"`
	State    string `json:"state,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// runEvery runs fn now and then every interval until ctx ends, logging
// failures; the server uses it for sweeps.
func (a *App) runEvery(ctx context.Context, interval time.Duration, name string, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("background job failed", "job", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunAuditChecks verifies the audit chain every interval until ctx ends, so
// a break raises its I6 flag without anyone running audit verify. It checks
// the chain alone: checkpoints signed into this database's own table prove
// nothing against whoever could rewrite it, so verifying against them is
// left to audit verify --checkpoint with a copy kept elsewhere.
//
// Each check is recorded (Record), so the audit page shows the last one.
func (a *App) RunAuditChecks(ctx context.Context, interval time.Duration) {
	a.runEvery(ctx, interval, "audit-verify", func(ctx context.Context) error {
		v, err := a.VerifyAudit(ctx, org.System("audit-verify"), FlagBreak(), Record())
		switch {
		case err != nil:
		case v.Break != nil:
			a.log.Error("the audit chain is broken", "event", v.Break.Seq, "reason", v.Break.Reason)
		case !v.OK:
			// The chain holds, and rows were changed behind its back.
			a.log.Error("accountable rows are not what the audit chain recorded", "rows", v.RowFindingCount)
		}
		return err
	})
}
