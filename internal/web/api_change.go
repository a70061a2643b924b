package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

type changeJSON struct {
	ID     string `json:"id"`
	Entity string `json:"entity"`
	Ref    string `json:"ref"`
	// Actor is null when no person of the org was named for the change
	// (GitHub reported it for a login no person has as handle).
	Actor               *string `json:"actor"`
	At                  *string `json:"at"`
	Source              string  `json:"source"`
	ExceptionApprovedBy *string `json:"exception_approved_by"`
	RecordedAt          *string `json:"recorded_at"`
	RecordedBy          string  `json:"recorded_by"`
}

func toChangeJSON(c freeze.Change) changeJSON {
	out := changeJSON{ID: c.ID, Entity: string(c.Entity), Ref: c.Ref, At: rfc3339(c.At), Source: c.Source,
		RecordedAt: rfc3339(c.RecordedAt), RecordedBy: string(c.RecordedBy)}
	if !c.Actor.IsZero() {
		a := string(c.Actor)
		out.Actor = &a
	}
	if !c.ExceptionApprovedBy.IsZero() {
		s := string(c.ExceptionApprovedBy)
		out.ExceptionApprovedBy = &s
	}
	return out
}

type freezeJSON struct {
	ID        string  `json:"id"`
	Start     *string `json:"start"`
	End       *string `json:"end"`
	Scope     any     `json:"scope"` // "all" or a list of references
	Reason    string  `json:"reason"`
	CreatedAt *string `json:"created_at"`
	CreatedBy string  `json:"created_by"`
}

func toFreezeJSON(f freeze.Freeze) freezeJSON {
	out := freezeJSON{ID: f.ID, Start: rfc3339(f.Start), End: rfc3339(f.End), Reason: f.Reason,
		CreatedAt: rfc3339(f.CreatedAt), CreatedBy: string(f.CreatedBy)}
	if f.Everything {
		out.Scope = "all"
	} else {
		refs := make([]string, len(f.Scope))
		for i, r := range f.Scope {
			refs[i] = string(r)
		}
		out.Scope = refs
	}
	return out
}

type createChangeRequest struct {
	Entity              string `json:"entity" text:"ref"`
	Ref                 string `json:"ref" text:"line"`
	Actor               string `json:"actor" text:"ref"`
	At                  string `json:"at" text:"time"`
	Source              string `json:"source" text:"line"`
	ExceptionApprovedBy string `json:"exception_approved_by" text:"ref"`
}

// personRef parses a reference to a person; "" is zero.
func personRef(p *errs.Problems, field, s string) org.Ref {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	ref, err := org.ParseRef(s, org.KindUser)
	if err != nil {
		p.Add(field, "%s", msg(err))
		return ""
	}
	if !ref.IsPerson() {
		p.Add(field, "%s is not a person (user:)", ref)
		return ""
	}
	return ref
}

func (s *Server) createChange(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[createChangeRequest](r, w)
	if err != nil {
		return err
	}
	var p errs.Problems
	in := app.ChangeInput{Ref: req.Ref, Source: req.Source, At: parseTime(&p, "at", req.At),
		Actor: personRef(&p, "actor", req.Actor), ExceptionApprovedBy: personRef(&p, "exception_approved_by", req.ExceptionApprovedBy)}
	if strings.TrimSpace(req.Actor) == "" {
		p.Add("actor", "is required: the person who made the change")
	}
	if strings.TrimSpace(req.Entity) == "" {
		p.Add("entity", "is required: the entity that was changed")
	} else if ref, err := catalog.ParseRef(req.Entity); err != nil {
		p.Add("entity", "%s", msg(err))
	} else {
		in.Entity = ref
	}
	if err := p.Err(); err != nil {
		return err
	}
	c, err := s.app.RecordChange(r.Context(), actor, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toChangeJSON(c))
	return nil
}

func (s *Server) listChanges(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	var p errs.Problems
	f := changeFilter(&p, r.URL.Query())
	f.Limit = limitParam(&p, r)
	if err := p.Err(); err != nil {
		return err
	}
	items, err := s.app.Changes(r.Context(), actor, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(items, toChangeJSON))
	return nil
}

type createFreezeRequest struct {
	Start string `json:"start" text:"time"`
	End   string `json:"end" text:"time"`
	// Scope is "all" or a list of entity and team references.
	Scope  json.RawMessage `json:"scope" text:"ref"`
	Reason string          `json:"reason" text:"note"`
}

// freezeScope reads a freeze's scope: the string "all", or a list of
// references, each a team (group:) or an entity (a component by default).
func freezeScope(p *errs.Problems, raw json.RawMessage) (bool, []org.Ref) {
	raw = bytes.TrimSpace(raw)
	var all string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &all) == nil {
		if strings.EqualFold(strings.TrimSpace(all), "all") {
			return true, nil
		}
		p.Add("scope", `%q is neither "all" nor a list of references`, all)
		return false, nil
	}
	var list []string
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		p.Add("scope", `must be "all" or a list of entity and team references`)
		return false, nil
	}
	if len(list) > freeze.MaxScope {
		p.Add("scope", "lists %d references; at most %d", len(list), freeze.MaxScope)
		return false, nil
	}
	var refs []org.Ref
	for _, s := range list {
		ref, err := scopeRef(s)
		if err != nil {
			p.Add("scope", "%s", msg(err))
			return false, nil
		}
		refs = append(refs, ref)
	}
	return false, refs
}

// scopeRef reads one reference of a freeze's scope: a team when it starts
// with "group:", else an entity (a component by default).
func scopeRef(s string) (org.Ref, error) {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), org.KindGroup+":") {
		return org.ParseRef(s, org.KindGroup)
	}
	return catalog.ParseRef(s)
}

func (s *Server) createFreeze(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[createFreezeRequest](r, w)
	if err != nil {
		return err
	}
	var p errs.Problems
	in := app.FreezeInput{Start: parseTime(&p, "start", req.Start), End: parseTime(&p, "end", req.End), Reason: req.Reason}
	in.Everything, in.Scope = freezeScope(&p, req.Scope)
	if err := p.Err(); err != nil {
		return err
	}
	f, err := s.app.CreateFreeze(r.Context(), actor, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toFreezeJSON(f))
	return nil
}

func (s *Server) listFreezes(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	var p errs.Problems
	at := parseTime(&p, "at", r.URL.Query().Get("at"))
	if err := p.Err(); err != nil {
		return err
	}
	items, err := s.app.Freezes(r.Context(), actor, at)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(items, toFreezeJSON))
	return nil
}

type linkChangeRequest struct {
	Change string `json:"change" text:"ref"`
}

type incidentChangesJSON struct {
	Incident string       `json:"incident"`
	Linked   bool         `json:"linked"`
	Changes  []changeJSON `json:"changes"`
}

func (s *Server) linkChange(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[linkChangeRequest](r, w)
	if err != nil {
		return err
	}
	change := strings.ToLower(strings.TrimSpace(req.Change))
	if change == "" {
		return errs.Field("change", "is required: the id of a recorded change")
	}
	linked, err := s.app.LinkChange(r.Context(), actor, id, change)
	if err != nil {
		return err
	}
	return s.writeIncidentChanges(w, r, actor, id, linked)
}

func (s *Server) getIncidentChanges(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.writeIncidentChanges(w, r, actor, id, false)
}

// writeIncidentChanges answers with the changes linked to an incident: 201
// when a link was just made, else 200.
func (s *Server) writeIncidentChanges(w http.ResponseWriter, r *http.Request, actor org.Actor, id incident.ID, linked bool) error {
	items, err := s.app.IncidentChanges(r.Context(), actor, id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if linked {
		status = http.StatusCreated
	}
	writeJSON(w, status, incidentChangesJSON{Incident: string(id), Linked: linked, Changes: listOf(items, toChangeJSON).Items})
	return nil
}

// changeFilter reads a change list's filters from the query, for the API
// and the page alike: entity, and since (RFC 3339, or a date or a
// datetime-local value as a page's form sends them).
func changeFilter(p *errs.Problems, q url.Values) app.ChangeFilter {
	f := app.ChangeFilter{Since: sinceParam(p, q.Get("since"))}
	if v := strings.TrimSpace(q.Get("entity")); v != "" {
		ref, err := catalog.ParseRef(v)
		if err != nil {
			p.Add("entity", "%s", msg(err))
		}
		f.Entity = ref
	}
	return f
}
