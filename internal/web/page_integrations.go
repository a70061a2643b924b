package web

import (
	"net/http"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
)

// integrationsPage is the admins' view of what flows in: each alert
// source's hook, whether it is set up, what this server took from it
// since it started, and when any server last stored an alert of it.
type integrationsPage struct {
	Sources []sourceStatus
	BaseURL string
	// GitHub says whether /hooks/github verifies deliveries.
	GitHub bool
}

type sourceStatus struct {
	HookStatus
	Path string
	// Auth is how the sender authenticates.
	Auth string
	// Ready is false when the hook answers 404 for want of a secret.
	Ready bool
	// LastStored is when the last alert of the source was stored by any
	// server, and Stored how many have been.
	LastStored time.Time
	Stored     int64
}

func (s *Server) pageIntegrations(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	if !actor.Has(org.RoleAdmin) {
		return errs.E(errs.Forbidden, "the integrations page is for admins")
	}
	stored, err := s.app.AlertsStored(r.Context(), actor)
	if err != nil {
		return err
	}
	data := integrationsPage{BaseURL: s.baseURL, GitHub: len(s.githubSecret) > 0}
	for _, st := range s.hooks.snapshot() {
		c := stored[string(st.Source)]
		src := sourceStatus{HookStatus: st, Path: "/hooks/" + string(st.Source), Ready: true, LastStored: c.LastAt, Stored: c.Events,
			Auth: "bearer ingest token"}
		if st.Source == ingest.PagerDuty {
			src.Auth = "X-PagerDuty-Signature (--pagerduty-secret)"
			src.Ready = len(s.pagerdutySecrets) > 0
		}
		data.Sources = append(data.Sources, src)
	}
	return s.render(w, http.StatusOK, "integrations", view{Title: "Integrations", Actor: actor, Section: "integrations", Data: data})
}
