package app

import (
	"context"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/rule"
	"blameful.dev/blameful/internal/store"
)

// DeciderFairness is one decider's consistency (J5) and who it is flagged
// to.
type DeciderFairness struct {
	accountability.DeciderStats
	// FlaggedTo is the decider's own leader, when the decider is flagged.
	FlaggedTo org.Ref
}

// Fairness reports, per decider, how their decisions over the policy's
// window compare with guidance (J5). HR and admins see every decider; a
// leader sees themselves and the deciders in their organisation; anyone
// else is refused.
func (a *App) Fairness(ctx context.Context, actor org.Actor) ([]DeciderFairness, error) {
	if !actor.HasAny(org.RoleHR, org.RoleAdmin, org.RoleLeader) {
		return nil, errs.E(errs.Forbidden, "the fairness report is for leaders, HR and admins")
	}
	now := a.Now()
	var out []DeciderFairness
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		window := time.Duration(a.cfg.Accountability.PriorWindowDays) * 24 * time.Hour
		chart, err := a.orgAt(tx, now)
		if err != nil {
			return err
		}
		tallies, err := tx.DecisionTallies(fairnessDeciders(actor, chart), now.Add(-window))
		if err != nil {
			return err
		}
		for _, st := range accountability.Consistency(tallies, a.cfg.Accountability) {
			if !actor.HasAny(org.RoleHR, org.RoleAdmin) && st.Decider != actor.Ref && !accountability.IsInSubtree(st.Decider, actor.Ref, chart) {
				continue
			}
			f := DeciderFairness{DeciderStats: st}
			if st.Flag != "" {
				f.FlaggedTo, _ = accountability.Decider(st.Decider, chart)
			}
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// fairnessDeciders are the deciders whose records the fairness report
// tallies for actor: nil (everyone's) for HR and admins, and for a leader
// themselves and the people of their organisation (the only ones
// IsInSubtree may keep), unless those are more than fairnessTallied, when
// everyone's are read at once. Tallying everyone's a year of records for
// a team's leader took 384 ms on PostgreSQL at PRODUCT.md section 9's size.
func fairnessDeciders(actor org.Actor, chart *org.Chart) []org.Ref {
	if actor.HasAny(org.RoleHR, org.RoleAdmin) {
		return nil
	}
	_, owners := accountability.LedgerScope(actor.Ref, chart)
	deciders := []org.Ref{actor.Ref}
	for _, o := range owners {
		if o.IsPerson() && o != actor.Ref {
			deciders = append(deciders, o)
		}
	}
	if len(deciders) > fairnessTallied {
		return nil
	}
	return deciders
}

// fairnessTallied is how many deciders the fairness report tallies by
// name, at most.
const fairnessTallied = 500

// Ledger is a leader's record (J6). A4Faults, OverdueFollowUps and
// OwnFaults are public; Fairness and FairnessFlags are private to the
// leader, the leaders above, HR and admins (Private says whether the
// caller saw them).
type Ledger struct {
	Leader org.Ref
	Teams  []org.Ref
	// A4Faults and OwnFaults are the newest maxLedgerLines of each; the
	// totals count them all.
	A4Faults         []accountability.Fault
	A4Total          int
	OverdueFollowUps []followup.FollowUp
	OverdueTotal     int
	OwnFaults        []accountability.Fault
	OwnTotal         int
	Private          bool
	Fairness         *DeciderFairness
	FairnessFlags    []accountability.FairnessFlag

	// MissedFollowUps are the follow-ups of owners in the leader's
	// organisation that a confirmed recurrence found still open (F7), the
	// latest maxLedgerLines; MissedTotal counts them all.
	MissedFollowUps []recurrence.Missed
	MissedTotal     int
}

// maxLedgerLines caps each list in a ledger (a variable for the tests).
var maxLedgerLines = 100

// Ledger returns a leader's ledger. The ref must lead a team now.
func (a *App) Ledger(ctx context.Context, actor org.Actor, leader org.Ref) (Ledger, error) {
	now := a.Now()
	l := Ledger{Leader: leader}
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		chart, err := a.orgAt(tx, now)
		if err != nil {
			return err
		}
		var owners []org.Ref
		if l.Teams, owners = accountability.LedgerScope(leader, chart); len(l.Teams) == 0 {
			return errs.E(errs.NotFound, "%s leads no team", leader)
		}
		err = tx.EachFault(leader, func(f accountability.Fault) error {
			if l.OwnTotal++; len(l.OwnFaults) < maxLedgerLines {
				l.OwnFaults = append(l.OwnFaults, f)
			}
			if f.Rule != rule.A4 {
				return nil
			}
			if l.A4Total++; len(l.A4Faults) < maxLedgerLines {
				l.A4Faults = append(l.A4Faults, f)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := a.overdueInSubtree(tx, &l, owners, now); err != nil {
			return err
		}
		if err := missedInSubtree(tx, &l, owners); err != nil {
			return err
		}
		au := audience{subject: leader, chain: accountability.Chain(leader, chart)}
		if l.Private = au.admits(actor); !l.Private {
			return nil
		}
		if l.FairnessFlags, err = tx.FairnessFlags([]org.Ref{leader}); err != nil {
			return err
		}
		window := time.Duration(a.cfg.Accountability.PriorWindowDays) * 24 * time.Hour
		tallies, err := tx.DecisionTallies([]org.Ref{leader}, now.Add(-window))
		if err != nil {
			return err
		}
		if stats := accountability.Consistency(tallies, a.cfg.Accountability); len(stats) == 1 {
			f := DeciderFairness{DeciderStats: stats[0]}
			if f.Flag != "" {
				f.FlaggedTo, _ = accountability.Decider(leader, chart)
			}
			l.Fairness = &f
		}
		return nil
	})
	return l, err
}

// overdueInSubtree fills the overdue follow-ups of the owners in the
// leader's organisation.
func (a *App) overdueInSubtree(tx *store.Tx, l *Ledger, owners []org.Ref, now time.Time) error {
	late := followup.Filter{Owners: owners, Status: followup.Open, DueBefore: followup.Day(now)}
	n, err := tx.CountFollowUps(late)
	if err != nil {
		return err
	}
	l.OverdueTotal = n
	late.Limit = maxLedgerLines
	l.OverdueFollowUps, err = tx.FollowUps(late)
	return err
}
