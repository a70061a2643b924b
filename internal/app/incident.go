package app

import (
	"context"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/store"
)

// IncidentInput is what declaring an incident takes.
type IncidentInput struct {
	Title      string
	Severity   incident.Severity
	Summary    string
	Impact     string
	Source     string
	StartedAt  time.Time
	DetectedAt time.Time
	// DeclaredAt defaults to now.
	DeclaredAt time.Time
	Entities   []incident.FailedEntity
	// Alerts are the alert fingerprints and labels of the incident (F6).
	Alerts recurrence.Alerts
}

// DeclareIncident records a new incident with a draft postmortem. Its ID is
// the next of the year it started in. When the blame engine already finds
// ownership ambiguous (A4), the leader it names gets a follow-up to clarify
// ownership. Any member may declare.
func (a *App) DeclareIncident(ctx context.Context, actor org.Actor, in IncidentInput) (incident.Incident, error) {
	now := a.Now()
	inc := incident.Incident{
		Title: in.Title, Severity: in.Severity, Status: incident.StatusOpen, Summary: in.Summary, Impact: in.Impact,
		Source: in.Source, StartedAt: in.StartedAt, DetectedAt: in.DetectedAt, DeclaredAt: in.DeclaredAt,
		Entities: in.Entities, CreatedBy: actor.Ref, CreatedAt: now, UpdatedAt: now,
	}
	if inc.Source == "" {
		inc.Source = "manual"
	}
	if inc.DeclaredAt.IsZero() {
		inc.DeclaredAt = now
		if inc.DeclaredAt.Before(inc.StartedAt) { // a start a little in the future (clock skew)
			inc.DeclaredAt = inc.StartedAt
		}
	}
	if err := inc.Validate(now); err != nil {
		return inc, err
	}
	alerts, err := in.Alerts.Normalize()
	if err != nil {
		return inc, err
	}
	err = a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		if err := checkEntities(tx, inc.Entities); err != nil {
			return err
		}
		return a.declareIn(tx, actor, &inc, alerts)
	})
	return inc, err
}

// declareIn records a validated incident in tx: its ID, its draft
// postmortem, its alert signals, the integrity detectors and, when the
// blame engine finds ownership ambiguous, the leader's clarification.
func (a *App) declareIn(tx *store.Tx, actor org.Actor, inc *incident.Incident, alerts recurrence.Alerts) error {
	n, err := tx.NextSequence(fmt.Sprintf("incident-%d", inc.StartedAt.Year()))
	if err != nil {
		return err
	}
	inc.ID = incident.FormatID(inc.StartedAt.Year(), n)
	if err := tx.CreateIncident(inc); err != nil {
		return err
	}
	pm := postmortem.Postmortem{Incident: inc.ID, State: postmortem.Draft, UpdatedAt: inc.CreatedAt, UpdatedBy: actor.Ref}
	if err := tx.SavePostmortem(&pm); err != nil {
		return err
	}
	if err := a.record(tx, actor, "incident.declare", string(inc.ID), change[incidentRecord]{After: recordOf(inc)}); err != nil {
		return err
	}
	if !alerts.IsZero() {
		if err := a.replaceAlerts(tx, actor, inc.ID, alerts); err != nil {
			return err
		}
	}
	if err := a.detectIncident(tx, actor, nil, inc); err != nil {
		return err
	}
	return a.clarifyOwnership(tx, actor, inc)
}

// checkEntities refuses failed entities that are not in the catalog.
func checkEntities(tx *store.Tx, list []incident.FailedEntity) error {
	refs := make([]org.Ref, len(list))
	for i, e := range list {
		refs[i] = e.Ref
	}
	found, err := tx.Entities(store.EntityFilter{Refs: refs})
	if err != nil {
		return err
	}
	known := map[org.Ref]bool{}
	for _, e := range found {
		known[e.Ref] = true
	}
	var p errs.Problems
	for i, e := range list {
		if !known[e.Ref] {
			p.Add(fmt.Sprintf("entities[%d].ref", i), "%s is not in the catalog", e.Ref)
		}
	}
	return p.Err()
}

// IncidentPatch changes an incident; nil fields stay as they are.
type IncidentPatch struct {
	Title       *string
	Severity    *incident.Severity
	Summary     *string
	Impact      *string
	StartedAt   *time.Time
	DetectedAt  *time.Time
	DeclaredAt  *time.Time
	MitigatedAt *time.Time
	ResolvedAt  *time.Time
	// Status moves the incident forward; the matching time (MitigatedAt or
	// ResolvedAt) is when, defaulting to now.
	Status   *incident.Status
	Entities *[]incident.FailedEntity
	// AlertFingerprints and AlertLabels replace the incident's alert
	// fingerprints or labels (F6).
	AlertFingerprints *[]string
	AlertLabels       *map[string]string
}

// UpdateIncident applies a patch. Status only moves forward and times must
// stay in lifecycle order; the whole patch applies or none of it does.
func (a *App) UpdateIncident(ctx context.Context, actor org.Actor, id incident.ID, p IncidentPatch) (incident.Incident, error) {
	now := a.Now()
	var inc incident.Incident
	if p.AlertFingerprints != nil || p.AlertLabels != nil {
		check := recurrence.Alerts{}
		if p.AlertFingerprints != nil {
			check.Fingerprints = *p.AlertFingerprints
		}
		if p.AlertLabels != nil {
			check.Labels = *p.AlertLabels
		}
		if _, err := check.Normalize(); err != nil {
			return inc, err
		}
	}
	err := a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		var err error
		if inc, err = tx.Incident(id); err != nil {
			return err
		}
		if err := a.patchAlerts(tx, actor, id, p.AlertFingerprints, p.AlertLabels); err != nil {
			return err
		}
		old := inc
		before := recordOf(&inc)
		if err := applyPatch(&inc, p, now); err != nil {
			return err
		}
		if p.Entities != nil {
			if err := checkEntities(tx, inc.Entities); err != nil {
				return err
			}
		}
		if inc.StartedAt.Year() != before.StartedAt.Year() {
			return errs.Field("started_at", "cannot move the start to another year: the ID %s names %d", inc.ID, before.StartedAt.Year())
		}
		if unchanged(before, recordOf(&inc)) {
			inc = old
			return nil
		}
		inc.UpdatedAt = now
		if err := tx.UpdateIncident(&inc); err != nil {
			return err
		}
		if err := a.record(tx, actor, "incident.update", string(inc.ID), change[incidentRecord]{Before: before, After: recordOf(&inc)}); err != nil {
			return err
		}
		if err := a.detectIncident(tx, actor, &old, &inc); err != nil {
			return err
		}
		if p.Entities != nil || p.StartedAt != nil {
			return a.clarifyOwnership(tx, actor, &inc)
		}
		return nil
	})
	return inc, err
}

func applyPatch(inc *incident.Incident, p IncidentPatch, now time.Time) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&inc.Title, p.Title)
	set(&inc.Summary, p.Summary)
	set(&inc.Impact, p.Impact)
	if p.Severity != nil {
		inc.Severity = *p.Severity
	}
	for _, f := range []struct {
		dst *time.Time
		v   *time.Time
	}{{&inc.StartedAt, p.StartedAt}, {&inc.DetectedAt, p.DetectedAt}, {&inc.DeclaredAt, p.DeclaredAt}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if p.Entities != nil {
		inc.Entities = *p.Entities
	}
	if p.Status != nil && *p.Status != inc.Status {
		at := now
		switch {
		case *p.Status == incident.StatusMitigated && p.MitigatedAt != nil:
			at = *p.MitigatedAt
		case *p.Status == incident.StatusResolved && p.ResolvedAt != nil:
			at = *p.ResolvedAt
		}
		if *p.Status == incident.StatusResolved && p.MitigatedAt != nil {
			inc.MitigatedAt = *p.MitigatedAt
		}
		return inc.Transition(*p.Status, at, now)
	}
	if p.MitigatedAt != nil {
		inc.MitigatedAt = *p.MitigatedAt
	}
	if p.ResolvedAt != nil {
		inc.ResolvedAt = *p.ResolvedAt
	}
	return inc.Validate(now)
}

// Incident returns one incident.
func (a *App) Incident(ctx context.Context, actor org.Actor, id incident.ID) (incident.Incident, error) {
	var inc incident.Incident
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		inc, err = tx.Incident(id)
		return err
	})
	return inc, err
}

// Incidents lists incidents, newest first.
func (a *App) Incidents(ctx context.Context, actor org.Actor, f incident.Filter) ([]incident.Incident, error) {
	var list []incident.Incident
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		list, err = tx.Incidents(f)
		return err
	})
	return list, err
}

// incidentRecord is an incident as the audit log keeps it.
type incidentRecord struct {
	Title       string         `json:"title"`
	Severity    string         `json:"severity"`
	Status      string         `json:"status"`
	Summary     string         `json:"summary"`
	Impact      string         `json:"impact"`
	Source      string         `json:"source"`
	StartedAt   time.Time      `json:"started_at"`
	DetectedAt  time.Time      `json:"detected_at,omitzero"`
	DeclaredAt  time.Time      `json:"declared_at"`
	MitigatedAt time.Time      `json:"mitigated_at,omitzero"`
	ResolvedAt  time.Time      `json:"resolved_at,omitzero"`
	Entities    []failedRecord `json:"entities"`
}

type failedRecord struct {
	Ref    string `json:"ref"`
	Origin bool   `json:"origin,omitempty"`
}

func recordOf(in *incident.Incident) *incidentRecord {
	r := &incidentRecord{Title: in.Title, Severity: string(in.Severity), Status: string(in.Status), Summary: in.Summary,
		Impact: in.Impact, Source: in.Source, StartedAt: in.StartedAt, DetectedAt: in.DetectedAt, DeclaredAt: in.DeclaredAt,
		MitigatedAt: in.MitigatedAt, ResolvedAt: in.ResolvedAt, Entities: []failedRecord{}}
	for _, e := range in.Entities {
		r.Entities = append(r.Entities, failedRecord{Ref: string(e.Ref), Origin: e.Origin})
	}
	return r
}
