package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// FollowUpInput is what creating a follow-up takes.
type FollowUpInput struct {
	Incident   incident.ID
	Title      string
	Owner      org.Ref
	Due        time.Time // zero: the default for the incident's severity (F2)
	Priority   followup.Priority
	TrackerURL string
}

// CreateFollowUp adds a follow-up to an incident, with exactly one owner of
// the org and a due date (F2). Any member may create one.
func (a *App) CreateFollowUp(ctx context.Context, actor org.Actor, in FollowUpInput) (followup.FollowUp, error) {
	var f followup.FollowUp
	err := a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		inc, err := tx.Incident(in.Incident)
		if err != nil {
			if errs.KindOf(err) == errs.NotFound {
				return errs.Field("incident", "no incident %s", in.Incident)
			}
			return err
		}
		f, err = a.createFollowUp(tx, actor, &inc, followup.FollowUp{
			Title: in.Title, Owner: in.Owner, Due: in.Due, Priority: in.Priority, TrackerURL: in.TrackerURL,
		})
		return err
	})
	return f, err
}

// createFollowUp fills in defaults, validates, checks the owner exists, and
// stores and records the follow-up inside tx.
func (a *App) createFollowUp(tx *store.Tx, actor org.Actor, inc *incident.Incident, f followup.FollowUp) (followup.FollowUp, error) {
	now := a.Now()
	f.Incident = inc.ID
	f.Title = strings.TrimSpace(f.Title)
	f.Status = followup.Open
	f.CreatedAt, f.CreatedBy = now, actor.Ref
	if f.Priority == "" {
		f.Priority = followup.P2
	}
	if f.Due.IsZero() {
		f.Due = a.cfg.Due.DefaultDue(inc.Severity, now)
	} else if f.Due.Before(followup.Day(now)) {
		return f, errs.Field("due", "%s is in the past", f.Due.Format(time.DateOnly))
	}
	if err := f.Validate(now); err != nil {
		return f, err
	}
	if err := ownerExists(tx, f.Owner); err != nil {
		return f, err
	}
	n, err := tx.NextSequence(fmt.Sprintf("followup-%d", now.Year()))
	if err != nil {
		return f, err
	}
	f.ID = followup.FormatID(now.Year(), n)
	if err := tx.CreateFollowUp(&f); err != nil {
		return f, err
	}
	return f, a.record(tx, actor, "followup.create", string(f.ID), change[followUpRecord]{After: followUpRecordOf(&f)})
}

func ownerExists(tx *store.Tx, owner org.Ref) error {
	var err error
	if owner.IsPerson() {
		_, err = tx.Person(owner)
	} else {
		_, err = tx.Team(owner)
	}
	if errs.KindOf(err) == errs.NotFound {
		return errs.Field("owner", "%s is not in the org", owner)
	}
	return err
}

// FollowUpPatch changes a follow-up; nil fields stay.
type FollowUpPatch struct {
	Title      *string
	Owner      *org.Ref
	Due        *time.Time
	Priority   *followup.Priority
	Status     *followup.Status
	Reason     *string
	TrackerURL *string
}

// UpdateFollowUp changes a follow-up. Marking it wont_do needs a reason
// (F3).
func (a *App) UpdateFollowUp(ctx context.Context, actor org.Actor, id followup.ID, p FollowUpPatch) (followup.FollowUp, error) {
	now := a.Now()
	var f followup.FollowUp
	err := a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		var err error
		if f, err = tx.FollowUp(id); err != nil {
			return err
		}
		before := followUpRecordOf(&f)
		if p.Title != nil {
			f.Title = strings.TrimSpace(*p.Title)
		}
		if p.Owner != nil {
			if err := ownerExists(tx, *p.Owner); err != nil {
				return err
			}
			f.Owner = *p.Owner
		}
		if p.Due != nil {
			f.Due = followup.Day(*p.Due)
		}
		if p.Priority != nil {
			f.Priority = *p.Priority
		}
		if p.TrackerURL != nil {
			f.TrackerURL = strings.TrimSpace(*p.TrackerURL)
		}
		if p.Owner != nil && *p.Owner != before.ownerRef() {
			// The approver was the old owner's leader.
			if err := a.withdrawRequest(tx, actor, f.ID, "the follow-up was given to "+string(*p.Owner)); err != nil {
				return err
			}
		}
		if p.Status != nil && *p.Status == followup.WontDo && f.Status != followup.WontDo {
			// F3: a wont_do waits for the owner's leader, unless the actor is
			// that leader.
			reason := ""
			if p.Reason != nil {
				reason = *p.Reason
			}
			if err := f.Validate(now); err != nil {
				return err
			}
			if _, err := a.requestWontDo(tx, actor, &f, reason); err != nil {
				return err
			}
		} else if p.Status != nil {
			reason := f.Reason
			if p.Reason != nil {
				reason = *p.Reason
			}
			if *p.Status != f.Status {
				if err := a.withdrawRequest(tx, actor, f.ID, "the follow-up was marked "+string(*p.Status)); err != nil {
					return err
				}
			}
			if err := f.SetStatus(*p.Status, reason, now); err != nil {
				return err
			}
		} else if p.Reason != nil {
			f.Reason = strings.TrimSpace(*p.Reason)
		}
		if err := f.Validate(now); err != nil {
			return err
		}
		if unchanged(before, followUpRecordOf(&f)) {
			return nil
		}
		if err := tx.UpdateFollowUp(&f, now); err != nil {
			return err
		}
		return a.record(tx, actor, "followup.update", string(f.ID), change[followUpRecord]{Before: before, After: followUpRecordOf(&f)})
	})
	return f, err
}

// FollowUp returns one follow-up.
func (a *App) FollowUp(ctx context.Context, actor org.Actor, id followup.ID) (followup.FollowUp, error) {
	var f followup.FollowUp
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		f, err = tx.FollowUp(id)
		return err
	})
	return f, err
}

// FollowUps lists follow-ups, soonest due first.
func (a *App) FollowUps(ctx context.Context, actor org.Actor, f followup.Filter) ([]followup.FollowUp, error) {
	var list []followup.FollowUp
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		list, err = tx.FollowUps(f)
		return err
	})
	return list, err
}

type followUpRecord struct {
	Incident   string `json:"incident"`
	Title      string `json:"title"`
	Owner      string `json:"owner"`
	Due        string `json:"due"`
	Priority   string `json:"priority"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	TrackerURL string `json:"tracker_url,omitempty"`
	Rule       string `json:"rule,omitempty"`
}

func (r *followUpRecord) ownerRef() org.Ref { return org.Ref(r.Owner) }

func followUpRecordOf(f *followup.FollowUp) *followUpRecord {
	return &followUpRecord{Incident: string(f.Incident), Title: f.Title, Owner: string(f.Owner), Due: f.Due.Format(time.DateOnly),
		Priority: string(f.Priority), Status: string(f.Status), Reason: f.Reason, TrackerURL: f.TrackerURL, Rule: f.Rule}
}
