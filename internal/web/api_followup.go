package web

import (
	"net/http"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

type followUpJSON struct {
	ID         string  `json:"id"`
	Incident   string  `json:"incident"`
	Title      string  `json:"title"`
	Owner      string  `json:"owner"`
	Due        string  `json:"due"`
	Priority   string  `json:"priority"`
	Status     string  `json:"status"`
	Overdue    bool    `json:"overdue"`
	Reason     string  `json:"reason,omitempty"`
	TrackerURL string  `json:"tracker_url,omitempty"`
	Rule       string  `json:"rule,omitempty"`
	CreatedAt  *string `json:"created_at"`
	CreatedBy  string  `json:"created_by"`
	ClosedAt   *string `json:"closed_at"`
}

// toFollowUpJSON encodes a follow-up; now judges whether it is overdue.
func toFollowUpJSON(f followup.FollowUp, now time.Time) followUpJSON {
	return followUpJSON{ID: string(f.ID), Incident: string(f.Incident), Title: f.Title, Owner: string(f.Owner),
		Due: f.Due.Format(time.DateOnly), Priority: string(f.Priority), Status: string(f.Status), Overdue: f.IsOverdue(now),
		Reason: f.Reason, TrackerURL: f.TrackerURL, Rule: f.Rule, CreatedAt: rfc3339(f.CreatedAt), CreatedBy: string(f.CreatedBy),
		ClosedAt: rfc3339(f.ClosedAt)}
}

type createFollowUpRequest struct {
	Incident   string `json:"incident" text:"ref"`
	Title      string `json:"title" text:"line"`
	Owner      string `json:"owner" text:"ref"`
	Due        string `json:"due" text:"time"`
	Priority   string `json:"priority" text:"word"`
	TrackerURL string `json:"tracker_url" text:"url"`
}

// ownerRef parses a follow-up owner: one person or one team.
func ownerRef(p *errs.Problems, s string) org.Ref {
	if strings.TrimSpace(s) == "" {
		p.Add("owner", "exactly one owner (a person or a team) is required (F2)")
		return ""
	}
	ref, err := org.ParseRef(s, "")
	if err != nil {
		p.Add("owner", "%s; a follow-up has exactly one owner (F2)", msg(err))
		return ""
	}
	if !ref.IsPerson() && !ref.IsTeam() {
		p.Add("owner", "%s is neither a person (user:) nor a team (group:)", ref)
	}
	return ref
}

func (s *Server) createFollowUp(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[createFollowUpRequest](r, w)
	if err != nil {
		return err
	}
	var p errs.Problems
	in := app.FollowUpInput{Title: req.Title, Owner: ownerRef(&p, req.Owner), TrackerURL: req.TrackerURL}
	if id, err := incident.ParseID(req.Incident); err != nil {
		p.Add("incident", "%s", msg(err))
	} else {
		in.Incident = id
	}
	if req.Due != "" {
		d, err := followup.ParseDay(req.Due)
		if err != nil {
			p.Add("due", "%q is not a date (YYYY-MM-DD)", req.Due)
		}
		in.Due = d
	}
	if req.Priority != "" {
		pr, err := followup.ParsePriority(req.Priority)
		if err != nil {
			p.Add("priority", "%s", msg(err))
		}
		in.Priority = pr
	}
	if err := p.Err(); err != nil {
		return err
	}
	f, err := s.app.CreateFollowUp(r.Context(), actor, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/followups/"+string(f.ID))
	writeJSON(w, http.StatusCreated, toFollowUpJSON(f, s.app.Now()))
	return nil
}

func (s *Server) getFollowUp(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.writeFollowUpDetail(w, r, actor, followUpID(r))
}

type updateFollowUpRequest struct {
	Title      *string `json:"title" text:"line"`
	Owner      *string `json:"owner" text:"ref"`
	Due        *string `json:"due" text:"time"`
	Priority   *string `json:"priority" text:"word"`
	Status     *string `json:"status" text:"word"`
	Reason     *string `json:"reason" text:"note"`
	TrackerURL *string `json:"tracker_url" text:"url"`
}

func (s *Server) updateFollowUp(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[updateFollowUpRequest](r, w)
	if err != nil {
		return err
	}
	var p errs.Problems
	patch := app.FollowUpPatch{Title: req.Title, Reason: req.Reason, TrackerURL: req.TrackerURL}
	if req.Owner != nil {
		o := ownerRef(&p, *req.Owner)
		patch.Owner = &o
	}
	if req.Due != nil {
		d, err := followup.ParseDay(*req.Due)
		if err != nil {
			p.Add("due", "%q is not a date (YYYY-MM-DD)", *req.Due)
		}
		patch.Due = &d
	}
	if req.Priority != nil {
		pr, err := followup.ParsePriority(*req.Priority)
		if err != nil {
			p.Add("priority", "%s", msg(err))
		}
		patch.Priority = &pr
	}
	if req.Status != nil {
		st, err := followup.ParseStatus(*req.Status)
		if err != nil {
			p.Add("status", "%s", msg(err))
		}
		patch.Status = &st
	}
	if err := p.Err(); err != nil {
		return err
	}
	// A wont_do comes back still open, with its request waiting for the
	// owner's leader (F3), unless the caller is that leader.
	if _, err := s.app.UpdateFollowUp(r.Context(), actor, followUpID(r), patch); err != nil {
		return err
	}
	return s.writeFollowUpDetail(w, r, actor, followUpID(r))
}

func (s *Server) listFollowUps(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	q := r.URL.Query()
	var p errs.Problems
	f := followup.Filter{Limit: limitParam(&p, r)}
	if v := q.Get("incident"); v != "" {
		id, err := incident.ParseID(v)
		if err != nil {
			p.Add("incident", "%s", msg(err))
		}
		f.Incident = id
	}
	if v := q.Get("owner"); v != "" {
		f.Owner = ownerRef(&p, v)
	}
	if v := q.Get("status"); v != "" {
		st, err := followup.ParseStatus(v)
		if err != nil {
			p.Add("status", "%s", msg(err))
		}
		f.Status = st
	}
	if q.Get("overdue") == "true" {
		f.Status = followup.Open
		f.DueBefore = followup.Day(s.app.Now())
	}
	var leader org.Ref
	if v := q.Get("leader"); v != "" {
		ref, err := org.ParseRef(v, org.KindUser)
		switch {
		case err != nil:
			p.Add("leader", "%s", msg(err))
		case !ref.IsPerson():
			p.Add("leader", "%s is not a person: a leader is someone who leads a team", ref)
		}
		leader = ref
	}
	if err := p.Err(); err != nil {
		return err
	}
	if !leader.IsZero() {
		o, err := s.app.Organisation(r.Context(), actor, leader)
		if err != nil {
			return err
		}
		f = o.Narrow(f)
	}
	items, err := s.app.FollowUps(r.Context(), actor, f)
	if err != nil {
		return err
	}
	out := list[followUpJSON]{Items: []followUpJSON{}}
	for _, fu := range items {
		out.Items = append(out.Items, toFollowUpJSON(fu, s.app.Now()))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
