package web

import (
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
)

// A follow-up's export to GitHub Issues: POST asks for the issue (it is
// created by the outbox, after the answer), GET tells where it stands.

type exportRequest struct {
	Tracker string   `json:"tracker"`
	Repo    string   `json:"repo"`
	Labels  []string `json:"labels"`
}

// issueExportJSON is a follow-up's export. State is "none" (never exported),
// "pending" (the issue is on its way; Delivery says how it is going) or
// "exported" (the issue exists: number and url).
type issueExportJSON struct {
	FollowUp    string  `json:"followup"`
	State       string  `json:"state"`
	Tracker     string  `json:"tracker,omitempty"`
	Repo        string  `json:"repo,omitempty"`
	Number      int64   `json:"issue_number,omitempty"`
	URL         string  `json:"url,omitempty"`
	IssueState  string  `json:"issue_state,omitempty"`
	RequestedBy string  `json:"requested_by,omitempty"`
	RequestedAt *string `json:"requested_at,omitempty"`
	ExportedAt  *string `json:"exported_at,omitempty"`
	// Delivery is waiting, retrying or failed while the export is pending.
	Delivery    string  `json:"delivery,omitempty"`
	Attempts    int     `json:"attempts,omitempty"`
	NextAttempt *string `json:"next_attempt_at,omitempty"`
	LastError   string  `json:"last_error,omitempty"`
	MayExport   bool    `json:"may_export"`
}

func toIssueExportJSON(id string, v app.ExportView) issueExportJSON {
	out := issueExportJSON{FollowUp: id, State: "none", MayExport: v.MayExport}
	e := v.Export
	if e == nil {
		return out
	}
	out.State, out.Tracker, out.Repo, out.Number, out.URL, out.IssueState = string(e.State), string(e.Tracker), e.Repo, e.Number, e.URL, e.IssueState
	out.RequestedBy, out.RequestedAt, out.ExportedAt = string(e.RequestedBy), rfc3339(e.RequestedAt), rfc3339(e.ExportedAt)
	out.Delivery, out.Attempts, out.LastError = v.Delivery, v.Attempts, v.LastError
	if v.Delivery == "retrying" {
		out.NextAttempt = rfc3339(v.NextAttempt)
	}
	return out
}

func (s *Server) getFollowUpExport(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id := followUpID(r)
	v, err := s.app.FollowUpExport(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toIssueExportJSON(string(id), v))
	return nil
}

// exportFollowUp answers 202: the issue is created after the answer, by
// the outbox; GET tells when it exists.
func (s *Server) exportFollowUp(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[exportRequest](r, w)
	if err != nil {
		return err
	}
	id := followUpID(r)
	if _, err := s.app.ExportFollowUp(r.Context(), actor, id, app.ExportInput{Tracker: req.Tracker, Repo: req.Repo, Labels: req.Labels}); err != nil {
		return err
	}
	v, err := s.app.FollowUpExport(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, toIssueExportJSON(string(id), v))
	return nil
}
