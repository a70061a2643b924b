package app

import (
	"context"
	"slices"
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/store"
)

// maxAlertsShown caps the alerts one incident's view lists; the counts
// cover them all.
const maxAlertsShown = 200

// AlertView is what an incident's alerts say: the groups that feed it
// (its external keys) and each alert with its latest state.
type AlertView struct {
	Groups []incident.AlertGroup
	// Alerts are the alerts by fingerprint, firing ones first, at most
	// maxAlertsShown of them; Firing and Resolved count them all, Events
	// counts every event.
	Alerts           []AlertState
	Firing, Resolved int
	Events           int
}

// Total is how many alerts the incident has.
func (v AlertView) Total() int { return v.Firing + v.Resolved }

// AlertState is one alert of an incident: when it first fired, whether it
// fires still, and its labels.
type AlertState struct {
	Source      string
	Fingerprint string
	Status      string
	FiredAt     time.Time
	ResolvedAt  time.Time
	Labels      map[string]string
	Events      int
}

// IncidentAlertView returns an incident's alert groups and alerts. Like
// the incident, any member may read it.
func (a *App) IncidentAlertView(ctx context.Context, actor org.Actor, id incident.ID) (AlertView, error) {
	var v AlertView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		if _, err := tx.Incident(id); err != nil {
			return err
		}
		var err error
		if v.Groups, err = tx.IncidentAlertGroups(id); err != nil {
			return err
		}
		events, err := tx.IncidentAlertEvents(id, 0)
		if err != nil {
			return err
		}
		v.Events = len(events)
		byFP := map[string]*AlertState{}
		var order []string
		for _, e := range events {
			st := byFP[e.Fingerprint]
			if st == nil {
				st = &AlertState{Source: e.Source, Fingerprint: e.Fingerprint, Labels: e.Labels}
				byFP[e.Fingerprint] = st
				order = append(order, e.Fingerprint)
			}
			// Events come in the order they happened: the last one says
			// whether the alert fires still.
			st.Events++
			st.Status = e.Status
			st.ResolvedAt = time.Time{}
			if e.Status == "resolved" {
				st.ResolvedAt = e.At
			} else if st.FiredAt.IsZero() {
				st.FiredAt = e.At
			}
		}
		for _, fp := range order {
			st := byFP[fp]
			if st.Status == "firing" {
				v.Firing++
			} else {
				v.Resolved++
			}
			v.Alerts = append(v.Alerts, *st)
		}
		slices.SortStableFunc(v.Alerts, func(x, y AlertState) int {
			if (x.Status == "firing") != (y.Status == "firing") {
				if x.Status == "firing" {
					return -1
				}
				return 1
			}
			return x.FiredAt.Compare(y.FiredAt)
		})
		if len(v.Alerts) > maxAlertsShown {
			v.Alerts = v.Alerts[:maxAlertsShown]
		}
		return nil
	})
	return v, err
}

// AlertsStored returns, per alert source, when the last alert event it
// sent was stored (by any server) and how many have been. Admins only: it
// is about the installation, not about incidents.
func (a *App) AlertsStored(ctx context.Context, actor org.Actor) (map[string]store.SourceCount, error) {
	if err := require(actor, org.RoleAdmin); err != nil {
		return nil, err
	}
	var out map[string]store.SourceCount
	err := a.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.AlertsStored()
		return err
	})
	return out, err
}

// IncidentDetail is an incident with what is shown beside it on its own:
// its alert signals and the alert groups that feed it.
type IncidentDetail struct {
	Incident incident.Incident
	Alerts   recurrence.Alerts
	Groups   []incident.AlertGroup
}

// IncidentDetail reads an incident, its alert signals and its alert
// groups in one read transaction (an API read of one incident was three).
func (a *App) IncidentDetail(ctx context.Context, actor org.Actor, id incident.ID) (IncidentDetail, error) {
	var d IncidentDetail
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		var err error
		if d.Incident, err = tx.Incident(id); err != nil {
			return err
		}
		signals, err := tx.IncidentSignals([]incident.ID{id})
		if err != nil {
			return err
		}
		d.Alerts = signals[id]
		d.Groups, err = tx.IncidentAlertGroups(id)
		return err
	})
	return d, err
}
