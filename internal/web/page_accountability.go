package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/report"
)

// followUpsPage is the follow-ups board: mine, my teams', those owned in a
// leader's organisation (the viewer's own when they lead teams, or the
// leader asked for), and overdue everywhere, under the burn-down of the
// organisation shown, or of every follow-up when none is.
type followUpsPage struct {
	// Approvals are the wont_do requests waiting for the viewer (F3).
	Approvals            []app.PendingApproval
	Mine, Teams, Overdue []followup.FollowUp
	Org                  *orgFollowUps
	// Asked is the leader typed in the form, and LeaderError why it was
	// refused.
	Asked, LeaderError string
	Burndown           report.Chart
	Weeks              int
}

// orgFollowUps is what a leader's organisation owns: the overdue
// follow-ups, and all the open ones.
type orgFollowUps struct {
	app.Organisation
	Overdue, Open []followup.FollowUp
}

// boardLimit caps each list of the board.
const boardLimit = 200

func (s *Server) pageFollowUps(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ctx := r.Context()
	data := followUpsPage{Asked: strings.TrimSpace(r.URL.Query().Get("leader")), Weeks: app.BurndownWeeks}
	late := followup.Filter{Status: followup.Open, DueBefore: followup.Day(s.app.Now()), Limit: boardLimit}
	if err := s.myFollowUps(r, actor, &data, late); err != nil {
		return err
	}
	leader, status := org.Ref(""), http.StatusOK
	switch {
	case data.Asked != "":
		ref, err := org.ParseRef(data.Asked, org.KindUser)
		if err == nil && !ref.IsPerson() {
			err = errs.E(errs.Invalid, "%s is not a person: a leader is someone who leads a team", ref)
		}
		if err != nil {
			data.LeaderError, status = msg(err), http.StatusUnprocessableEntity
			break
		}
		leader = ref
	case actor.Has(org.RoleLeader):
		leader = actor.Ref
	}
	var owners []org.Ref // nil: the burn-down of every follow-up
	if leader != "" {
		o, err := s.app.Organisation(ctx, actor, leader)
		switch ferr, refused := formError(err); {
		case refused:
			data.LeaderError, status = cmp.Or(ferr.Fields["leader"], ferr.Message), statusOf(ferr)
		case err != nil:
			return err
		default:
			if data.Org, err = s.orgFollowUps(r, actor, o, late); err != nil {
				return err
			}
			owners = o.Owners
		}
	}
	approvals, err := s.app.WontDoApprovals(ctx, actor)
	if err != nil {
		return err
	}
	data.Approvals = approvals
	burn, err := s.app.FollowUpBurndown(ctx, actor, owners, data.Weeks)
	if err != nil {
		return err
	}
	data.Burndown = report.BurndownChart("burndown", burn)
	return s.render(w, status, "followups", view{Title: "Follow-ups", Actor: actor, Section: "followups", Data: data})
}

// myFollowUps fills in the board's own lists: the viewer's, their teams',
// and those of late (the overdue ones, everywhere).
func (s *Server) myFollowUps(r *http.Request, actor org.Actor, data *followUpsPage, late followup.Filter) error {
	ctx := r.Context()
	var err error
	if data.Overdue, err = s.app.FollowUps(ctx, actor, late); err != nil || !actor.Ref.IsPerson() {
		return err
	}
	if data.Mine, err = s.app.FollowUps(ctx, actor, followup.Filter{Owner: actor.Ref, Status: followup.Open, Limit: boardLimit}); err != nil {
		return err
	}
	p, err := s.app.Person(ctx, actor, actor.Ref, s.app.Now())
	switch {
	case errors.Is(err, errs.NotFound): // not in the org: no teams
		return nil
	case err != nil || len(p.Teams) == 0:
		return err
	}
	data.Teams, err = s.app.FollowUps(ctx, actor, followup.Filter{Owners: p.Teams, Status: followup.Open, Limit: boardLimit})
	return err
}

// orgFollowUps lists the follow-ups an organisation owns: those of late,
// and all the open ones.
func (s *Server) orgFollowUps(r *http.Request, actor org.Actor, o app.Organisation, late followup.Filter) (*orgFollowUps, error) {
	out := &orgFollowUps{Organisation: o}
	var err error
	if out.Overdue, err = s.app.FollowUps(r.Context(), actor, o.Narrow(late)); err != nil {
		return nil, err
	}
	out.Open, err = s.app.FollowUps(r.Context(), actor, o.Narrow(followup.Filter{Status: followup.Open, Limit: boardLimit}))
	return out, err
}

// ledgerPage is a leader's ledger (J6): public A4 faults and overdue
// follow-ups, and, for those who may see them, the private fairness parts.
type ledgerPage struct{ app.Ledger }

func (s *Server) pageLedger(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, org.KindUser)
	if err != nil {
		return err
	}
	l, err := s.app.Ledger(r.Context(), actor, ref)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "ledger", view{Title: "Ledger of " + ref.Short(), Actor: actor, Section: "leaders", Data: ledgerPage{l}})
}

func (s *Server) pageFairness(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	stats, err := s.app.Fairness(r.Context(), actor)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "fairness", view{Title: "Fairness", Actor: actor, Section: "leaders", Data: stats})
}

// flagsPage lists integrity flags; a refused review is shown in place.
type flagsPage struct {
	Flags  []app.FlagView
	State  string
	Form   string // the flag whose review was refused
	Error  *errs.Error
	Values map[string]string
}

func (s *Server) showFlags(w http.ResponseWriter, r *http.Request, actor org.Actor, status int, form string, ferr *errs.Error) error {
	state := integrity.State(r.URL.Query().Get("state"))
	if state == "" && ferr == nil {
		state = integrity.Open
	}
	flags, err := s.app.IntegrityFlags(r.Context(), actor, incident.ID(""), state)
	if err != nil {
		return err
	}
	data := flagsPage{Flags: flags, State: string(state), Form: form, Error: ferr, Values: map[string]string{}}
	if ferr != nil {
		for k := range r.PostForm {
			data.Values[k] = r.PostFormValue(k)
		}
	}
	return s.render(w, status, "flags", view{Title: "Integrity flags", Actor: actor, Section: "flags", Data: data})
}

func (s *Server) pageFlags(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.showFlags(w, r, actor, http.StatusOK, "", nil)
}

func (s *Server) postFlagReview(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	id := r.PathValue("id")
	confirm := formValue(r, "outcome") == "confirm"
	var subject org.Ref
	if confirm {
		ref, err := org.ParseRef(formValue(r, "subject"), org.KindUser)
		if err != nil {
			return s.showFlags(w, r, actor, http.StatusUnprocessableEntity, id, errs.Field("subject", "%s", msg(err)))
		}
		subject = ref
	}
	if _, err := s.app.ReviewFlag(r.Context(), actor, id, confirm, subject, formValue(r, "reason")); err != nil {
		ferr, ok := formError(err)
		if !ok {
			return err
		}
		return s.showFlags(w, r, actor, statusOf(ferr), id, ferr)
	}
	http.Redirect(w, r, "/integrity", http.StatusSeeOther)
	return nil
}

// auditPage is the audit log's standing as last verified, and whether the
// viewer may verify it again. Verifying walks every event and row, so a
// view only reads what the last verification found.
type auditPage struct {
	app.AuditStatus
	CanVerify bool
}

// Since is how many events were written after the last verification's
// head: events it does not vouch for yet.
func (p auditPage) Since() int64 {
	if p.Last == nil {
		return p.Head.Seq
	}
	return max(p.Head.Seq-p.Last.Head.Seq, 0)
}

// Took is how long the last verification took, in words.
func (p auditPage) Took() string {
	if p.Last == nil {
		return ""
	}
	switch d := p.Last.Took; {
	case d < time.Millisecond:
		return "under a millisecond"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
}

// By is who asked for the last verification.
func (p auditPage) By() org.Ref {
	if p.Last == nil {
		return ""
	}
	return org.Ref(p.Last.By)
}

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	st, err := s.app.AuditStatus(r.Context(), actor)
	if err != nil {
		return err
	}
	data := auditPage{AuditStatus: st, CanVerify: app.CanVerifyAudit(actor)}
	return s.render(w, http.StatusOK, "audit", view{Title: "Audit log", Actor: actor, Section: "audit", Data: data})
}

// postAuditVerify verifies the log now, as GET /api/v1/audit/verify does
// (a break raises its I6 flag), records the run, and shows it.
func (s *Server) postAuditVerify(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	if _, err := s.app.VerifyAudit(r.Context(), actor, app.FlagBreak(), app.Record()); err != nil {
		return err
	}
	http.Redirect(w, r, "/audit", http.StatusSeeOther)
	return nil
}
