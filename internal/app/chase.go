package app

import (
	"context"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/rule"
	"blameful.dev/blameful/internal/store"
)

// The outbox kinds of following through.
const (
	OutboxReminder   = "followup.reminder"
	OutboxEscalation = "followup.escalation"
	OutboxApproval   = "followup.approval"
	OutboxDecided    = "followup.decided"
)

// RoleHRRecipient addresses a notification to everyone holding the hr role.
const RoleHRRecipient = "role:hr"

// FollowUpDetail is a follow-up with what following it through recorded:
// its wont_do requests (the pending one, if any, is Pending) and the
// reminders and escalations sent.
type FollowUpDetail struct {
	followup.FollowUp
	Pending  *followup.Request
	Requests []followup.Request
	Notices  []followup.Notice
	// Missed are the recurrences of its incident that found it still open
	// (F7), withdrawn ones included.
	Missed []recurrence.Missed
	// Approver is who decides a wont_do of it now: the first leader above
	// the owner, zero for HR. MayDecide says whether the reader may.
	Approver  org.Ref
	MayDecide bool
}

// FollowUpDetail returns one follow-up with its requests and notices.
func (a *App) FollowUpDetail(ctx context.Context, actor org.Actor, id followup.ID) (FollowUpDetail, error) {
	var d FollowUpDetail
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		if d, err = followUpDetail(tx, id); err != nil {
			return err
		}
		above, err := a.leadersAbove(tx, d.Owner)
		if len(above) > 0 {
			d.Approver = above[0]
		}
		d.MayDecide = followup.MayDecide(actor.Ref, d.Owner, above, actor.Has(org.RoleHR)) == nil
		return err
	})
	return d, err
}

func followUpDetail(tx *store.Tx, id followup.ID) (FollowUpDetail, error) {
	var d FollowUpDetail
	var err error
	if d.FollowUp, err = tx.FollowUp(id); err != nil {
		return d, err
	}
	if d.Requests, err = tx.Requests(id); err != nil {
		return d, err
	}
	for i := range d.Requests {
		if d.Requests[i].Outcome == followup.Pending {
			d.Pending = &d.Requests[i]
		}
	}
	if d.Notices, err = tx.Notices(id); err != nil {
		return d, err
	}
	d.Missed, err = tx.MissedFollowUps(store.MissedFilter{FollowUp: string(id)})
	return d, err
}

// leadersAbove returns the leaders above a follow-up's owner as the org
// stands now, nearest first: the first approves a wont_do (F3) and hears of
// an overdue follow-up, the second of a long overdue one (F4).
func (a *App) leadersAbove(tx *store.Tx, owner org.Ref) ([]org.Ref, error) {
	chart, err := a.chartFor(tx, []org.Ref{owner}, a.Now())
	if err != nil {
		return nil, err
	}
	return accountability.Chain(owner, chart), nil
}

// requestWontDo asks the owner's leader to let f close as wont_do (F3),
// inside tx. When the actor is that leader (or above), the request is
// approved at once and f closes; otherwise f stays open, the request waits,
// and the approver is notified. It reports whether f closed.
func (a *App) requestWontDo(tx *store.Tx, actor org.Actor, f *followup.FollowUp, reason string) (bool, error) {
	now := a.Now()
	_, pending, err := tx.PendingRequest(f.ID)
	if err != nil {
		return false, err
	}
	above, err := a.leadersAbove(tx, f.Owner)
	if err != nil {
		return false, err
	}
	var approver org.Ref
	if len(above) > 0 {
		approver = above[0]
	}
	r, err := followup.NewRequest(f, pending, reason, actor.Ref, approver, now)
	if err != nil {
		return false, err
	}
	r.ID = a.newID()
	self := followup.MayDecide(actor.Ref, f.Owner, above, actor.Has(org.RoleHR)) == nil
	if self {
		if err := r.Decide(true, actor.Ref, "requested by the approver", now); err != nil {
			return false, err
		}
		if err := f.SetStatus(followup.WontDo, r.Reason, now); err != nil {
			return false, err
		}
	}
	if err := tx.CreateRequest(&r); err != nil {
		return false, err
	}
	if err := a.record(tx, actor, "followup.wont_do_request", string(f.ID), requestRecordOf(&r)); err != nil {
		return false, err
	}
	if self {
		return true, nil
	}
	to := string(approver)
	if approver.IsZero() {
		to = RoleHRRecipient
	}
	return false, a.notify(tx, OutboxApproval, to, followUpMessage(f, map[string]any{
		"reason": r.Reason, "requested_by": string(r.RequestedBy), "approver": to,
	}))
}

// withdrawRequest ends f's pending wont_do request, if any, because of what
// the actor did to f instead (why).
func (a *App) withdrawRequest(tx *store.Tx, actor org.Actor, id followup.ID, why string) error {
	r, pending, err := tx.PendingRequest(id)
	if err != nil || !pending {
		return err
	}
	r.Withdraw(actor.Ref, why, a.Now())
	if err := tx.DecideRequest(&r); err != nil {
		return err
	}
	return a.record(tx, actor, "followup.wont_do_withdrawn", string(id), requestRecordOf(&r))
}

// DecideWontDo approves or refuses a follow-up's pending wont_do request
// (F3): only a leader above the owner (HR when there is none) decides, and
// a refusal needs a reason. Approval closes the follow-up as wont_do with
// the request's reason; either way the requester is told.
func (a *App) DecideWontDo(ctx context.Context, actor org.Actor, id followup.ID, approve bool, note string) (FollowUpDetail, error) {
	var d FollowUpDetail
	err := a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		f, err := tx.FollowUp(id)
		if err != nil {
			return err
		}
		// Authority first: a refusal tells nothing of whether a request
		// waits.
		above, err := a.leadersAbove(tx, f.Owner)
		if err != nil {
			return err
		}
		if err := followup.MayDecide(actor.Ref, f.Owner, above, actor.Has(org.RoleHR)); err != nil {
			return err
		}
		r, pending, err := tx.PendingRequest(id)
		if err != nil {
			return err
		}
		if !pending {
			return &errs.Error{Kind: errs.Conflict, Rule: rule.F3, Message: string(id) + " has no wont_do request waiting for a decision"}
		}
		now := a.Now()
		if err := r.Decide(approve, actor.Ref, note, now); err != nil {
			return err
		}
		if err := tx.DecideRequest(&r); err != nil {
			return err
		}
		if err := a.record(tx, actor, "followup.wont_do_decision", string(id), requestRecordOf(&r)); err != nil {
			return err
		}
		if approve {
			before := followUpRecordOf(&f)
			if err := f.SetStatus(followup.WontDo, r.Reason, now); err != nil {
				return err
			}
			if err := tx.UpdateFollowUp(&f, now); err != nil {
				return err
			}
			if err := a.record(tx, actor, "followup.update", string(f.ID), change[followUpRecord]{Before: before, After: followUpRecordOf(&f)}); err != nil {
				return err
			}
		}
		if err := a.notify(tx, OutboxDecided, string(r.RequestedBy), followUpMessage(&f, map[string]any{
			"outcome": string(r.Outcome), "decided_by": string(actor.Ref), "note": r.Note, "reason": r.Reason,
		})); err != nil {
			return err
		}
		d, err = followUpDetail(tx, id)
		return err
	})
	return d, err
}

// PendingApproval is a wont_do request waiting for a decision, with its
// follow-up.
type PendingApproval struct {
	Request  followup.Request
	FollowUp followup.FollowUp
}

// WontDoApprovals returns the pending wont_do requests the actor may decide,
// oldest first (F3): those of owners the actor leads (directly or higher
// up), and for HR those with nobody above the owner.
func (a *App) WontDoApprovals(ctx context.Context, actor org.Actor) ([]PendingApproval, error) {
	var out []PendingApproval
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		out, err = a.approvalsFor(tx, actor)
		return err
	})
	return out, err
}

// approvalsFor returns the pending wont_do requests actor may decide.
func (a *App) approvalsFor(tx *store.Tx, actor org.Actor) ([]PendingApproval, error) {
	reqs, fus, err := tx.PendingRequests(0)
	if err != nil || len(reqs) == 0 {
		return nil, err
	}
	owners := make([]org.Ref, 0, len(fus))
	for _, f := range fus {
		owners = append(owners, f.Owner)
	}
	chart, err := a.chartFor(tx, owners, a.Now())
	if err != nil {
		return nil, err
	}
	var out []PendingApproval
	for i := range reqs {
		above := accountability.Chain(fus[i].Owner, chart)
		if followup.MayDecide(actor.Ref, fus[i].Owner, above, actor.Has(org.RoleHR)) == nil {
			out = append(out, PendingApproval{Request: reqs[i], FollowUp: fus[i]})
		}
	}
	return out, nil
}

// ChaseReport counts what one chase did.
type ChaseReport struct {
	Reminders   int
	Escalations int
}

// chaseBatch bounds the follow-ups of one transaction.
const chaseBatch = 200

// ChaseFollowUps takes today's step for every open follow-up that is due
// one (F4): a reminder to the owner a few days before the due date and on
// it; when overdue, an escalation to the owner's leader, and long overdue
// to the next leader up. Each step is taken once per follow-up and due
// date, whichever server runs it: the notice's key decides, and the
// notification is queued in the same transaction. A team's follow-up is
// reminded to the team (its leader reads it) and escalated above it.
func (a *App) ChaseFollowUps(ctx context.Context) (ChaseReport, error) {
	var rep ChaseReport
	actor := org.System("followups")
	for _, w := range a.cfg.Chase.Windows(a.Now()) {
		for {
			n, err := a.chaseBatch(ctx, actor, w, &rep)
			if err != nil {
				return rep, err
			}
			if n < chaseBatch {
				break
			}
		}
	}
	return rep, nil
}

// chaseBatch takes one batch of window w's steps; it returns how many
// follow-ups it looked at.
func (a *App) chaseBatch(ctx context.Context, actor org.Actor, w followup.Window, rep *ChaseReport) (int, error) {
	var n int
	var sent ChaseReport
	err := a.db.Update(ctx, func(tx *store.Tx) error {
		sent = ChaseReport{}
		due, err := tx.ChaseDue(w, chaseBatch)
		if err != nil {
			return err
		}
		n = len(due)
		if n == 0 {
			return nil
		}
		owners := make([]org.Ref, len(due))
		for i, f := range due {
			owners[i] = f.Owner
		}
		now := a.Now()
		chart, err := a.chartFor(tx, owners, now)
		if err != nil {
			return err
		}
		for i := range due {
			f := &due[i]
			to := chaseRecipient(w.Kind, f.Owner, accountability.Chain(f.Owner, chart))
			notice := followup.Notice{FollowUp: f.ID, Kind: w.Kind, Due: f.Due, Recipient: org.Ref(to), Owner: f.Owner, SentAt: now}
			added, err := tx.AddNotice(&notice)
			if err != nil {
				return err
			}
			if !added {
				continue // another server took this step a moment ago
			}
			if err := a.record(tx, actor, "followup.notice", string(f.ID), noticeRecordOf(&notice)); err != nil {
				return err
			}
			kind := OutboxReminder
			if w.Kind.IsEscalation() {
				kind = OutboxEscalation
				sent.Escalations++
			} else {
				sent.Reminders++
			}
			if err := a.notify(tx, kind, to, followUpMessage(f, map[string]any{
				"step": string(w.Kind), "days_overdue": f.DaysOverdue(now), "recipient": to,
			})); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		rep.Reminders += sent.Reminders
		rep.Escalations += sent.Escalations
	}
	return n, err
}

// chaseRecipient is who hears of a step: the owner for a reminder, the
// first leader above for an escalation, the second for a long overdue one
// (the first again when there is no second), HR when nobody is above.
func chaseRecipient(k followup.NoticeKind, owner org.Ref, above []org.Ref) string {
	switch {
	case !k.IsEscalation():
		return string(owner)
	case len(above) == 0:
		return RoleHRRecipient
	case k == followup.EscalationUp && len(above) > 1:
		return string(above[1])
	}
	return string(above[0])
}

// followUpMessage is a notification's payload about f, with extra fields.
func followUpMessage(f *followup.FollowUp, extra map[string]any) map[string]any {
	m := map[string]any{
		"followup": string(f.ID), "title": f.Title, "owner": string(f.Owner), "incident": string(f.Incident),
		"due": f.Due.Format(time.DateOnly), "priority": string(f.Priority), "status": string(f.Status),
		"link": "/followups/" + string(f.ID),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

type requestRecord struct {
	FollowUp    string `json:"followup"`
	Reason      string `json:"reason"`
	RequestedBy string `json:"requested_by"`
	Approver    string `json:"approver"`
	Outcome     string `json:"outcome"`
	DecidedBy   string `json:"decided_by,omitempty"`
	Note        string `json:"note,omitempty"`
}

func requestRecordOf(r *followup.Request) requestRecord {
	return requestRecord{FollowUp: string(r.FollowUp), Reason: r.Reason, RequestedBy: string(r.RequestedBy), Approver: string(r.Approver),
		Outcome: string(r.Outcome), DecidedBy: string(r.DecidedBy), Note: r.Note}
}

type noticeRecord struct {
	Kind      string `json:"kind"`
	Due       string `json:"due"`
	Owner     string `json:"owner"`
	Recipient string `json:"recipient"`
}

func noticeRecordOf(n *followup.Notice) noticeRecord {
	return noticeRecord{Kind: string(n.Kind), Due: n.Due.Format(time.DateOnly), Owner: string(n.Owner), Recipient: string(n.Recipient)}
}
