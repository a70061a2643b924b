package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

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
	// Linked are the changes linked to the incident, each with the freezes
	// it broke (A6); Nearby the changes to its entities in the week before
	// it started that are not linked yet; CanLink says the postmortem can
	// still change, so a link still counts.
	Linked, Nearby []app.ChangeView
	CanLink        bool
	// Form names the form a refusal belongs to ("timeline" or "changes").
	Form   string
	Error  *errs.Error
	Values map[string]string
	// Recurrence is the "Possible recurrences" section (F6, F7).
	Recurrence recurrenceSection
	// Alerts are the alerts from the hooks; HiddenAlerts counts the alert
	// entries of a storm left out of the timeline shown.
	Alerts       app.AlertView
	HiddenAlerts int
}

// shownAlerts is how many alert entries the page shows at each end of a
// storm; the ones between are summed up in the Alerts section.
const shownAlerts = 15

// trimAlerts leaves out of entries the alert entries between the first
// and the last shownAlerts, and returns how many it left out.
func trimAlerts(entries []incident.Entry) ([]incident.Entry, int) {
	total := 0
	for _, e := range entries {
		if e.Kind == incident.EntryAlert {
			total++
		}
	}
	if total <= 3*shownAlerts {
		return entries, 0
	}
	out := make([]incident.Entry, 0, len(entries)-total+2*shownAlerts)
	seen := 0
	for _, e := range entries {
		if e.Kind == incident.EntryAlert {
			seen++
			if seen > shownAlerts && seen <= total-shownAlerts {
				continue
			}
		}
		out = append(out, e)
	}
	return out, total - 2*shownAlerts
}

// nearbyWindow is how far before an incident's start the page looks for
// changes to its entities that may have caused it.
const nearbyWindow = 7 * 24 * time.Hour

func (s *Server) pageIncident(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.showIncident(w, r, actor, id, http.StatusOK, "", nil)
}

func (s *Server) showIncident(w http.ResponseWriter, r *http.Request, actor org.Actor, id incident.ID, status int, form string, ferr *errs.Error) error {
	inc, err := s.app.Incident(r.Context(), actor, id)
	if err != nil {
		return err
	}
	tl, err := s.app.Timeline(r.Context(), actor, id, true)
	if err != nil {
		return err
	}
	data := incidentPage{Incident: inc, Timeline: tl, History: map[string][]incident.Revision{}, Form: form, Error: ferr,
		Values: map[string]string{"occurred_at": s.minuteNow()},
		Kinds:  []incident.EntryKind{incident.EntryObservation, incident.EntryAction, incident.EntryDecision, incident.EntryAlert, incident.EntryChange}}
	if err := s.incidentChanges(r, actor, &data); err != nil {
		return err
	}
	if data.Alerts, err = s.app.IncidentAlertView(r.Context(), actor, id); err != nil {
		return err
	}
	data.Timeline.Entries, data.HiddenAlerts = trimAlerts(data.Timeline.Entries)
	if data.Recurrence, err = s.recurrences(r, actor, id, "incident", formOnly(form == "recurrences", ferr)); err != nil {
		return err
	}
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

// incidentChanges fills in the changes linked to the incident, and those
// to its entities in the week before it started that are not linked.
func (s *Server) incidentChanges(r *http.Request, actor org.Actor, data *incidentPage) error {
	in := data.Incident
	linked, err := s.app.IncidentChangeViews(r.Context(), actor, in.ID)
	if err != nil {
		return err
	}
	pm, err := s.app.Postmortem(r.Context(), actor, in.ID)
	if err != nil {
		return err
	}
	data.Linked, data.CanLink = linked, pm.Postmortem.IsEditable()
	seen := map[string]bool{}
	for _, c := range linked {
		seen[c.ID] = true
	}
	for _, e := range in.Entities {
		list, err := s.app.ChangeViews(r.Context(), actor, app.ChangeFilter{Entity: e.Ref, Since: in.StartedAt.Add(-nearbyWindow), Limit: 50})
		if err != nil {
			return err
		}
		for _, c := range list {
			if !seen[c.ID] && !c.At.After(in.StartedAt) {
				seen[c.ID] = true
				data.Nearby = append(data.Nearby, c)
			}
		}
	}
	slices.SortFunc(data.Nearby, func(a, b app.ChangeView) int { return b.At.Compare(a.At) })
	return nil
}

// postLinkChange links a change, by its id, to the incident (A6 then
// weighs it), from the incident page.
func (s *Server) postLinkChange(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	change := strings.ToLower(formValue(r, "change"))
	if change == "" {
		err = errs.Field("change", "is required: the id of a recorded change")
	} else {
		_, err = s.app.LinkChange(r.Context(), actor, id, change)
	}
	if err != nil {
		ferr, ok := formError(err)
		if !ok {
			return err
		}
		return s.showIncident(w, r, actor, id, statusOf(ferr), "changes", ferr)
	}
	http.Redirect(w, r, "/incidents/"+string(id)+"#changes", http.StatusSeeOther)
	return nil
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

// declarePage is the form to declare an incident, and its refusal.
type declarePage struct {
	Severities []incident.Severity
	Error      *errs.Error
	Values     map[string]string
}

func (s *Server) pageDeclare(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.render(w, http.StatusOK, "declare", view{Title: "Declare an incident", Actor: actor, Section: "incidents",
		Data: declarePage{Severities: incident.Severities, Values: map[string]string{"severity": "SEV3",
			// An incident is mostly declared as it happens: start it now,
			// to the minute, for the reviewer to move back if need be.
			"started_at": s.minuteNow()}}})
}

// postDeclare declares an incident from the form: its origin entity, and
// any others that failed with it (one reference per line or comma).
func (s *Server) postDeclare(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	var p errs.Problems
	in := app.IncidentInput{Title: formValue(r, "title"), Summary: r.PostFormValue("summary"), Impact: r.PostFormValue("impact"),
		StartedAt: formTime(&p, r, "started_at")}
	if sev, err := incident.ParseSeverity(formValue(r, "severity")); err != nil {
		p.Add("severity", "choose SEV1 (the worst) to SEV4")
	} else {
		in.Severity = sev
	}
	refs := []failedJSON{{Ref: formValue(r, "origin"), Origin: true}}
	for _, other := range strings.FieldsFunc(r.PostFormValue("others"), func(c rune) bool { return c == ',' || c == '\n' || c == '\r' }) {
		if other = strings.TrimSpace(other); other != "" {
			refs = append(refs, failedJSON{Ref: other})
		}
	}
	in.Entities = failedEntities(&p, refs)
	err := p.Err()
	var inc incident.Incident
	if err == nil {
		inc, err = s.app.DeclareIncident(r.Context(), actor, in)
	}
	if err != nil {
		ferr, ok := formError(err)
		if !ok {
			return err
		}
		data := declarePage{Severities: incident.Severities, Error: ferr, Values: map[string]string{}}
		for k := range r.PostForm {
			data.Values[k] = r.PostFormValue(k)
		}
		return s.render(w, statusOf(ferr), "declare", view{Title: "Declare an incident", Actor: actor, Section: "incidents", Data: data})
	}
	http.Redirect(w, r, "/incidents/"+string(inc.ID), http.StatusSeeOther)
	return nil
}

// minuteNow is the app's time to the minute, as a datetime-local field
// holds it: what a new entry defaults to.
func (s *Server) minuteNow() string { return s.app.Now().UTC().Format("2006-01-02T15:04") }

// formTime reads a datetime-local field (or an RFC 3339 time) as UTC.
func formTime(p *errs.Problems, r *http.Request, field string) time.Time {
	v := localTime(formValue(r, field))
	if v == "" {
		p.Add(field, "is required")
		return time.Time{}
	}
	return parseTime(p, field, v)
}

// localTime turns a datetime-local value ("2026-11-20T14:05", no zone) into
// RFC 3339 in UTC, which is how the pages label it; anything else is left
// for parseTime to judge.
func localTime(v string) string {
	if len(v) == len("2006-01-02T15:04") {
		return v + ":00Z"
	}
	return v
}
