package web

import (
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// externalKeyJSON is one alert group that feeds an incident: the
// sender's key for it, and whether it takes the group's new alerts.
type externalKeyJSON struct {
	Source     string  `json:"source"`
	Key        string  `json:"key"`
	Current    bool    `json:"current"`
	OpenedAt   *string `json:"opened_at"`
	ResolvedAt *string `json:"resolved_at"`
}

func toExternalKeys(groups []incident.AlertGroup) []externalKeyJSON {
	out := make([]externalKeyJSON, len(groups))
	for i, g := range groups {
		out[i] = externalKeyJSON{Source: g.Source, Key: g.Key, Current: g.Current, OpenedAt: rfc3339(g.OpenedAt), ResolvedAt: rfc3339(g.ResolvedAt)}
	}
	return out
}

type alertStateJSON struct {
	Source      string            `json:"source"`
	Fingerprint string            `json:"fingerprint"`
	Status      string            `json:"status"`
	FiredAt     *string           `json:"fired_at"`
	ResolvedAt  *string           `json:"resolved_at"`
	Labels      map[string]string `json:"labels"`
	Events      int               `json:"events"`
}

type incidentAlertsJSON struct {
	ExternalKeys []externalKeyJSON `json:"external_keys"`
	Firing       int               `json:"firing"`
	Resolved     int               `json:"resolved"`
	Events       int               `json:"events"`
	Items        []alertStateJSON  `json:"items"`
}

// getIncidentAlerts lists an incident's alerts: each by fingerprint with
// its latest state, firing ones first.
func (s *Server) getIncidentAlerts(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.app.IncidentAlertView(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toIncidentAlerts(v))
	return nil
}

func toIncidentAlerts(v app.AlertView) incidentAlertsJSON {
	out := incidentAlertsJSON{ExternalKeys: toExternalKeys(v.Groups), Firing: v.Firing, Resolved: v.Resolved, Events: v.Events,
		Items: make([]alertStateJSON, len(v.Alerts))}
	for i, a := range v.Alerts {
		labels := a.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		out.Items[i] = alertStateJSON{Source: a.Source, Fingerprint: a.Fingerprint, Status: a.Status, FiredAt: rfc3339(a.FiredAt),
			ResolvedAt: rfc3339(a.ResolvedAt), Labels: labels, Events: a.Events}
	}
	return out
}
