package app

import (
	"context"
	"strings"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/rule"
	"blameful.dev/blameful/internal/store"
)

// Candidate is an earlier incident suggested as one an incident may be a
// recurrence of, with any decision already made on the pair.
type Candidate struct {
	recurrence.Match
	Decision *recurrence.Link
}

// RecurrenceCandidates returns the earlier incidents (of the 365 days
// before it started) that an incident may be a recurrence of: at most five,
// best first, each with its score, reasons and any decision made on it
// (F6). They are computed when asked, from indexed lookups, so they are as
// fresh as the incident. Every member may read them, as incidents.
func (a *App) RecurrenceCandidates(ctx context.Context, actor org.Actor, id incident.ID) ([]Candidate, error) {
	var out []Candidate
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		s, err := tx.RecurrenceSubject(id)
		if err != nil {
			return err
		}
		cands, systems, err := tx.RecurrenceCandidates(s)
		if err != nil {
			return err
		}
		links, err := tx.Recurrences(id)
		if err != nil {
			return err
		}
		decided := map[incident.ID]recurrence.Link{}
		for _, l := range links {
			if l.Incident == id {
				decided[l.Earlier] = l
			}
		}
		for _, m := range recurrence.Rank(s, cands, systems) {
			c := Candidate{Match: m}
			if l, ok := decided[m.Incident]; ok {
				c.Decision = &l
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// RecurrenceLinks are the decided links of an incident in both
// directions, with the missed follow-ups they recorded.
type RecurrenceLinks struct {
	Links  []recurrence.Link
	Missed []recurrence.Missed
}

// Recurrences returns the links in which an incident is the later or the
// earlier one, the latest decision first, and the missed follow-ups of
// those links (withdrawn ones too, marked).
func (a *App) Recurrences(ctx context.Context, actor org.Actor, id incident.ID) (RecurrenceLinks, error) {
	var out RecurrenceLinks
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		if _, err := tx.Incident(id); err != nil {
			return err
		}
		var err error
		if out.Links, err = tx.Recurrences(id); err != nil {
			return err
		}
		later := []incident.ID{}
		for _, l := range out.Links {
			later = append(later, l.Incident)
		}
		all, err := tx.MissedFollowUps(store.MissedFilter{Incidents: later})
		for _, m := range all {
			if m.Incident == id || m.Earlier == id {
				out.Missed = append(out.Missed, m)
			}
		}
		return err
	})
	return out, err
}

// maxReason bounds a decision's reason.
const maxReason = 2000

// DecideRecurrence confirms or dismisses that an incident is a recurrence
// of an earlier one (F6). Any member may decide, and decide again; every
// decision is audited. The earlier incident must have started before the
// incident, within 365 days (Invalid, F6, otherwise).
//
// Confirming records, for every follow-up of the earlier incident that was
// still open when the incident started, a missed follow-up against its
// owner (F7), once however often it is confirmed; the blame engine's A7
// then names that owner. Dismissing a confirmed link withdraws its missed
// follow-ups, which stay on record.
func (a *App) DecideRecurrence(ctx context.Context, actor org.Actor, later, earlier incident.ID, confirm bool, reason string) (recurrence.Link, []recurrence.Missed, error) {
	reason = strings.TrimSpace(reason)
	if msg := freetext.Check(reason, freetext.Note); msg != "" {
		return recurrence.Link{}, nil, errs.Field("reason", "%s", msg)
	}
	if len(reason) > maxReason {
		return recurrence.Link{}, nil, errs.Field("reason", "is longer than %d bytes", maxReason)
	}
	now := a.Now()
	l := recurrence.Link{Incident: later, Earlier: earlier, State: recurrence.Dismissed, Reason: reason, DecidedBy: actor.Ref, DecidedAt: now}
	if confirm {
		l.State = recurrence.Confirmed
	}
	var missed []recurrence.Missed
	err := a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		in, err := tx.Incident(later)
		if err != nil {
			return err
		}
		before, err := tx.Incident(earlier)
		if errs.KindOf(err) == errs.NotFound {
			var p errs.Problems
			p.AddRule(rule.F6, "earlier", "there is no incident %s (%s)", earlier, rule.F6)
			return p.Err()
		} else if err != nil {
			return err
		}
		if err := recurrence.CheckWindow(later, earlier, in.StartedAt, before.StartedAt); err != nil {
			return err
		}
		var old *linkRecord
		if prev, err := tx.Recurrence(later, earlier); err == nil {
			old = linkRecordOf(prev, nil)
			if prev.State == l.State && prev.Reason == l.Reason {
				l = prev
				missed, err = tx.MissedFollowUps(store.MissedFilter{Incidents: []incident.ID{later}, ActiveOnly: true})
				missed = missedOf(missed, earlier)
				return err
			}
		} else if errs.KindOf(err) != errs.NotFound {
			return err
		}
		if err := tx.SaveRecurrence(l); err != nil {
			return err
		}
		withdrawn := 0
		if confirm {
			list, err := tx.FollowUpsOf(earlier)
			if err != nil {
				return err
			}
			for _, m := range recurrence.MissedBy(later, earlier, in.StartedAt, list, now) {
				if _, err := tx.RecordMissed(m); err != nil {
					return err
				}
				missed = append(missed, m)
			}
		} else if withdrawn, err = tx.WithdrawMissed(later, earlier, now); err != nil {
			return err
		}
		action := "recurrence.confirm"
		if !confirm {
			action = "recurrence.dismiss"
		}
		rec := linkRecordOf(l, missed)
		rec.Withdrawn = withdrawn
		return a.record(tx, actor, action, string(later), change[linkRecord]{Before: old, After: rec})
	})
	return l, missed, err
}

func missedOf(list []recurrence.Missed, earlier incident.ID) []recurrence.Missed {
	var out []recurrence.Missed
	for _, m := range list {
		if m.Earlier == earlier {
			out = append(out, m)
		}
	}
	return out
}

// linkRecord is a recurrence decision as the audit log keeps it.
type linkRecord struct {
	Earlier string `json:"earlier"`
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	// Missed are the follow-ups recorded as missed (F7) by a confirmation.
	Missed []string `json:"missed,omitempty"`
	// Withdrawn counts the missed follow-ups a dismissal withdrew.
	Withdrawn int `json:"withdrawn,omitempty"`
}

func linkRecordOf(l recurrence.Link, missed []recurrence.Missed) *linkRecord {
	r := &linkRecord{Earlier: string(l.Earlier), State: string(l.State), Reason: l.Reason}
	for _, m := range missed {
		r.Missed = append(r.Missed, m.FollowUp+" "+string(m.Owner))
	}
	return r
}

// missedFacts returns the follow-ups that the incident's confirmed
// recurrences found open at its start, for A7.
func missedFacts(tx *store.Tx, id incident.ID) ([]blame.MissedFollowUp, error) {
	list, err := tx.MissedFollowUps(store.MissedFilter{Incidents: []incident.ID{id}, ActiveOnly: true})
	var out []blame.MissedFollowUp
	for _, m := range list {
		out = append(out, blame.MissedFollowUp{FollowUp: m.FollowUp, Owner: m.Owner, Earlier: m.Earlier, Due: m.Due})
	}
	return out, err
}

// missedInSubtree fills a ledger's missed follow-ups: those, still
// counting, of the owners in the leader's organisation (J6).
func missedInSubtree(tx *store.Tx, l *Ledger, owners []org.Ref) error {
	f := store.MissedFilter{Owners: owners, ActiveOnly: true}
	total, err := tx.CountMissedFollowUps(f)
	if err != nil {
		return err
	}
	f.Limit, f.Latest = maxLedgerLines, true
	list, err := tx.MissedFollowUps(f)
	if err != nil {
		return err
	}
	l.MissedTotal, l.MissedFollowUps = total, list
	return nil
}

// alertsRecord is an incident's alert signals as the audit log keeps them.
type alertsRecord struct {
	Fingerprints []string `json:"fingerprints"`
	Labels       []string `json:"labels"`
}

func alertsRecordOf(a recurrence.Alerts) *alertsRecord {
	return &alertsRecord{Fingerprints: append([]string{}, a.Fingerprints...), Labels: a.LabelPairs()}
}

// replaceAlerts replaces an incident's alert signals, with an audit event
// of their own, unless they are unchanged.
func (a *App) replaceAlerts(tx *store.Tx, actor org.Actor, id incident.ID, alerts recurrence.Alerts) error {
	m, err := tx.IncidentSignals([]incident.ID{id})
	if err != nil {
		return err
	}
	before, after := alertsRecordOf(m[id]), alertsRecordOf(alerts)
	if unchanged(before, after) {
		return nil
	}
	if err := tx.SetIncidentSignals(id, alerts); err != nil {
		return err
	}
	return a.record(tx, actor, "incident.alerts", string(id), change[alertsRecord]{Before: before, After: after})
}

// patchAlerts replaces an incident's fingerprints, labels or both; nil
// keeps what there is.
func (a *App) patchAlerts(tx *store.Tx, actor org.Actor, id incident.ID, fingerprints *[]string, labels *map[string]string) error {
	if fingerprints == nil && labels == nil {
		return nil
	}
	m, err := tx.IncidentSignals([]incident.ID{id})
	if err != nil {
		return err
	}
	next := m[id]
	if fingerprints != nil {
		next.Fingerprints = *fingerprints
	}
	if labels != nil {
		next.Labels = *labels
	}
	if next, err = next.Normalize(); err != nil {
		return err
	}
	return a.replaceAlerts(tx, actor, id, next)
}
