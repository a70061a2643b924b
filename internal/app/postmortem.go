package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/store"
)

// PostmortemView is a postmortem with what surrounds it.
type PostmortemView struct {
	postmortem.Postmortem
	Incident incident.Incident
	// Due is when it is due (F5), zero while the incident is unresolved.
	Due       time.Time
	Overdue   bool
	Decision  *blame.Decision
	FollowUps []followup.FollowUp
}

// Postmortem returns an incident's postmortem.
func (a *App) Postmortem(ctx context.Context, actor org.Actor, id incident.ID) (PostmortemView, error) {
	var v PostmortemView
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		v, err = a.postmortemView(tx, id)
		return err
	})
	return v, err
}

func (a *App) postmortemView(tx *store.Tx, id incident.ID) (PostmortemView, error) {
	var v PostmortemView
	inc, err := tx.Incident(id)
	if err != nil {
		return v, err
	}
	pm, err := tx.Postmortem(id)
	if err != nil {
		return v, err
	}
	v = PostmortemView{Postmortem: pm, Incident: inc, Due: postmortem.DueAt(inc.ResolvedAt, a.cfg.PostmortemDueDays)}
	v.Overdue = pm.IsOverdue(v.Due, a.Now())
	d, err := tx.Decision(id)
	switch {
	case err == nil:
		v.Decision = &d
	case !errors.Is(err, errs.NotFound):
		return v, err
	}
	v.FollowUps, err = tx.FollowUps(followup.Filter{Incident: id})
	return v, err
}

// PostmortemDoc is the document's text; nil fields stay as they are.
type PostmortemDoc struct {
	Summary    *string
	Impact     *string
	Mechanism  *string
	Factors    *[]postmortem.Factor
	WentWell   *string
	WentPoorly *string
}

// EditPostmortem changes the document while it is a draft or in review. Any
// member may edit.
func (a *App) EditPostmortem(ctx context.Context, actor org.Actor, id incident.ID, doc PostmortemDoc) (PostmortemView, error) {
	now := a.Now()
	var v PostmortemView
	err := a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		pm, err := tx.Postmortem(id)
		if err != nil {
			return err
		}
		if !pm.IsEditable() {
			return errs.E(errs.Conflict, "the postmortem of %s is %s and can no longer be edited", id, pm.State)
		}
		before := pm
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&pm.Summary, doc.Summary}, {&pm.Impact, doc.Impact}, {&pm.Mechanism, doc.Mechanism}, {&pm.WentWell, doc.WentWell}, {&pm.WentPoorly, doc.WentPoorly}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		if doc.Factors != nil {
			pm.Factors = *doc.Factors
			if err := factorPartiesExist(tx, pm.Factors); err != nil {
				return err
			}
		}
		if err := pm.Validate(); err != nil {
			return err
		}
		if !unchanged(pmRecordOf(&before), pmRecordOf(&pm)) {
			pm.UpdatedAt, pm.UpdatedBy = now, actor.Ref
			if err := tx.SavePostmortem(&pm); err != nil {
				return err
			}
			if err := a.record(tx, actor, "postmortem.edit", string(id), change[postmortemRecord]{Before: pmRecordOf(&before), After: pmRecordOf(&pm)}); err != nil {
				return err
			}
		}
		v, err = a.postmortemView(tx, id)
		return err
	})
	return v, err
}

func factorPartiesExist(tx *store.Tx, fs []postmortem.Factor) error {
	var p errs.Problems
	for i, f := range fs {
		if f.Party.IsZero() {
			continue
		}
		if err := partyExists(tx, f.Party); err != nil {
			p.Add(fmt.Sprintf("contributing_factors[%d].party", i), "%s is not a person or team of the org", f.Party)
		}
	}
	return p.Err()
}

// TransitionPostmortem moves a postmortem to another state. Publishing
// needs exactly one decided party (A1), at least one follow-up that is not
// wont_do (F1), and a resolved incident. Any member may submit for review or
// send back to draft; publishing and closing take a leader or an admin.
func (a *App) TransitionPostmortem(ctx context.Context, actor org.Actor, id incident.ID, to postmortem.State) (PostmortemView, error) {
	now := a.Now()
	roles := []org.Role{org.RoleMember}
	if to == postmortem.Published || to == postmortem.Closed {
		roles = []org.Role{org.RoleLeader, org.RoleAdmin}
	}
	var v PostmortemView
	err := a.write(ctx, actor, roles, func(tx *store.Tx) error {
		cur, err := a.postmortemView(tx, id)
		if err != nil {
			return err
		}
		r := postmortem.Readiness{Resolved: cur.Incident.Status == incident.StatusResolved}
		if cur.Decision != nil {
			r.Parties = 1
		}
		for _, f := range cur.FollowUps {
			if f.Status != followup.WontDo {
				r.FollowUps++
			}
		}
		pm := cur.Postmortem
		from := pm.State
		if err := pm.Transition(to, r, now); err != nil {
			return err
		}
		pm.UpdatedBy = actor.Ref
		if err := tx.SavePostmortem(&pm); err != nil {
			return err
		}
		if to == postmortem.InReview {
			if err := tx.MarkReviewStarted(id, now); err != nil {
				return err
			}
		}
		if err := a.record(tx, actor, "postmortem.transition", string(id), transitionRecord{From: string(from), To: string(to)}); err != nil {
			return err
		}
		v, err = a.postmortemView(tx, id)
		return err
	})
	return v, err
}

type transitionRecord struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type postmortemRecord struct {
	State      string   `json:"state"`
	Summary    string   `json:"summary"`
	Impact     string   `json:"impact"`
	Mechanism  string   `json:"mechanism"`
	Factors    []string `json:"contributing_factors"`
	WentWell   string   `json:"went_well"`
	WentPoorly string   `json:"went_poorly"`
}

func pmRecordOf(p *postmortem.Postmortem) *postmortemRecord {
	r := &postmortemRecord{State: string(p.State), Summary: p.Summary, Impact: p.Impact, Mechanism: p.Mechanism,
		WentWell: p.WentWell, WentPoorly: p.WentPoorly, Factors: []string{}}
	for _, f := range p.Factors {
		s := f.Text
		if !f.Party.IsZero() {
			s += " [" + string(f.Party) + "]"
		}
		r.Factors = append(r.Factors, s)
	}
	return r
}
