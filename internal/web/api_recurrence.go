package web

import (
	"net/http"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/rule"
)

type linkJSON struct {
	Incident  string  `json:"incident"`
	Earlier   string  `json:"earlier"`
	State     string  `json:"state"`
	Reason    string  `json:"reason"`
	DecidedBy string  `json:"decided_by"`
	DecidedAt *string `json:"decided_at"`
}

func toLinkJSON(l recurrence.Link) linkJSON {
	return linkJSON{Incident: string(l.Incident), Earlier: string(l.Earlier), State: string(l.State), Reason: l.Reason,
		DecidedBy: string(l.DecidedBy), DecidedAt: rfc3339(l.DecidedAt)}
}

type missedJSON struct {
	Incident    string  `json:"incident"`
	FollowUp    string  `json:"followup"`
	Earlier     string  `json:"earlier"`
	Owner       string  `json:"owner"`
	Due         string  `json:"due"`
	RecordedAt  *string `json:"recorded_at"`
	WithdrawnAt *string `json:"withdrawn_at"`
}

func toMissedJSON(m recurrence.Missed) missedJSON {
	return missedJSON{Incident: string(m.Incident), FollowUp: m.FollowUp, Earlier: string(m.Earlier), Owner: string(m.Owner),
		Due: m.Due.Format("2006-01-02"), RecordedAt: rfc3339(m.RecordedAt), WithdrawnAt: rfc3339(m.WithdrawnAt)}
}

type candidateJSON struct {
	Incident  string    `json:"incident"`
	Title     string    `json:"title"`
	StartedAt *string   `json:"started_at"`
	Score     float64   `json:"score"`
	Reasons   []string  `json:"reasons"`
	Decision  *linkJSON `json:"decision"`
}

func toCandidateJSON(c app.Candidate) candidateJSON {
	out := candidateJSON{Incident: string(c.Incident), Title: c.Title, StartedAt: rfc3339(c.StartedAt), Score: c.Score,
		Reasons: append([]string{}, c.Reasons...)}
	if c.Decision != nil {
		l := toLinkJSON(*c.Decision)
		out.Decision = &l
	}
	return out
}

// getRecurrenceCandidates answers GET /api/v1/incidents/{id}/recurrence-candidates:
// at most five earlier incidents, best first (F6).
func (s *Server) getRecurrenceCandidates(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	items, err := s.app.RecurrenceCandidates(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(items, toCandidateJSON))
	return nil
}

type decideRecurrenceRequest struct {
	Incident string `json:"incident" text:"word"`
	Earlier  string `json:"earlier" text:"word"`
	Confirm  *bool  `json:"confirm"`
	Reason   string `json:"reason" text:"note"`
}

type recurrenceDecisionJSON struct {
	linkJSON
	Missed []missedJSON `json:"missed"`
}

// incidentField parses an incident ID given in a body or query field.
func incidentField(p *errs.Problems, field, s string) incident.ID {
	if strings.TrimSpace(s) == "" {
		p.AddRule(rule.F6, field, "is required: an incident ID like INC-2026-0042")
		return ""
	}
	id, err := incident.ParseID(strings.TrimSpace(s))
	if err != nil {
		p.Add(field, "%s", msg(err))
	}
	return id
}

// decideRecurrence answers POST /api/v1/recurrences: confirm or dismiss
// that incident is a recurrence of earlier (F6); a confirmation records
// the missed follow-ups (F7).
func (s *Server) decideRecurrence(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[decideRecurrenceRequest](r, w)
	if err != nil {
		return err
	}
	var p errs.Problems
	later := incidentField(&p, "incident", req.Incident)
	earlier := incidentField(&p, "earlier", req.Earlier)
	if req.Confirm == nil {
		p.Add("confirm", "is required: true to confirm the recurrence, false to dismiss it")
	}
	if err := p.Err(); err != nil {
		return err
	}
	l, missed, err := s.app.DecideRecurrence(r.Context(), actor, later, earlier, *req.Confirm, req.Reason)
	if err != nil {
		return err
	}
	out := recurrenceDecisionJSON{linkJSON: toLinkJSON(l), Missed: []missedJSON{}}
	for _, m := range missed {
		out.Missed = append(out.Missed, toMissedJSON(m))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type recurrencesJSON struct {
	Items  []linkJSON   `json:"items"`
	Missed []missedJSON `json:"missed"`
}

// listRecurrences answers GET /api/v1/recurrences?incident=ID: the links
// in which the incident is the later or the earlier one, with their missed
// follow-ups.
func (s *Server) listRecurrences(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	var p errs.Problems
	id := incidentField(&p, "incident", r.URL.Query().Get("incident"))
	if err := p.Err(); err != nil {
		return err
	}
	links, err := s.app.Recurrences(r.Context(), actor, id)
	if err != nil {
		return err
	}
	out := recurrencesJSON{Items: []linkJSON{}, Missed: []missedJSON{}}
	for _, l := range links.Links {
		out.Items = append(out.Items, toLinkJSON(l))
	}
	for _, m := range links.Missed {
		out.Missed = append(out.Missed, toMissedJSON(m))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
