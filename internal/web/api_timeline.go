package web

import (
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

type entryJSON struct {
	ID         string  `json:"id"`
	Incident   string  `json:"incident"`
	OccurredAt *string `json:"occurred_at"`
	RecordedAt *string `json:"recorded_at"`
	Author     string  `json:"author"`
	Kind       string  `json:"kind"`
	Text       string  `json:"text"`
	Deleted    bool    `json:"deleted"`
	Revision   int     `json:"revision"`
	UpdatedAt  *string `json:"updated_at"`
}

func toEntryJSON(e incident.Entry) entryJSON {
	return entryJSON{ID: e.ID, Incident: string(e.Incident), OccurredAt: rfc3339(e.OccurredAt), RecordedAt: rfc3339(e.RecordedAt),
		Author: string(e.Author), Kind: string(e.Kind), Text: e.Text, Deleted: e.Deleted, Revision: e.Revision, UpdatedAt: rfc3339(e.UpdatedAt)}
}

type revisionJSON struct {
	Entry      string  `json:"entry"`
	Revision   int     `json:"revision"`
	OccurredAt *string `json:"occurred_at"`
	Kind       string  `json:"kind"`
	Text       string  `json:"text"`
	Action     string  `json:"action"`
	ChangedAt  *string `json:"changed_at"`
	ChangedBy  string  `json:"changed_by"`
}

type timelineJSON struct {
	Items     []entryJSON    `json:"items"`
	Revisions []revisionJSON `json:"revisions,omitempty"`
}

func (s *Server) getTimeline(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	history := r.URL.Query().Get("history") == "true"
	v, err := s.app.Timeline(r.Context(), actor, id, history)
	if err != nil {
		return err
	}
	out := timelineJSON{Items: []entryJSON{}}
	for _, e := range v.Entries {
		out.Items = append(out.Items, toEntryJSON(e))
	}
	for _, rv := range v.Revisions {
		out.Revisions = append(out.Revisions, revisionJSON{Entry: rv.Entry, Revision: rv.Revision, OccurredAt: rfc3339(rv.OccurredAt),
			Kind: string(rv.Kind), Text: rv.Text, Action: rv.Action, ChangedAt: rfc3339(rv.ChangedAt), ChangedBy: string(rv.ChangedBy)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type entryRequest struct {
	OccurredAt string `json:"occurred_at" text:"time"`
	Kind       string `json:"kind" text:"word"`
	Text       string `json:"text" text:"body"`
}

func (req entryRequest) input() (app.EntryInput, error) {
	var p errs.Problems
	in := app.EntryInput{OccurredAt: parseTime(&p, "occurred_at", req.OccurredAt), Text: req.Text}
	if req.Kind != "" {
		k, err := incident.ParseEntryKind(req.Kind)
		if err != nil {
			p.Add("kind", "%s", msg(err))
		}
		in.Kind = k
	}
	return in, p.Err()
}

func (s *Server) addEntry(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[entryRequest](r, w)
	if err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	e, err := s.app.AddEntry(r.Context(), actor, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toEntryJSON(e))
	return nil
}

func (s *Server) editEntry(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[entryRequest](r, w)
	if err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	e, err := s.app.EditEntry(r.Context(), actor, id, r.PathValue("entry"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toEntryJSON(e))
	return nil
}

func (s *Server) deleteEntry(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.app.DeleteEntry(r.Context(), actor, id, r.PathValue("entry")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
