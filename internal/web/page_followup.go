package web

import (
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
)

// The follow-up page: one follow-up and how it was followed through — the
// reminders and escalations sent (F4), the wont_do requests and their
// decisions (F3) — with the forms to close it, ask to drop it, and, for the
// leader above its owner, to approve or refuse dropping it.

// followUpPage is the data of the follow-up page. Form names the form a
// refusal belongs to ("status" or "approval"), Error the refusal, Values
// what was typed.
type followUpPage struct {
	app.FollowUpDetail
	Overdue int
	// LateBy is how many days after its due date a closed follow-up closed.
	LateBy int
	Form   string
	Error  *errs.Error
	Values map[string]string
	// Export is the follow-up's issue in GitHub, if it was exported, and
	// whether the reader may export it.
	Export app.ExportView
}

func (s *Server) pageFollowUp(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.showFollowUp(w, r, actor, http.StatusOK, "", nil)
}

func (s *Server) showFollowUp(w http.ResponseWriter, r *http.Request, actor org.Actor, status int, form string, ferr *errs.Error) error {
	d, err := s.app.FollowUpDetail(r.Context(), actor, followUpID(r))
	if err != nil {
		return err
	}
	data := followUpPage{FollowUpDetail: d, Overdue: d.DaysOverdue(s.app.Now()), Form: form, Error: ferr, Values: map[string]string{}}
	if data.Export, err = s.app.FollowUpExport(r.Context(), actor, d.ID); err != nil {
		return err
	}
	if !d.ClosedAt.IsZero() && followup.Day(d.ClosedAt).After(d.Due) {
		data.LateBy = int(followup.Day(d.ClosedAt).Sub(d.Due).Hours() / 24)
	}
	if ferr != nil {
		for k := range r.PostForm {
			data.Values[k] = r.PostFormValue(k)
		}
	}
	return s.render(w, status, "followup", view{Title: string(d.ID) + " " + d.Title, Actor: actor, Section: "followups", Data: data})
}

// followUpForm runs a form of the follow-up page: on success back to the
// page (POST, redirect, GET); on a refusal the page again with it beside
// the form.
func (s *Server) followUpForm(w http.ResponseWriter, r *http.Request, actor org.Actor, form string, write func(followup.ID) error) error {
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	id := followUpID(r)
	err := write(id)
	if err == nil {
		http.Redirect(w, r, "/followups/"+string(id), http.StatusSeeOther)
		return nil
	}
	ferr, ok := formError(err)
	if !ok || ferr.Kind == errs.NotFound {
		return err
	}
	return s.showFollowUp(w, r, actor, statusOf(ferr), form, ferr)
}

// postFollowUpPageStatus marks the follow-up done, asks to drop it
// (wont_do, F3) or reopens it.
func (s *Server) postFollowUpPageStatus(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.followUpForm(w, r, actor, "status", func(id followup.ID) error {
		st, err := followup.ParseStatus(formValue(r, "status"))
		if err != nil {
			return errs.Field("status", "%s", msg(err))
		}
		reason := r.PostFormValue("reason")
		_, err = s.app.UpdateFollowUp(r.Context(), actor, id, app.FollowUpPatch{Status: &st, Reason: &reason})
		return err
	})
}

// postFollowUpApproval approves or refuses a pending wont_do (F3).
func (s *Server) postFollowUpApproval(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.followUpForm(w, r, actor, "approval", func(id followup.ID) error {
		approve := formValue(r, "decision") == "approve"
		if !approve && formValue(r, "decision") != "refuse" {
			return errs.Field("decision", "choose approve or refuse")
		}
		_, err := s.app.DecideWontDo(r.Context(), actor, id, approve, r.PostFormValue("reason"))
		return err
	})
}

// postFollowUpExport exports the follow-up to GitHub Issues: the issue is
// created by the outbox after the redirect, and the page shows it pending
// until then.
func (s *Server) postFollowUpExport(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.followUpForm(w, r, actor, "export", func(id followup.ID) error {
		_, err := s.app.ExportFollowUp(r.Context(), actor, id, app.ExportInput{Tracker: "github", Repo: formValue(r, "repo")})
		return err
	})
}
