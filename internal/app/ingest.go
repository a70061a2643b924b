package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/store"
)

// WithAlertMapping sets how alert labels become a severity and a failed
// entity (serve's --alert-entity-labels and --alert-severity).
func WithAlertMapping(m ingest.Mapping) Option { return func(a *App) { a.mapping = m } }

// AlertMapping returns the mapping in force.
func (a *App) AlertMapping() ingest.Mapping { return a.mapping }

// IngestResult says what one delivery did.
type IngestResult struct {
	// Incident is where the group's alerts went.
	Incident incident.ID `json:"incident"`
	// Opened reports that this delivery opened the incident.
	Opened bool `json:"opened"`
	// Recorded counts the alert events new to the incident; Repeated
	// those it already had (a sender's retry).
	Recorded int `json:"recorded"`
	Repeated int `json:"repeated"`
	// Mitigated reports that the whole group resolved and the incident
	// moved to mitigated.
	Mitigated bool `json:"mitigated"`
}

// IngestAlerts records one delivery of alerts: the group's firing alerts
// open an incident or join the one it has, each new event becomes a
// timeline entry of kind alert with its fingerprint and labels, and when
// the whole group resolves the incident moves to mitigated. A delivery
// already recorded changes nothing. Only ingest tokens, and admins, may
// deliver.
//
// Deliveries are committed in groups (group commit): while one
// transaction writes, the deliveries that arrive wait, and the next
// transaction takes them all, each with its own audit event. An alert
// storm then costs a few transactions a second, not one per delivery.
// When the database cannot take them the caller gets Unavailable, which
// the hooks answer with 503 and Retry-After, so senders retry.
func (a *App) IngestAlerts(ctx context.Context, actor org.Actor, b ingest.Batch) (IngestResult, error) {
	if err := require(actor, org.RoleIngest, org.RoleAdmin); err != nil {
		return IngestResult{}, err
	}
	return a.ingest.submit(ctx, a, actor, b)
}

// ingestRecord is the audit payload of a delivery: what it added.
type ingestRecord struct {
	Source   string             `json:"source"`
	Group    string             `json:"group"`
	Events   []alertEventRecord `json:"events,omitempty"`
	Resolved bool               `json:"group_resolved,omitempty"`
}

type alertEventRecord struct {
	Entry       string    `json:"entry"`
	Key         string    `json:"key"`
	Fingerprint string    `json:"fingerprint"`
	Status      string    `json:"status"`
	At          time.Time `json:"at"`
}

// ingestIn records one delivery inside tx.
func (a *App) ingestIn(tx *store.Tx, actor org.Actor, b *ingest.Batch, labels []string) (IngestResult, error) {
	labelText := make(map[string]string, len(labels))
	for i, t := range labels {
		labelText[b.Alerts[i].Key] = t
	}
	now := a.Now()
	src := string(b.Source)
	g, inc, found, err := tx.CurrentAlertGroup(src, b.Group)
	if err != nil {
		return IngestResult{}, err
	}
	status := inc.Status
	events := uniqueEvents(b.Alerts)
	fresh := events
	if found {
		keys := make([]string, len(events))
		for i, e := range events {
			keys[i] = e.Key
		}
		seen, err := tx.RecordedAlertEvents(g.Incident, keys)
		if err != nil {
			return IngestResult{}, err
		}
		fresh = slices.DeleteFunc(slices.Clone(events), func(e ingest.Alert) bool { return seen[e.Key] })
	}
	res := IngestResult{Repeated: len(events) - len(fresh)}
	firing := slices.ContainsFunc(fresh, func(e ingest.Alert) bool { return e.Status == ingest.Firing })
	if !found || (status == incident.StatusResolved && firing) {
		// A new group, or one that fires again after a person resolved
		// its incident: a new incident.
		var previous incident.ID
		if found {
			previous = g.Incident
		}
		if inc, err = a.openFromAlerts(tx, actor, b, fresh, now); err != nil {
			return IngestResult{}, err
		}
		g = incident.AlertGroup{Source: src, Key: b.Group, Incident: inc.ID, Current: true, OpenedAt: now}
		if err := tx.OpenAlertGroup(g, previous); err != nil {
			return IngestResult{}, err
		}
		res.Opened = true
	}
	res.Incident = inc.ID
	res.Recorded = len(fresh)
	rec := ingestRecord{Source: src, Group: b.Group}
	if len(fresh) > 0 {
		entries := make([]incident.Entry, len(fresh))
		stored := make([]incident.AlertEvent, len(fresh))
		rec.Events = make([]alertEventRecord, len(fresh))
		for i, e := range fresh {
			id := a.newID()
			entries[i] = incident.Entry{ID: id, Incident: inc.ID, OccurredAt: e.At, RecordedAt: now, Author: actor.Ref,
				Kind: incident.EntryAlert, Text: e.Text, UpdatedAt: now}
			stored[i] = incident.AlertEvent{Entry: id, Incident: inc.ID, Source: src, Key: e.Key, Fingerprint: e.Fingerprint,
				Status: string(e.Status), At: e.At, Labels: e.Labels, ReceivedAt: now, LabelText: labelText[e.Key]}
			rec.Events[i] = alertEventRecord{Entry: id, Key: e.Key, Fingerprint: e.Fingerprint, Status: string(e.Status), At: e.At}
		}
		if err := tx.AddAlertEvents(entries, stored); err != nil {
			return IngestResult{}, err
		}
		// I1: an alert long before the declaration. Only the new entries
		// can be earlier than what was already judged.
		if f, ok := integrity.LateDeclaration(&inc, entries, a.cfg.Integrity, now); ok {
			if err := a.raise(tx, actor, f); err != nil {
				return IngestResult{}, err
			}
		}
	}
	switch {
	case b.Resolved && g.ResolvedAt.IsZero():
		rec.Resolved = true
		if err := tx.SetAlertGroupResolved(src, b.Group, inc.ID, lastAt(fresh, now)); err != nil {
			return IngestResult{}, err
		}
		if inc.Status == incident.StatusOpen {
			if err := a.mitigateFromAlerts(tx, actor, &inc, lastAt(fresh, now), now); err != nil {
				return IngestResult{}, err
			}
			res.Mitigated = true
		}
	case !b.Resolved && firing && !g.ResolvedAt.IsZero():
		if err := tx.SetAlertGroupResolved(src, b.Group, inc.ID, time.Time{}); err != nil {
			return IngestResult{}, err
		}
	}
	if len(rec.Events) > 0 || rec.Resolved || res.Opened {
		if err := a.record(tx, actor, "alert.ingest", string(inc.ID), rec); err != nil {
			return IngestResult{}, err
		}
	}
	return res, nil
}

// uniqueEvents drops events repeated within one delivery.
func uniqueEvents(in []ingest.Alert) []ingest.Alert {
	seen := make(map[string]bool, len(in))
	out := make([]ingest.Alert, 0, len(in))
	for _, e := range in {
		if !seen[e.Key] {
			seen[e.Key] = true
			out = append(out, e)
		}
	}
	return out
}

// lastAt is when the last of the events happened; now when there are none.
func lastAt(events []ingest.Alert, now time.Time) time.Time {
	var t time.Time
	for _, e := range events {
		if e.At.After(t) {
			t = e.At
		}
	}
	if t.IsZero() || t.After(now) {
		return now
	}
	return t
}

// openFromAlerts declares the incident a group's first alerts open: its
// title and labels from the group, its start at the earliest event, its
// failed entity from the labels (none when they name no entity in the
// catalog: A4 then has the leader clarify ownership).
func (a *App) openFromAlerts(tx *store.Tx, actor org.Actor, b *ingest.Batch, events []ingest.Alert, now time.Time) (incident.Incident, error) {
	labels := maps.Clone(b.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	for _, e := range events {
		for k, v := range e.Labels {
			if _, ok := labels[k]; !ok {
				labels[k] = v
			}
		}
		break // the first alert fills in what the group does not share
	}
	started := now
	for _, e := range events {
		if e.At.Before(started) {
			started = e.At
		}
	}
	entity, summary, err := a.alertEntity(tx, labels)
	if err != nil {
		return incident.Incident{}, err
	}
	// The summary is left to people: words of the sender's in it would
	// make every incident from alerts look like every other to the
	// recurrence search. What blameful made of the labels is a timeline
	// entry instead.
	inc := incident.Incident{
		Title: b.Title, Severity: a.mapping.Severity(labels), Status: incident.StatusOpen, Source: string(b.Source),
		StartedAt: started, DetectedAt: started, DeclaredAt: now,
		CreatedBy: actor.Ref, CreatedAt: now, UpdatedAt: now,
	}
	if b.URL != "" {
		summary += " Source: " + b.URL
	}
	if !entity.IsZero() {
		inc.Entities = []incident.FailedEntity{{Ref: entity, Origin: true}}
	}
	if err := inc.Validate(now); err != nil {
		return inc, fmt.Errorf("an incident opened by alerts does not validate: %w", err)
	}
	if err := a.declareIn(tx, actor, &inc, signalsOf(labels, events)); err != nil {
		return inc, err
	}
	note := incident.Entry{ID: a.newID(), Incident: inc.ID, OccurredAt: now, RecordedAt: now, Author: actor.Ref,
		Kind: incident.EntryObservation, Text: summary, UpdatedAt: now}
	if err := note.Validate(now); err != nil {
		return inc, fmt.Errorf("the note of an incident opened by alerts does not validate: %w", err)
	}
	return inc, tx.CreateEntry(&note)
}

// alertEntity finds the catalog entity the labels name, and says in the
// incident's summary where it came from or that none was found.
func (a *App) alertEntity(tx *store.Tx, labels map[string]string) (org.Ref, string, error) {
	names, team := a.mapping.Names(labels)
	var refs []org.Ref
	for _, n := range names {
		refs = append(refs, ingest.EntityRefs(n)...)
	}
	if len(refs) > 0 {
		found, err := tx.Entities(store.EntityFilter{Refs: refs})
		if err != nil {
			return "", "", err
		}
		known := map[org.Ref]bool{}
		for _, e := range found {
			known[e.Ref] = true
		}
		for _, r := range refs { // the mapping's order, then the kinds' order
			if known[r] {
				return r, "Opened from alerts on " + r.Short() + ".", nil
			}
		}
	}
	var named []string
	for _, l := range a.mapping.EntityLabels {
		if v := labels[l]; v != "" && l != "team" {
			named = append(named, l+"="+v)
		}
	}
	if len(named) == 0 {
		return "", "Opened from alerts whose labels name no entity (labels looked at: " + strings.Join(a.mapping.EntityLabels, ", ") + ").", nil
	}
	msg := "Opened from alerts whose labels name no catalog entity (" + strings.Join(named, ", ") + "): an ownership gap."
	if team != "" {
		msg += " The alerts say team " + team + "."
	}
	return "", msg, nil
}

// signalsOf are the recurrence signals of an incident opened by alerts:
// the labels the group shares and the first alerts' fingerprints.
func signalsOf(labels map[string]string, events []ingest.Alert) recurrence.Alerts {
	out := recurrence.Alerts{Labels: map[string]string{}}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if len(out.Labels) == recurrence.MaxLabels {
			break
		}
		if v := labels[k]; len(k)+len(v) < 190 {
			out.Labels[k] = v
		}
	}
	for _, e := range events {
		if len(out.Fingerprints) == recurrence.MaxFingerprints {
			break
		}
		if len(e.Fingerprint) <= 200 && !slices.Contains(out.Fingerprints, e.Fingerprint) {
			out.Fingerprints = append(out.Fingerprints, e.Fingerprint)
		}
	}
	if n, err := out.Normalize(); err == nil {
		return n
	}
	return recurrence.Alerts{}
}

// mitigateFromAlerts moves an incident whose alerts all resolved to
// mitigated, at when the last of them resolved.
func (a *App) mitigateFromAlerts(tx *store.Tx, actor org.Actor, inc *incident.Incident, at, now time.Time) error {
	before := *inc
	if at.Before(inc.StartedAt) {
		at = inc.StartedAt
	}
	inc.Status, inc.MitigatedAt, inc.UpdatedAt = incident.StatusMitigated, at, now
	if err := tx.UpdateIncident(inc); err != nil {
		return err
	}
	return a.record(tx, actor, "incident.update", string(inc.ID), change[incidentRecord]{Before: recordOf(&before), After: recordOf(inc)})
}

// errIngestBusy refuses a delivery when too many wait to be stored: the
// sender retries later rather than the server queueing without end.
var errIngestBusy = errs.E(errs.Unavailable, "blameful is taking in more alerts than it can store; retry later")
