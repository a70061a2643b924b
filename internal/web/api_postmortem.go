package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

type factorJSON struct {
	Text  string `json:"text" text:"note"`
	Party string `json:"party,omitempty" text:"ref"`
	// AtFault is accepted only to refuse it: contributing factors never
	// name a party at fault (A1).
	AtFault bool `json:"at_fault,omitempty"`
}

type postmortemJSON struct {
	Incident    string         `json:"incident"`
	Title       string         `json:"title"`
	State       string         `json:"state"`
	Summary     string         `json:"summary"`
	Impact      string         `json:"impact"`
	Mechanism   string         `json:"mechanism"`
	Factors     []factorJSON   `json:"contributing_factors"`
	WentWell    string         `json:"went_well"`
	WentPoorly  string         `json:"went_poorly"`
	DueAt       *string        `json:"due_at"`
	Overdue     bool           `json:"overdue"`
	UpdatedAt   *string        `json:"updated_at"`
	UpdatedBy   string         `json:"updated_by"`
	PublishedAt *string        `json:"published_at"`
	ClosedAt    *string        `json:"closed_at"`
	Attribution *decisionJSON  `json:"attribution"`
	FollowUps   []followUpJSON `json:"followups"`
}

func toPostmortemJSON(v app.PostmortemView, now time.Time) postmortemJSON {
	j := postmortemJSON{Incident: string(v.Incident.ID), Title: v.Incident.Title, State: string(v.State), Summary: v.Summary,
		Impact: v.Impact, Mechanism: v.Mechanism, Factors: []factorJSON{}, WentWell: v.WentWell, WentPoorly: v.WentPoorly,
		DueAt: rfc3339(v.Due), Overdue: v.Overdue, UpdatedAt: rfc3339(v.UpdatedAt), UpdatedBy: string(v.UpdatedBy),
		PublishedAt: rfc3339(v.PublishedAt), ClosedAt: rfc3339(v.ClosedAt), FollowUps: []followUpJSON{}}
	for _, f := range v.Factors {
		j.Factors = append(j.Factors, factorJSON{Text: f.Text, Party: string(f.Party)})
	}
	if v.Decision != nil {
		d := toDecisionJSON(*v.Decision)
		j.Attribution = &d
	}
	for _, f := range v.FollowUps {
		j.FollowUps = append(j.FollowUps, toFollowUpJSON(f, now))
	}
	return j
}

func (s *Server) getPostmortem(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.app.Postmortem(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPostmortemJSON(v, s.app.Now()))
	return nil
}

type postmortemRequest struct {
	Summary    *string       `json:"summary" text:"section"`
	Impact     *string       `json:"impact" text:"section"`
	Mechanism  *string       `json:"mechanism" text:"section"`
	Factors    *[]factorJSON `json:"contributing_factors"`
	WentWell   *string       `json:"went_well" text:"section"`
	WentPoorly *string       `json:"went_poorly" text:"section"`
}

func (s *Server) putPostmortem(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[postmortemRequest](r, w)
	if err != nil {
		return err
	}
	doc := app.PostmortemDoc{Summary: req.Summary, Impact: req.Impact, Mechanism: req.Mechanism, WentWell: req.WentWell, WentPoorly: req.WentPoorly}
	if req.Factors != nil {
		var p errs.Problems
		fs := []postmortem.Factor{}
		for i, f := range *req.Factors {
			field := fmt.Sprintf("contributing_factors[%d]", i)
			var party org.Ref
			if f.Party != "" {
				if party, err = org.ParseRef(f.Party, ""); err != nil {
					p.Add(field+".party", "%s", msg(err))
				}
			}
			fs = append(fs, postmortem.Factor{Text: strings.TrimSpace(f.Text), Party: party, AtFault: f.AtFault})
		}
		if err := p.Err(); err != nil {
			return err
		}
		doc.Factors = &fs
	}
	v, err := s.app.EditPostmortem(r.Context(), actor, id, doc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPostmortemJSON(v, s.app.Now()))
	return nil
}

type transitionRequest struct {
	To string `json:"to" text:"word"`
}

func (s *Server) transitionPostmortem(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[transitionRequest](r, w)
	if err != nil {
		return err
	}
	to, err := postmortem.ParseState(req.To)
	if err != nil {
		return err
	}
	v, err := s.app.TransitionPostmortem(r.Context(), actor, id, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPostmortemJSON(v, s.app.Now()))
	return nil
}

type evidenceJSON struct {
	Kind   string `json:"kind"`
	Ref    string `json:"ref,omitempty"`
	Detail string `json:"detail"`
}

type stepJSON struct {
	Rule    string `json:"rule"`
	Fired   bool   `json:"fired"`
	Applied bool   `json:"applied"`
	Reason  string `json:"reason"`
}

type suggestionJSON struct {
	Party       *string         `json:"party"`
	Rule        string          `json:"rule"`
	Evidence    []evidenceJSON  `json:"evidence"`
	Explanation []stepJSON      `json:"explanation"`
	Factors     map[string]bool `json:"factors"`
	Clarify     []string        `json:"clarify,omitempty"`
}

func toSuggestionJSON(s blame.Suggestion) suggestionJSON {
	j := suggestionJSON{Rule: string(s.Rule), Evidence: []evidenceJSON{}, Explanation: []stepJSON{},
		Factors: map[string]bool{"recently_inherited": s.RecentlyInherited, "policy_violation": s.PolicyViolation}}
	if !s.Party.IsZero() {
		p := string(s.Party)
		j.Party = &p
	}
	for _, e := range s.Evidence {
		j.Evidence = append(j.Evidence, evidenceJSON{Kind: e.Kind, Ref: string(e.Ref), Detail: e.Detail})
	}
	for _, st := range s.Explanation {
		j.Explanation = append(j.Explanation, stepJSON{Rule: string(st.Rule), Fired: st.Fired, Applied: st.Applied, Reason: st.Reason})
	}
	for _, c := range s.Clarify {
		j.Clarify = append(j.Clarify, string(c))
	}
	return j
}

type decisionJSON struct {
	ID             string  `json:"id"`
	Party          string  `json:"party"`
	Rule           string  `json:"rule"`
	Justification  string  `json:"justification"`
	Overridden     bool    `json:"overridden"`
	SuggestedParty string  `json:"suggested_party"`
	SuggestedRule  string  `json:"suggested_rule"`
	DecidedBy      string  `json:"decided_by"`
	DecidedAt      *string `json:"decided_at"`
	Supersedes     string  `json:"supersedes,omitempty"`
}

func toDecisionJSON(d blame.Decision) decisionJSON {
	return decisionJSON{ID: d.ID, Party: string(d.Party), Rule: string(d.Rule), Justification: d.Justification,
		Overridden: d.IsOverride(), SuggestedParty: string(d.Suggested.Party), SuggestedRule: string(d.Suggested.Rule),
		DecidedBy: string(d.DecidedBy), DecidedAt: rfc3339(d.DecidedAt), Supersedes: d.Supersedes}
}

type attributionJSON struct {
	Incident   string         `json:"incident"`
	Suggestion suggestionJSON `json:"suggestion"`
	Decision   *decisionJSON  `json:"decision"`
	History    []decisionJSON `json:"history"`
}

func toAttributionJSON(v app.AttributionView) attributionJSON {
	j := attributionJSON{Incident: string(v.Incident), Suggestion: toSuggestionJSON(v.Suggestion), History: []decisionJSON{}}
	if v.Decision != nil {
		d := toDecisionJSON(*v.Decision)
		j.Decision = &d
	}
	for _, d := range v.History {
		j.History = append(j.History, toDecisionJSON(d))
	}
	return j
}

func (s *Server) getAttribution(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.app.Attribution(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAttributionJSON(v))
	return nil
}

type attributionRequest struct {
	Party         json.RawMessage `json:"party" text:"ref"`
	Justification string          `json:"justification" text:"note"`
	// Parties is accepted only to refuse it by name (A1).
	Parties json.RawMessage `json:"parties" text:"ref"`
}

func (s *Server) putAttribution(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[attributionRequest](r, w)
	if err != nil {
		return err
	}
	party, err := singleParty(req)
	if err != nil {
		return err
	}
	if _, err := s.app.DecideAttribution(r.Context(), actor, id, party, req.Justification); err != nil {
		return err
	}
	v, err := s.app.Attribution(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAttributionJSON(v))
	return nil
}

// singleParty reads the claimed party from the request's JSON shape and
// leaves A1 to the postmortem package: a list, a "parties" field or several
// references in one string are each more than one party.
func singleParty(req attributionRequest) (org.Ref, error) {
	var c postmortem.Claim
	if parties := bytes.TrimSpace(req.Parties); len(parties) > 0 && !bytes.Equal(parties, []byte("null")) {
		c.Parties = true
	}
	raw := bytes.TrimSpace(req.Party)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
	case raw[0] == '[':
		c.List = true
	case raw[0] == '"':
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return "", errs.Field("party", "must be a reference string")
		}
		c.Named = []string{text}
	default:
		return "", errs.Field("party", "must be a reference string like user:ada or group:payments")
	}
	return postmortem.SingleParty(c)
}
