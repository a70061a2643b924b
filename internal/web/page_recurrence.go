package web

import (
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// recurrenceSection is the "Possible recurrences" part of the incident and
// postmortem pages: the candidates with their scores, reasons and forms to
// confirm or dismiss each (F6), and the decided links in both directions
// with their missed follow-ups (F7). Back names the page a form returns to.
type recurrenceSection struct {
	Incident   incident.ID
	Candidates []app.Candidate
	Links      app.RecurrenceLinks
	Back       string
	Error      *errs.Error
	// Earlier is the candidate a refused form was about.
	Earlier string
}

// recurrences loads the section for an incident's page.
func (s *Server) recurrences(r *http.Request, actor org.Actor, id incident.ID, back string, ferr *errs.Error) (recurrenceSection, error) {
	sec := recurrenceSection{Incident: id, Back: back, Error: ferr}
	var err error
	if sec.Candidates, err = s.app.RecurrenceCandidates(r.Context(), actor, id); err != nil {
		return sec, err
	}
	if sec.Links, err = s.app.Recurrences(r.Context(), actor, id); err != nil {
		return sec, err
	}
	if ferr != nil {
		sec.Earlier = formValue(r, "earlier")
	}
	return sec, nil
}

// postRecurrence confirms or dismisses a candidate from the incident or
// postmortem page; a refusal shows in place on the incident page.
func (s *Server) postRecurrence(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	var p errs.Problems
	earlier := incidentField(&p, "earlier", formValue(r, "earlier"))
	confirm := false
	switch formValue(r, "decision") {
	case "confirm":
		confirm = true
	case "dismiss":
	default:
		p.Add("decision", "must be confirm or dismiss")
	}
	err = p.Err()
	if err == nil {
		_, _, err = s.app.DecideRecurrence(r.Context(), actor, id, earlier, confirm, formValue(r, "reason"))
	}
	if err != nil {
		ferr, ok := formError(err)
		if !ok {
			return err
		}
		return s.showIncident(w, r, actor, id, statusOf(ferr), "recurrences", ferr)
	}
	to := "/incidents/" + string(id)
	if formValue(r, "back") == "postmortem" {
		to += "/postmortem"
	}
	http.Redirect(w, r, to+"#recurrences", http.StatusSeeOther)
	return nil
}

// formOnly returns ferr when the refused form is this section's.
func formOnly(mine bool, ferr *errs.Error) *errs.Error {
	if mine {
		return ferr
	}
	return nil
}
