package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// Follow-ups exported to GitHub Issues: the export is asked for in
// blameful (ExportFollowUp), the outbox's GitHub channel creates the
// issue and the delivery links the follow-up to it (issueCreated), and
// GitHub's issues webhook brings a closed or reopened issue back as the
// follow-up's status (githubIssue).

// ExportInput is what exporting a follow-up takes.
type ExportInput struct {
	// Tracker is "github", the one tracker there is.
	Tracker string
	// Repo is the GitHub repository, OWNER/NAME.
	Repo string
	// Labels are the labels the issue gets (followup.ParseLabels).
	Labels []string
}

// ExportFollowUp asks for an issue in GitHub for a follow-up: in one
// transaction it records the export as pending, queues the outbox
// message that creates the issue, and appends the audit event. The
// follow-up's owner may (for a team owner, its members and leader), the
// leaders above the owner, and admins: exporting puts the work into
// someone's tracker, which is theirs to ask for. Invalid for a bad
// tracker, repository or label (naming the field); NotFound for an unknown
// follow-up; Forbidden for anyone else; Conflict when the follow-up is
// exported already, or waits for its issue, or is closed.
func (a *App) ExportFollowUp(ctx context.Context, actor org.Actor, id followup.ID, in ExportInput) (followup.Export, error) {
	now := a.Now()
	var e followup.Export
	var p errs.Problems
	tracker, err := followup.ParseTracker(in.Tracker)
	if err != nil {
		p.Add("tracker", "%s", fieldMessage(err, "tracker"))
	}
	repo, err := followup.ParseRepo(in.Repo)
	if err != nil {
		p.Add("repo", "%s", fieldMessage(err, "repo"))
	}
	labels, err := followup.ParseLabels(in.Labels)
	if err != nil {
		p.Add("labels", "%s", fieldMessage(err, "labels"))
	}
	if err := p.Err(); err != nil {
		return e, err
	}
	err = a.write(ctx, actor, nil, func(tx *store.Tx) error {
		f, err := tx.FollowUp(id)
		if err != nil {
			return err
		}
		if ok, err := a.mayExport(tx, actor, f.Owner); err != nil {
			return err
		} else if !ok {
			return errs.E(errs.Forbidden, "only the owner of %s (for a team, its members), a leader above it or an admin may export it", f.ID)
		}
		prior, err := tx.Export(id)
		switch {
		case err == nil:
			return followup.CheckExport(&prior)
		case errs.KindOf(err) != errs.NotFound:
			return err
		}
		if f.Status != followup.Open {
			return errs.E(errs.Conflict, "%s is %s: only an open follow-up is exported as an issue", f.ID, f.Status)
		}
		payload, err := json.Marshal(notify.IssuePayload{FollowUp: string(f.ID), Incident: string(f.Incident), Repo: repo, Title: f.Title,
			Owner: string(f.Owner), Due: f.Due.Format(time.DateOnly), Priority: string(f.Priority), Labels: labels})
		if err != nil {
			return fmt.Errorf("export %s: %w", f.ID, err)
		}
		e = followup.Export{FollowUp: f.ID, Tracker: tracker, Repo: repo, State: followup.ExportPending, Message: a.newID(),
			RequestedBy: actor.Ref, RequestedAt: now}
		if err := tx.Enqueue(store.OutboxMessage{ID: e.Message, Kind: notify.KindGitHubIssue, Recipient: "github:" + repo,
			Payload: payload, CreatedAt: now}); err != nil {
			return err
		}
		if err := tx.CreateExport(&e); err != nil {
			return err
		}
		return a.record(tx, actor, "followup.export", string(f.ID), exportRecordOf(&e))
	})
	return e, err
}

// mayExport reports whether actor may export the follow-ups of owner: an
// admin, the owner, a team owner's members and leaders, or a leader above.
func (a *App) mayExport(tx *store.Tx, actor org.Actor, owner org.Ref) (bool, error) {
	if actor.Has(org.RoleAdmin) || actor.Ref == owner {
		return true, nil
	}
	if !actor.IsPerson() {
		return false, nil
	}
	au, err := a.audienceOf(tx, owner, a.Now())
	if err != nil {
		return false, err
	}
	return slices.Contains(au.members, actor.Ref) || slices.Contains(au.chain, actor.Ref), nil
}

// ExportView is a follow-up's export as its page shows it.
type ExportView struct {
	// Export is nil when the follow-up was never exported.
	Export *followup.Export
	// Delivery is where a pending export's issue stands: "waiting" (not
	// tried yet, or no server with a GitHub token has taken it),
	// "retrying" (a try failed; another is due at NextAttempt) or "failed"
	// (no more tries: an administrator may retry it from the outbox).
	Delivery    string
	Attempts    int
	NextAttempt time.Time
	// LastError is the last try's error, shown only to those who may
	// export (it quotes GitHub's answer).
	LastError string
	// MayExport says whether the reader may export the follow-up now.
	MayExport bool
}

// FollowUpExport returns a follow-up's export, and whether the reader may
// export it. Every member may read it; NotFound for an unknown
// follow-up.
func (a *App) FollowUpExport(ctx context.Context, actor org.Actor, id followup.ID) (ExportView, error) {
	var v ExportView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		f, err := tx.FollowUp(id)
		if err != nil {
			return err
		}
		allowed, err := a.mayExport(tx, actor, f.Owner)
		if err != nil {
			return err
		}
		e, err := tx.Export(id)
		if errs.KindOf(err) == errs.NotFound {
			v.MayExport = allowed && f.Status == followup.Open
			return nil
		} else if err != nil {
			return err
		}
		v.Export = &e
		if e.State != followup.ExportPending {
			return nil
		}
		ds, err := tx.MessageDeliveries(e.Message)
		if err != nil {
			return err
		}
		v.Delivery = "waiting"
		for _, d := range ds {
			if d.Channel != string(notify.GitHub) {
				continue
			}
			v.Attempts, v.NextAttempt = d.Attempts, d.NextAttempt
			if allowed {
				v.LastError = d.LastError
			}
			switch {
			case d.State == store.DeliveryDead:
				v.Delivery = "failed"
			case d.LastError != "":
				v.Delivery = "retrying"
			}
		}
		return nil
	})
	return v, err
}

// issueCreated links a follow-up to the issue its export's message made,
// inside the delivery's transaction: the export is exported, and the
// follow-up's tracker URL is the issue's page. A message that exports
// nothing, or an export already linked, is left alone.
func (a *App) issueCreated(tx *store.Tx, m notify.Message, issue notify.Issue, now time.Time) error {
	e, err := tx.ExportOfMessage(m.ID)
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil || e.State == followup.Exported {
		return err
	}
	e.State, e.Number, e.URL, e.IssueState, e.ExportedAt = followup.Exported, issue.Number, issue.HTMLURL, "open", now
	if err := tx.UpdateExport(&e); err != nil {
		return err
	}
	if err := a.record(tx, githubActor(), "followup.export", string(e.FollowUp), exportRecordOf(&e)); err != nil {
		return err
	}
	f, err := tx.FollowUp(e.FollowUp)
	if err != nil {
		return err
	}
	before := followUpRecordOf(&f)
	f.TrackerURL = issue.HTMLURL
	if f.Validate(now) != nil || unchanged(before, followUpRecordOf(&f)) {
		// The issue exists whatever the follow-up holds: failing here
		// would leave the delivery to be tried again, and a second issue
		// made. The export keeps the link.
		return nil
	}
	if err := tx.UpdateFollowUp(&f, now); err != nil {
		return err
	}
	return a.record(tx, githubActor(), "followup.update", string(f.ID), change[followUpRecord]{Before: before, After: followUpRecordOf(&f)})
}

// githubIssue brings an exported issue's closing or reopening back to its
// follow-up: closed marks it done, reopened opens it again (followup.Synced
// says when each applies). The person whose handle is the sender's login
// acts, else blameful's GitHub actor. An issue no follow-up was exported
// as changes nothing.
func (a *App) githubIssue(ctx context.Context, d ingest.GitHubDelivery, out GitHubOutcome) (GitHubOutcome, error) {
	now := a.Now()
	iss := d.Issue
	err := a.db.Update(ctx, func(tx *store.Tx) error {
		if ok, err := claimDelivery(tx, d, now, &out); err != nil || !ok {
			return err
		}
		e, err := tx.ExportOfIssue(followup.GitHub, d.Repository, iss.Number)
		if errs.KindOf(err) == errs.NotFound {
			out.Reason = fmt.Sprintf("no follow-up was exported as %s#%d", d.Repository, iss.Number)
			return errNothing
		} else if err != nil {
			return err
		}
		out.FollowUp = string(e.FollowUp)
		f, err := tx.FollowUp(e.FollowUp)
		if err != nil {
			return err
		}
		person, _, err := personOfLogin(tx, d.Sender, now)
		if err != nil {
			return err
		}
		actor := githubActor()
		if !person.IsZero() {
			actor = org.Actor{Ref: person, Roles: []org.Role{org.RoleMember}}
		}
		before := followUpRecordOf(&f)
		url := iss.URL
		if url == "" {
			url = e.URL
		}
		// The action says where the issue now stands.
		issueState := map[string]string{"closed": "closed", "reopened": "open"}[d.Action]
		changed := followup.Synced(&f, d.Action, url, now)
		if !changed && issueState == e.IssueState {
			out.Reason = fmt.Sprintf("%s is %s already; the issue being %s changes nothing", f.ID, f.Status, d.Action)
			return errNothing
		}
		if err := a.saveIssueSync(tx, actor, &f, before, changed, &e, issueState, "the issue was "+d.Action+" in GitHub"); err != nil {
			return err
		}
		out.Recorded = true
		out.Reason = fmt.Sprintf("%s is %s: issue %s#%d was %s", f.ID, f.Status, d.Repository, iss.Number, d.Action)
		if !changed {
			out.Reason = fmt.Sprintf("%s stays %s; issue %s#%d was %s", f.ID, f.Status, d.Repository, iss.Number, d.Action)
		}
		return tx.SetReceiptOutcome(hookSource, "delivery:"+d.ID, out.Reason)
	})
	if errors.Is(err, errNothing) {
		err = nil
	}
	return out, err
}

// saveIssueSync writes what an issue event changed, with its audit
// events: the follow-up's status when changed (withdrawing a pending
// wont_do request, as any status change does), and the export's record of
// the issue's state when it moved.
func (a *App) saveIssueSync(tx *store.Tx, actor org.Actor, f *followup.FollowUp, before *followUpRecord, changed bool,
	e *followup.Export, issueState, why string) error {
	now := a.Now()
	if changed {
		if err := a.withdrawRequest(tx, actor, f.ID, why); err != nil {
			return err
		}
		if err := f.Validate(now); err != nil {
			return err
		}
		if err := tx.UpdateFollowUp(f, now); err != nil {
			return err
		}
		if err := a.record(tx, actor, "followup.update", string(f.ID), change[followUpRecord]{Before: before, After: followUpRecordOf(f)}); err != nil {
			return err
		}
	}
	if issueState == e.IssueState {
		return nil
	}
	e.IssueState = issueState
	if err := tx.UpdateExport(e); err != nil {
		return err
	}
	return a.record(tx, actor, "followup.export", string(f.ID), exportRecordOf(e))
}

type exportRecord struct {
	Tracker     string `json:"tracker"`
	Repo        string `json:"repo"`
	State       string `json:"state"`
	Number      int64  `json:"issue_number,omitempty"`
	URL         string `json:"url,omitempty"`
	IssueState  string `json:"issue_state,omitempty"`
	Message     string `json:"message"`
	RequestedBy string `json:"requested_by"`
}

func exportRecordOf(e *followup.Export) exportRecord {
	return exportRecord{Tracker: string(e.Tracker), Repo: e.Repo, State: string(e.State), Number: e.Number, URL: e.URL,
		IssueState: e.IssueState, Message: e.Message, RequestedBy: string(e.RequestedBy)}
}

// fieldMessage is what an errs.Field error says of its field.
func fieldMessage(err error, field string) string {
	if e, ok := errs.As(err); ok && e.Fields[field] != "" {
		return e.Fields[field]
	}
	return err.Error()
}
