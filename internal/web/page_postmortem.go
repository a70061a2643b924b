package web

import (
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// postmortemPage is the postmortem editor: the document, the attribution
// with the engine's reasoning, the follow-ups and the state. A refused
// form is shown again in place, with what was typed and why it was
// refused (Form names which form; Error the refusal).
type postmortemPage struct {
	app.PostmortemView
	Attribution app.AttributionView
	Form        string
	Error       *errs.Error
	Values      map[string]string
	// Recurrence is the "Possible recurrences" section (F6, F7).
	Recurrence recurrenceSection
}

// showPostmortem renders the editor, with status and a refused form if any.
func (s *Server) showPostmortem(w http.ResponseWriter, r *http.Request, actor org.Actor, id incident.ID, status int, form string, ferr *errs.Error) error {
	v, err := s.app.Postmortem(r.Context(), actor, id)
	if err != nil {
		return err
	}
	att, err := s.app.Attribution(r.Context(), actor, id)
	if err != nil {
		return err
	}
	data := postmortemPage{PostmortemView: v, Attribution: att, Form: form, Error: ferr, Values: map[string]string{}}
	if data.Recurrence, err = s.recurrences(r, actor, id, "postmortem", nil); err != nil {
		return err
	}
	if ferr != nil {
		for k := range r.PostForm {
			data.Values[k] = r.PostFormValue(k)
		}
	}
	return s.render(w, status, "postmortem", view{Title: "Postmortem " + string(id), Actor: actor, Section: "incidents", Data: &data})
}

func (s *Server) pagePostmortem(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.showPostmortem(w, r, actor, id, http.StatusOK, "", nil)
}

// formAction runs a form's write for the incident page named by page
// ("postmortem", "assessment"): on success it sends the browser back to the
// page (POST, then redirect, then GET); on a refusal a user can act on, it
// shows the page again (show) with the refusal beside the form.
func (s *Server) formAction(w http.ResponseWriter, r *http.Request, actor org.Actor, page, form string, show showFunc, write func(id incident.ID) error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	err = write(id)
	if err == nil {
		http.Redirect(w, r, "/incidents/"+string(id)+"/"+page+"#"+form, http.StatusSeeOther)
		return nil
	}
	ferr, ok := formError(err)
	if !ok {
		return err
	}
	return show(w, r, actor, id, statusOf(ferr), form, ferr)
}

// showFunc renders an incident page with status and a refused form.
type showFunc func(w http.ResponseWriter, r *http.Request, actor org.Actor, id incident.ID, status int, form string, ferr *errs.Error) error

// postmortemForm is formAction for the postmortem editor.
func (s *Server) postmortemForm(w http.ResponseWriter, r *http.Request, actor org.Actor, form string, write func(id incident.ID) error) error {
	return s.formAction(w, r, actor, "postmortem", form, s.showPostmortem, write)
}

func (s *Server) postPostmortem(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.postmortemForm(w, r, actor, "document", func(id incident.ID) error {
		doc := app.PostmortemDoc{}
		for _, f := range []struct {
			name string
			dst  **string
		}{{"summary", &doc.Summary}, {"impact", &doc.Impact}, {"mechanism", &doc.Mechanism}, {"went_well", &doc.WentWell}, {"went_poorly", &doc.WentPoorly}} {
			if _, sent := r.PostForm[f.name]; sent {
				v := r.PostFormValue(f.name)
				*f.dst = &v
			}
		}
		_, err := s.app.EditPostmortem(r.Context(), actor, id, doc)
		return err
	})
}

func (s *Server) postAttribution(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.postmortemForm(w, r, actor, "attribution", func(id incident.ID) error {
		party, err := postmortem.SingleParty(postmortem.Claim{Named: []string{formValue(r, "party")}})
		if err != nil {
			return err
		}
		_, err = s.app.DecideAttribution(r.Context(), actor, id, party, formValue(r, "justification"))
		return err
	})
}

func (s *Server) postFollowUp(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.postmortemForm(w, r, actor, "followups", func(id incident.ID) error {
		var p errs.Problems
		in := app.FollowUpInput{Incident: id, Title: formValue(r, "title"), Owner: ownerRef(&p, formValue(r, "owner")), Priority: followup.P2}
		if due := formValue(r, "due"); due != "" {
			d, err := followup.ParseDay(due)
			if err != nil {
				p.Add("due", "%s", msg(err))
			}
			in.Due = d
		}
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.app.CreateFollowUp(r.Context(), actor, in)
		return err
	})
}

func (s *Server) postTransition(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.postmortemForm(w, r, actor, "state", func(id incident.ID) error {
		to, err := postmortem.ParseState(formValue(r, "to"))
		if err != nil {
			return errs.Field("to", "%s", msg(err))
		}
		_, err = s.app.TransitionPostmortem(r.Context(), actor, id, to)
		return err
	})
}

// postFollowUpStatus marks a follow-up of the incident done, or wont_do
// with a reason (F3), from the postmortem editor.
func (s *Server) postFollowUpStatus(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.postmortemForm(w, r, actor, "followups", func(id incident.ID) error {
		st, err := followup.ParseStatus(formValue(r, "status"))
		if err != nil {
			return errs.Field("status", "%s", msg(err))
		}
		fid := followup.ID(r.PathValue("followup"))
		f, err := s.app.FollowUp(r.Context(), actor, fid)
		if err != nil {
			return err
		}
		if f.Incident != id {
			return errs.E(errs.NotFound, "%s is not a follow-up of %s", fid, id)
		}
		reason := formValue(r, "reason")
		_, err = s.app.UpdateFollowUp(r.Context(), actor, fid, app.FollowUpPatch{Status: &st, Reason: &reason})
		return err
	})
}

// postEntry adds a timeline entry from the incident page.
func (s *Server) postEntry(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	req := entryRequest{OccurredAt: localTime(formValue(r, "occurred_at")), Kind: formValue(r, "kind"), Text: r.PostFormValue("text")}
	in, err := req.input()
	if err == nil {
		_, err = s.app.AddEntry(r.Context(), actor, id, in)
	}
	if err != nil {
		ferr, ok := formError(err)
		if !ok {
			return err
		}
		return s.showIncident(w, r, actor, id, statusOf(ferr), "timeline", ferr)
	}
	http.Redirect(w, r, "/incidents/"+string(id)+"#timeline", http.StatusSeeOther)
	return nil
}
