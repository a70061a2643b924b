package web

import (
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
)

type flagEvidenceJSON struct {
	Kind   string  `json:"kind"`
	Ref    string  `json:"ref,omitempty"`
	At     *string `json:"at"`
	Detail string  `json:"detail"`
}

type flagJSON struct {
	ID         string             `json:"id"`
	Rule       string             `json:"rule"`
	Incident   *string            `json:"incident"`
	Suspect    *string            `json:"suspect"`
	Evidence   []flagEvidenceJSON `json:"evidence"`
	State      string             `json:"state"`
	Subject    *string            `json:"subject"`
	Reason     string             `json:"reason,omitempty"`
	ReviewedBy *string            `json:"reviewed_by"`
	ReviewedAt *string            `json:"reviewed_at"`
	RaisedAt   *string            `json:"raised_at"`
}

func toFlagJSON(v app.FlagView) flagJSON {
	j := flagJSON{ID: v.ID, Rule: string(v.Rule), Suspect: optRef(v.Suspect), Evidence: []flagEvidenceJSON{}, State: string(v.State),
		Subject: optRef(v.Subject), Reason: v.Reason, ReviewedBy: optRef(v.ReviewedBy), ReviewedAt: rfc3339(v.ReviewedAt), RaisedAt: rfc3339(v.RaisedAt)}
	if v.Incident != "" {
		id := string(v.Incident)
		j.Incident = &id
	}
	for _, e := range v.Evidence {
		j.Evidence = append(j.Evidence, flagEvidenceJSON{Kind: e.Kind, Ref: e.Ref, At: rfc3339(e.At), Detail: e.Detail})
	}
	return j
}

func (s *Server) listIntegrityFlags(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	q := r.URL.Query()
	var id incident.ID
	if v := q.Get("incident"); v != "" {
		var err error
		if id, err = incident.ParseID(v); err != nil {
			return errs.Field("incident", "%s", msg(err))
		}
	}
	state := integrity.State(q.Get("state"))
	switch state {
	case "", integrity.Open, integrity.Confirmed, integrity.Dismissed, app.Reviewed:
	default:
		return errs.Field("state", "%q is not a state: use open, reviewed, confirmed or dismissed", state)
	}
	flags, err := s.app.IntegrityFlags(r.Context(), actor, id, state)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(flags, toFlagJSON))
	return nil
}

type reviewFlagRequest struct {
	Confirm *bool  `json:"confirm"`
	Subject string `json:"subject" text:"ref"`
	Reason  string `json:"reason" text:"note"`
}

func (s *Server) reviewIntegrityFlag(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[reviewFlagRequest](r, w)
	if err != nil {
		return err
	}
	if req.Confirm == nil {
		return errs.Field("confirm", "is required: true to confirm the flag, false to dismiss it")
	}
	var subject org.Ref
	if req.Subject != "" {
		if subject, err = org.ParseRef(req.Subject, org.KindUser); err != nil {
			return errs.Field("subject", "%s", msg(err))
		}
	}
	v, err := s.app.ReviewFlag(r.Context(), actor, r.PathValue("id"), *req.Confirm, subject, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFlagJSON(v))
	return nil
}

type exportJSON struct {
	Person string                      `json:"person"`
	Rows   map[string][]map[string]any `json:"rows"`
}

func (s *Server) exportPerson(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, org.KindUser)
	if err != nil {
		return err
	}
	ex, err := s.app.ExportPerson(r.Context(), actor, ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, exportJSON{Person: string(ex.Person), Rows: ex.Rows})
	return nil
}

type erasureRequest struct {
	Reason string `json:"reason" text:"note"`
}

func (s *Server) erasePerson(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, org.KindUser)
	if err != nil {
		return err
	}
	req, err := decode[erasureRequest](r, w)
	if err != nil {
		return err
	}
	if err := s.app.ErasePerson(r.Context(), actor, ref, req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
