package web

import (
	"net/http"
	"strconv"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// assessmentPage is the private accountability record of one incident
// (PRODUCT.md section 3): factors, the guidance with its arithmetic, the
// decisions and the appeal, and the forms the actor may use. Who sees it
// at all is the app's to say, exactly as for the API.
type assessmentPage struct {
	app.AssessmentView
	// MayDecide, MayAppeal and MayHear say which forms to offer: the
	// app checks again on every post.
	MayDecide, MayAppeal, MayHear bool
	Levels                        []accountability.Level
	Form                          string
	Error                         *errs.Error
	Values                        map[string]string
}

func (s *Server) showAssessment(w http.ResponseWriter, r *http.Request, actor org.Actor, id incident.ID, status int, form string, ferr *errs.Error) error {
	v, err := s.app.Assessment(r.Context(), actor, id)
	if err != nil {
		return err
	}
	data := &assessmentPage{AssessmentView: v, Form: form, Error: ferr, Values: map[string]string{},
		Levels: []accountability.Level{0, 1, 2, 3, 4}}
	subjectLeads := actor.Ref == v.Subject
	data.MayDecide = accountability.MayDecide(actor, v.Subject, v.Decider, v.DeciderWhy) == nil
	data.MayAppeal = v.Decision != nil && v.Appeal == nil && (subjectLeads || v.Subject.IsTeam())
	data.MayHear = v.Appeal != nil && v.Appeal.Outcome == "" && accountability.MayHear(actor, v.Appeal.Reviewer) == nil
	if ferr != nil {
		for k := range r.PostForm {
			data.Values[k] = r.PostFormValue(k)
		}
	}
	return s.render(w, status, "assessment", view{Title: "Assessment " + string(id), Actor: actor, Section: "incidents", Data: data})
}

func (s *Server) pageAssessment(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.showAssessment(w, r, actor, id, http.StatusOK, "", nil)
}

// assessmentForm is formAction for the assessment page.
func (s *Server) assessmentForm(w http.ResponseWriter, r *http.Request, actor org.Actor, form string, write func(id incident.ID) error) error {
	return s.formAction(w, r, actor, "assessment", form, s.showAssessment, write)
}

func (s *Server) postFactors(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.assessmentForm(w, r, actor, "factors", func(id incident.ID) error {
		var in app.FactorsInput
		var p errs.Problems
		if v := formValue(r, "expected_to_prevent"); v != "" {
			e, err := accountability.ParseExpectation(v)
			if err != nil {
				p.Add("expected_to_prevent", "%s", msg(err))
			}
			in.ExpectedToPrevent = &e
		}
		if v := formValue(r, "policy_violation"); v != "" {
			pv, err := accountability.ParseViolation(v)
			if err != nil {
				p.Add("policy_violation", "%s", msg(err))
			}
			in.PolicyViolation = &pv
		}
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.app.SetFactors(r.Context(), actor, id, in)
		return err
	})
}

// formLevel reads a level field of a form.
func formLevel(r *http.Request) (accountability.Level, error) {
	n, err := strconv.Atoi(formValue(r, "level"))
	if err != nil {
		return 0, errs.Field("level", "choose a level from 0 (none) to 4 (termination review)")
	}
	return accountability.ParseLevel(n)
}

func (s *Server) postDecision(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.assessmentForm(w, r, actor, "decision", func(id incident.ID) error {
		level, err := formLevel(r)
		if err != nil {
			return err
		}
		_, err = s.app.DecideAssessment(r.Context(), actor, id, level, formValue(r, "justification"))
		return err
	})
}

func (s *Server) postAppealForm(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.assessmentForm(w, r, actor, "appeal", func(id incident.ID) error {
		_, err := s.app.Appeal(r.Context(), actor, id, formValue(r, "reason"))
		return err
	})
}

func (s *Server) postOutcome(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.assessmentForm(w, r, actor, "outcome", func(id incident.ID) error {
		level, err := formLevel(r)
		if err != nil {
			return err
		}
		_, err = s.app.AppealOutcome(r.Context(), actor, id, level, formValue(r, "justification"))
		return err
	})
}
