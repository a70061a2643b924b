package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/org"
)

// The changes page: code freezes as a calendar of windows (in force now,
// coming, over), the recent deploys and config changes with those made
// inside a covering freeze without an approved exception marked (A6), and
// the forms to declare a freeze (leaders and admins) and to record a
// change (anyone).

// changesShown bounds the changes the page lists; pastFreezesShown the
// freezes that are over.
const (
	changesShown     = 100
	pastFreezesShown = 20
	calendarWeeks    = 6
)

// changesPage is the data of the changes page. Form names the form a
// refusal belongs to ("freeze" or "change"), Error the refusal, and Values
// what was typed.
type changesPage struct {
	Current, Upcoming, Past []freeze.Freeze
	PastTotal               int
	// Calendar is six weeks of days from the week before this one, with
	// the freezes in force on each.
	Calendar []freeze.Week
	Changes  []app.ChangeView
	// Query is the filter of the change list: entity and since.
	Query    url.Values
	Filtered bool
	// Capped says the list stopped at changesShown.
	Capped    bool
	CanFreeze bool
	Form      string
	Error     *errs.Error
	Values    map[string]string
}

func (s *Server) pageChanges(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.showChanges(w, r, actor, http.StatusOK, "", nil)
}

// showChanges renders the changes page with status, and a refused form if
// any.
func (s *Server) showChanges(w http.ResponseWriter, r *http.Request, actor org.Actor, status int, form string, ferr *errs.Error) error {
	q := r.URL.Query()
	var p errs.Problems
	f := changeFilter(&p, q)
	f.Limit = changesShown
	if err := p.Err(); err != nil {
		return err
	}
	changes, err := s.app.ChangeViews(r.Context(), actor, f)
	if err != nil {
		return err
	}
	fzs, err := s.app.Freezes(r.Context(), actor, time.Time{})
	if err != nil {
		return err
	}
	now := s.app.Now()
	data := changesPage{Changes: changes, Query: q, Filtered: !f.Entity.IsZero() || !f.Since.IsZero(),
		Capped:    len(changes) == changesShown,
		CanFreeze: actor.HasAny(org.RoleLeader, org.RoleAdmin), Form: form, Error: ferr,
		Values: map[string]string{"at": s.minuteNow(), "source": freeze.DefaultSource, "start": s.minuteNow()}}
	if actor.IsPerson() {
		data.Values["actor"] = string(actor.Ref)
	}
	// The store lists the latest start first: right for what is over;
	// what is in force or coming reads best soonest first.
	for _, fz := range fzs {
		switch fz.At(now) {
		case freeze.Current:
			data.Current = append(data.Current, fz)
		case freeze.Upcoming:
			data.Upcoming = append(data.Upcoming, fz)
		default:
			data.PastTotal++
			if len(data.Past) < pastFreezesShown {
				data.Past = append(data.Past, fz)
			}
		}
	}
	data.Calendar = freeze.Calendar(fzs, now, calendarWeeks)
	slices.Reverse(data.Current)
	slices.Reverse(data.Upcoming)
	if ferr != nil {
		for k := range r.PostForm {
			data.Values[k] = r.PostFormValue(k)
		}
	}
	return s.render(w, status, "changes", view{Title: "Changes and freezes", Actor: actor, Section: "changes", Data: data})
}

// sinceParam reads the since filter: a date (the start of that day, UTC),
// a datetime-local value, or an RFC 3339 time; "" is no filter.
func sinceParam(p *errs.Problems, v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d
	}
	return parseTime(p, "since", localTime(v))
}

// changesForm runs a form of the changes page: on success back to the
// page at anchor (POST, redirect, GET); on a refusal a user can act on, the
// page again with the refusal beside the form.
func (s *Server) changesForm(w http.ResponseWriter, r *http.Request, actor org.Actor, form string, write func() error) error {
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	err := write()
	if err == nil {
		http.Redirect(w, r, "/changes#"+form+"s", http.StatusSeeOther)
		return nil
	}
	ferr, ok := formError(err)
	if !ok {
		return err
	}
	return s.showChanges(w, r, actor, statusOf(ferr), form, ferr)
}

// postFreeze declares a freeze from the page: a window, a scope ("all", or
// entities and teams, one per line or comma) and a reason.
func (s *Server) postFreeze(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.changesForm(w, r, actor, "freeze", func() error {
		var p errs.Problems
		in := app.FreezeInput{Start: formTime(&p, r, "start"), End: formTime(&p, r, "end"), Reason: r.PostFormValue("reason")}
		in.Everything, in.Scope = formScope(&p, r.PostFormValue("scope"))
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.app.CreateFreeze(r.Context(), actor, in)
		return err
	})
}

// formScope reads a freeze's scope as typed: "all", or references split by
// lines or commas.
func formScope(p *errs.Problems, v string) (bool, []org.Ref) {
	if strings.EqualFold(strings.TrimSpace(v), "all") {
		return true, nil
	}
	var refs []org.Ref
	for _, s := range splitList(v) {
		ref, err := scopeRef(s)
		if err != nil {
			p.Add("scope", "%s", msg(err))
			return false, nil
		}
		refs = append(refs, ref)
	}
	if len(refs) > freeze.MaxScope {
		p.Add("scope", "lists %d references; at most %d", len(refs), freeze.MaxScope)
		return false, nil
	}
	return false, refs
}

// splitList splits a typed list on commas and line breaks, dropping
// blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == '\n' || c == '\r' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// postChange records a change from the page.
func (s *Server) postChange(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.changesForm(w, r, actor, "change", func() error {
		var p errs.Problems
		in := app.ChangeInput{Ref: r.PostFormValue("ref"), Source: r.PostFormValue("source"),
			Actor: personRef(&p, "actor", formValue(r, "actor")), ExceptionApprovedBy: personRef(&p, "exception_approved_by", formValue(r, "exception_approved_by"))}
		if formValue(r, "at") != "" {
			in.At = formTime(&p, r, "at")
		}
		if formValue(r, "actor") == "" {
			p.Add("actor", "is required: the person who made the change")
		}
		if v := formValue(r, "entity"); v == "" {
			p.Add("entity", "is required: the entity that was changed")
		} else if ref, err := catalog.ParseRef(v); err != nil {
			p.Add("entity", "%s", msg(err))
		} else {
			in.Entity = ref
		}
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.app.RecordChange(r.Context(), actor, in)
		return err
	})
}
