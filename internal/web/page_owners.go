package web

import (
	"errors"
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
)

// The owners page answers "who owns this path" from the imported
// CODEOWNERS files, with the line that decided it; the ownership drift
// page lists where the catalog's owners disagree with CODEOWNERS or with
// who actually ships.

// ownersPage is the data of /owners. Asked is true once a repository and
// path were given; Answer is then the owners (or Error, the refusal, shown
// in place).
type ownersPage struct {
	Repos  []app.CodeownersRepo
	Repo   string
	Path   string
	Asked  bool
	Answer app.Ownership
	Error  *errs.Error
}

func (s *Server) pageOwners(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	repos, err := s.app.CodeownersRepos(r.Context(), actor)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data := ownersPage{Repos: repos, Repo: q.Get("repo"), Path: q.Get("path")}
	status := http.StatusOK
	if data.Repo != "" || data.Path != "" {
		data.Asked = true
		data.Answer, err = s.app.OwnersOf(r.Context(), actor, data.Repo, data.Path)
		var e *errs.Error
		switch {
		case err == nil:
		case errors.As(err, &e) && (e.Kind == errs.Invalid || e.Kind == errs.NotFound):
			data.Error = e
			status = http.StatusUnprocessableEntity
			if e.Kind == errs.NotFound {
				status = http.StatusNotFound
			}
		default:
			return err
		}
	}
	return s.render(w, status, "owners", view{Title: "Code owners", Actor: actor, Section: "owners", Data: data})
}

// driftPage is the data of /ownership-drift.
type driftPage struct {
	Days     int
	Findings []review.Finding
}

func (s *Server) pageOwnershipDrift(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	days, err := daysParam(r)
	if err != nil {
		return err
	}
	fs, err := s.app.OwnershipDrift(r.Context(), actor, days)
	if err != nil {
		return err
	}
	if days == 0 {
		days = review.DefaultDriftDays
	}
	return s.render(w, http.StatusOK, "drift", view{Title: "Ownership drift", Actor: actor, Section: "owners", Data: driftPage{Days: days, Findings: fs}})
}
