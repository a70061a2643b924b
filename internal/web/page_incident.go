package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// incidentsPage lists incidents, newest first, with the filters applied
// (the API's filters: incidentFilter).
type incidentsPage struct {
	Items      []incident.Incident
	Query      url.Values
	Next       string
	Severities []incident.Severity
	Statuses   []incident.Status
}

func (s *Server) pageIncidents(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	var p errs.Problems
	f := incidentFilter(&p, r)
	f.Limit = 50
	if err := p.Err(); err != nil {
		return err
	}
	items, err := s.app.Incidents(r.Context(), actor, f)
	if err != nil {
		return err
	}
	data := incidentsPage{Items: items, Query: r.URL.Query(), Severities: incident.Severities,
		Statuses: []incident.Status{incident.StatusOpen, incident.StatusMitigated, incident.StatusResolved}}
	if len(items) == f.Limit {
		next := r.URL.Query()
		next.Set("cursor", incidentCursor(items[len(items)-1]))
		data.Next = "/incidents?" + next.Encode()
	}
	return s.render(w, http.StatusOK, "incidents", view{Title: "Incidents", Actor: actor, Section: "incidents", Data: data})
}

// incidentPage is one incident with its timeline, edits and deletions
// included, and the form to add an entry (Error: its refusal).
type incidentPage struct {
	Incident incident.Incident
	Timeline app.TimelineView
	// History maps an entry to its earlier revisions, oldest first.
	History map[string][]incident.Revision
	Kinds   []incident.EntryKind
	Error   *errs.Error
	Values  map[string]string
}

func (s *Server) pageIncident(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.showIncident(w, r, actor, id, http.StatusOK, nil)
}

func (s *Server) showIncident(w http.ResponseWriter, r *http.Request, actor org.Actor, id incident.ID, status int, ferr *errs.Error) error {
	inc, err := s.app.Incident(r.Context(), actor, id)
	if err != nil {
		return err
	}
	tl, err := s.app.Timeline(r.Context(), actor, id, true)
	if err != nil {
		return err
	}
	data := incidentPage{Incident: inc, Timeline: tl, History: map[string][]incident.Revision{}, Error: ferr, Values: map[string]string{},
		Kinds: []incident.EntryKind{incident.EntryObservation, incident.EntryAction, incident.EntryDecision, incident.EntryAlert, incident.EntryChange}}
	for _, rev := range tl.Revisions {
		data.History[rev.Entry] = append(data.History[rev.Entry], rev)
	}
	if ferr != nil {
		for k := range r.PostForm {
			data.Values[k] = r.PostFormValue(k)
		}
	}
	return s.render(w, status, "incident", view{Title: string(inc.ID) + " " + inc.Title, Actor: actor, Section: "incidents", Data: data})
}

// formError turns a refused form into the message to show in place: what
// a user can act on (bad input, a rule, a state), never an internal error,
// which goes to the error page instead.
func formError(err error) (*errs.Error, bool) {
	e, ok := errs.As(err)
	if !ok || (e.Kind != errs.Invalid && e.Kind != errs.Conflict && !errors.Is(err, errs.Forbidden)) {
		return nil, false
	}
	return e, true
}

// formValue is a form field with surrounding space removed.
func formValue(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
