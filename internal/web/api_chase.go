package web

import (
	"net/http"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
)

// requestJSON is a wont_do request (F3).
type requestJSON struct {
	ID          string  `json:"id"`
	Reason      string  `json:"reason"`
	RequestedBy string  `json:"requested_by"`
	RequestedAt *string `json:"requested_at"`
	// Approver is "" when HR decides (nobody is above the owner).
	Approver  string  `json:"approver"`
	Outcome   string  `json:"outcome"`
	DecidedBy string  `json:"decided_by,omitempty"`
	DecidedAt *string `json:"decided_at"`
	Note      string  `json:"note,omitempty"`
}

func toRequestJSON(r followup.Request) requestJSON {
	return requestJSON{ID: r.ID, Reason: r.Reason, RequestedBy: string(r.RequestedBy), RequestedAt: rfc3339(r.RequestedAt),
		Approver: string(r.Approver), Outcome: string(r.Outcome), DecidedBy: string(r.DecidedBy), DecidedAt: rfc3339(r.DecidedAt), Note: r.Note}
}

// noticeJSON is a reminder or escalation sent (F4).
type noticeJSON struct {
	Kind      string  `json:"kind"`
	Due       string  `json:"due"`
	Recipient string  `json:"recipient"`
	SentAt    *string `json:"sent_at"`
}

// followUpDetailJSON is one follow-up with what following it through
// recorded.
type followUpDetailJSON struct {
	followUpJSON
	// WontDoRequest is the pending wont_do request, or null.
	WontDoRequest *requestJSON  `json:"wont_do_request"`
	Requests      []requestJSON `json:"requests"`
	Notices       []noticeJSON  `json:"notices"`
	Missed        []missedJSON  `json:"missed"`
}

func toFollowUpDetailJSON(d app.FollowUpDetail, now time.Time) followUpDetailJSON {
	out := followUpDetailJSON{followUpJSON: toFollowUpJSON(d.FollowUp, now), Requests: []requestJSON{}, Notices: []noticeJSON{}, Missed: []missedJSON{}}
	for _, m := range d.Missed {
		out.Missed = append(out.Missed, toMissedJSON(m))
	}
	for _, r := range d.Requests {
		out.Requests = append(out.Requests, toRequestJSON(r))
	}
	if d.Pending != nil {
		p := toRequestJSON(*d.Pending)
		out.WontDoRequest = &p
	}
	for _, n := range d.Notices {
		out.Notices = append(out.Notices, noticeJSON{Kind: string(n.Kind), Due: n.Due.Format(time.DateOnly), Recipient: string(n.Recipient),
			SentAt: rfc3339(n.SentAt)})
	}
	return out
}

func followUpID(r *http.Request) followup.ID { return followup.ID(strings.ToUpper(r.PathValue("id"))) }

func (s *Server) writeFollowUpDetail(w http.ResponseWriter, r *http.Request, actor org.Actor, id followup.ID) error {
	d, err := s.app.FollowUpDetail(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFollowUpDetailJSON(d, s.app.Now()))
	return nil
}

type approvalRequest struct {
	Approve *bool  `json:"approve"`
	Reason  string `json:"reason" text:"note"`
}

// postApproval approves or refuses a follow-up's pending wont_do (F3).
func (s *Server) postApproval(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[approvalRequest](r, w)
	if err != nil {
		return err
	}
	if req.Approve == nil {
		return errs.Field("approve", "is required: true to approve the wont_do, false to refuse it (F3)")
	}
	d, err := s.app.DecideWontDo(r.Context(), actor, followUpID(r), *req.Approve, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFollowUpDetailJSON(d, s.app.Now()))
	return nil
}

type approvalJSON struct {
	FollowUp followUpJSON `json:"followup"`
	Request  requestJSON  `json:"request"`
}

// listApprovals lists the wont_do requests waiting for the caller (F3).
func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	items, err := s.app.WontDoApprovals(r.Context(), actor)
	if err != nil {
		return err
	}
	now := s.app.Now()
	out := list[approvalJSON]{Items: []approvalJSON{}}
	for _, p := range items {
		out.Items = append(out.Items, approvalJSON{FollowUp: toFollowUpJSON(p.FollowUp, now), Request: toRequestJSON(p.Request)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
