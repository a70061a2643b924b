package app

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// MyWork is what waits on one actor: the assessments they decide (J2) that
// have no level yet, the follow-ups they own, and the open integrity flags
// they may review (I7).
type MyWork struct {
	Decisions []accountability.Assessment
	FollowUps []followup.FollowUp
	Flags     []integrity.Flag
	// Approvals are the wont_do requests they decide (F3).
	Approvals []PendingApproval
}

// myWorkLimit caps each list of MyWork.
const myWorkLimit = 50

// undecidedScan is how many of the year's undecided assessments Work
// reads, oldest first, of the subjects an actor may decide on, and (for
// HR, who decide where nobody above leads a team) of everyone's.
var undecidedScan = 500

// undecidedFor returns the year's undecided assessments that actor may be
// the one to decide (J2), oldest first: those of the subjects
// accountability.Decides gives them, and for HR the oldest of all. Read
// from everyone's alone, at PRODUCT.md section 9's size the oldest 500 of
// 10,603 were all anyone saw, and a leader with only newer ones waiting
// saw none.
func (a *App) undecidedFor(tx *store.Tx, actor org.Actor, now time.Time) ([]accountability.Assessment, error) {
	since := now.AddDate(-1, 0, 0)
	chart, err := a.orgAt(tx, now)
	if err != nil {
		return nil, err
	}
	var out []accountability.Assessment
	if subjects := accountability.Decides(actor.Ref, chart); len(subjects) > 0 {
		if out, err = tx.UndecidedAssessments(subjects, since, undecidedScan); err != nil {
			return nil, err
		}
	}
	if !actor.Has(org.RoleHR) {
		return out, nil
	}
	all, err := tx.UndecidedAssessments(nil, since, undecidedScan)
	if err != nil {
		return nil, err
	}
	for _, as := range all {
		if !slices.ContainsFunc(out, func(o accountability.Assessment) bool { return o.ID == as.ID }) {
			out = append(out, as)
		}
	}
	slices.SortFunc(out, func(x, y accountability.Assessment) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), strings.Compare(x.ID, y.ID))
	})
	return out, nil
}

// Work returns what waits on the actor, over the last year.
func (a *App) Work(ctx context.Context, actor org.Actor) (MyWork, error) {
	now := a.Now()
	var w MyWork
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		undecided, err := a.undecidedFor(tx, actor, now)
		if err != nil {
			return err
		}
		if len(undecided) > 0 {
			subjects := make([]org.Ref, len(undecided))
			for i, as := range undecided {
				subjects[i] = as.Subject
			}
			chart, err := a.chartFor(tx, subjects, now)
			if err != nil {
				return err
			}
			for _, as := range undecided {
				decider, why := accountability.Decider(as.Subject, chart)
				if accountability.MayDecide(actor, as.Subject, decider, why) == nil && len(w.Decisions) < myWorkLimit {
					w.Decisions = append(w.Decisions, as)
				}
			}
		}
		if actor.Ref.IsPerson() {
			if w.FollowUps, err = tx.FollowUps(followup.Filter{Owner: actor.Ref, Status: followup.Open, Limit: myWorkLimit}); err != nil {
				return err
			}
		}
		if w.Approvals, err = a.approvalsFor(tx, actor); err != nil {
			return err
		}
		return a.flagsToReview(tx, actor, now, &w)
	})
	return w, err
}

// flagsToReview keeps the open flags the actor may review.
func (a *App) flagsToReview(tx *store.Tx, actor org.Actor, now time.Time, w *MyWork) error {
	if !actor.HasAny(org.RoleHR, org.RoleAdmin, org.RoleLeader) {
		return nil
	}
	open, err := tx.Flags(store.FlagFilter{State: integrity.Open})
	if err != nil {
		return err
	}
	chains := map[org.Ref][]org.Ref{}
	for _, f := range open {
		about := f.About(false, "")
		for _, who := range about {
			if _, ok := chains[who]; ok || actor.HasAny(org.RoleHR, org.RoleAdmin) {
				continue
			}
			au, err := a.audienceOf(tx, who, now)
			if err != nil {
				return err
			}
			chains[who] = au.chain
		}
		if integrity.MayReview(actor, about, chains) == nil && !slices.Contains(about, actor.Ref) && len(w.Flags) < myWorkLimit {
			w.Flags = append(w.Flags, f)
		}
	}
	return nil
}
