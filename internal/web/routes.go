package web

import (
	"fmt"
	"net/http"
	"strings"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/ingest"
)

// route is one pattern of the ServeMux and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// routes lists everything blameful serves. Reading this function shows the
// whole HTTP surface; the OpenAPI document must describe every /api/v1
// route here (a test checks).
//
// References in paths are one segment: "component:checkout" in the default
// namespace, or "component:payments%2Fcheckout" with the slash escaped.
func (s *Server) routes() []route {
	return []route{
		{"GET /healthz", http.HandlerFunc(s.healthz)},
		{"GET /readyz", http.HandlerFunc(s.readyz)},
		{"GET /metrics", s.api(s.getMetrics)},
		{"GET /login", s.publicPage(s.pageLogin)},
		{"POST /login", s.publicPage(s.postLogin)},
		{"GET /auth/oidc/login", s.publicPage(s.oidcStart)},
		{"GET " + oidcCallbackPath, s.publicPage(s.oidcCallback)},
		{"POST /logout", s.publicPage(s.postLogout)},
		{"GET /password/{token}", s.publicPage(s.pagePassword)},
		{"POST /password/{token}", s.publicPage(s.postPassword)},
		{"GET /{$}", s.page(s.pageHome)},
		{"GET /incidents", s.page(s.pageIncidents)},
		{"GET /incidents/new", s.page(s.pageDeclare)},
		{"POST /incidents", s.page(s.postDeclare)},
		{"GET /incidents/{id}", s.page(s.pageIncident)},
		{"GET /incidents/{id}/postmortem", s.page(s.pagePostmortem)},
		{"POST /incidents/{id}/postmortem", s.page(s.postPostmortem)},
		{"POST /incidents/{id}/attribution", s.page(s.postAttribution)},
		{"POST /incidents/{id}/followups", s.page(s.postFollowUp)},
		{"POST /incidents/{id}/followups/{followup}/status", s.page(s.postFollowUpStatus)},
		{"POST /incidents/{id}/timeline", s.page(s.postEntry)},
		{"POST /incidents/{id}/postmortem/state", s.page(s.postTransition)},
		{"GET /incidents/{id}/assessment", s.page(s.pageAssessment)},
		{"POST /incidents/{id}/assessment/factors", s.page(s.postFactors)},
		{"POST /incidents/{id}/assessment/decision", s.page(s.postDecision)},
		{"POST /incidents/{id}/assessment/appeal", s.page(s.postAppealForm)},
		{"POST /incidents/{id}/assessment/outcome", s.page(s.postOutcome)},
		{"GET /changes", s.page(s.pageChanges)},
		{"POST /changes", s.page(s.postChange)},
		{"POST /changes/freezes", s.page(s.postFreeze)},
		{"POST /incidents/{id}/changes", s.page(s.postLinkChange)},
		{"POST /incidents/{id}/recurrences", s.page(s.postRecurrence)},
		{"GET /teams", s.page(s.pageTeams)},
		{"GET /teams/{ref...}", s.page(s.pageTeam)},
		{"GET /people/{ref...}", s.page(s.pagePerson)},
		{"GET /entities", s.page(s.pageEntities)},
		{"GET /entities/{ref...}", s.page(s.pageEntity)},
		{"GET /owners", s.page(s.pageOwners)},
		{"GET /ownership-drift", s.page(s.pageOwnershipDrift)},
		{"GET /followups", s.page(s.pageFollowUps)},
		{"GET /followups/{id}", s.page(s.pageFollowUp)},
		{"POST /followups/{id}/status", s.page(s.postFollowUpPageStatus)},
		{"POST /followups/{id}/approval", s.page(s.postFollowUpApproval)},
		{"POST /followups/{id}/export", s.page(s.postFollowUpExport)},
		{"GET /leaders/{ref...}", s.page(s.pageLedger)},
		{"GET /fairness", s.page(s.pageFairness)},
		{"GET /integrity", s.page(s.pageFlags)},
		{"POST /integrity/{id}/review", s.page(s.postFlagReview)},
		{"GET /audit", s.page(s.pageAudit)},
		{"POST /audit/verify", s.page(s.postAuditVerify)},
		{"GET /outbox", s.page(s.pageOutbox)},
		{"GET /integrations", s.page(s.pageIntegrations)},
		{"GET /tokens", s.page(s.pageTokens)},
		{"POST /tokens", s.page(s.postToken)},
		{"POST /tokens/{id}/revoke", s.page(s.postRevokeToken)},
		{"POST /outbox/{id}/retry", s.page(s.postOutboxRetry)},
		{"GET /reviews", s.page(s.pageReviews)},
		{"GET /reviews/{week}", s.page(s.pageReview)},
		{"GET /static/", static()},
		{"GET /static/charts.css", http.HandlerFunc(chartStyle)},

		{"GET /api/v1/openapi.json", http.HandlerFunc(s.openAPI)},
		{"GET /api/v1/me", s.api(s.getMe)},

		{"GET /api/v1/people", s.api(s.listPeople)},
		{"GET /api/v1/people/{ref}", s.api(s.getPerson)},
		{"GET /api/v1/people/{ref}/export", s.api(s.exportPerson)},
		{"POST /api/v1/people/{ref}/erasure", s.api(s.erasePerson)},
		{"GET /api/v1/tokens", s.api(s.listTokens)},
		{"DELETE /api/v1/tokens/{id}", s.api(s.revokeToken)},
		{"GET /api/v1/teams", s.api(s.listTeams)},
		{"GET /api/v1/teams/{ref}", s.api(s.getTeam)},
		{"GET /api/v1/entities", s.api(s.listEntities)},
		{"GET /api/v1/entities/{ref}", s.api(s.getEntity)},
		{"POST /api/v1/import/org", s.api(s.importOrg)},
		{"POST /api/v1/import/backstage", s.api(s.importBackstage)},
		{"POST /api/v1/import/codeowners", s.api(s.importCodeowners)},
		{"GET /api/v1/owners", s.api(s.getOwners)},
		{"GET /api/v1/ownership-drift", s.api(s.getOwnershipDrift)},

		{"GET /api/v1/incidents", s.api(s.listIncidents)},
		{"POST /api/v1/incidents", s.api(s.createIncident)},
		{"GET /api/v1/incidents/{id}", s.api(s.getIncident)},
		{"PATCH /api/v1/incidents/{id}", s.api(s.updateIncident)},
		{"GET /api/v1/incidents/{id}/alerts", s.api(s.getIncidentAlerts)},
		{"GET /api/v1/incidents/{id}/timeline", s.api(s.getTimeline)},
		{"POST /api/v1/incidents/{id}/timeline", s.api(s.addEntry)},
		{"PATCH /api/v1/incidents/{id}/timeline/{entry}", s.api(s.editEntry)},
		{"DELETE /api/v1/incidents/{id}/timeline/{entry}", s.api(s.deleteEntry)},
		{"GET /api/v1/incidents/{id}/postmortem", s.api(s.getPostmortem)},
		{"PUT /api/v1/incidents/{id}/postmortem", s.api(s.putPostmortem)},
		{"POST /api/v1/incidents/{id}/postmortem/transitions", s.api(s.transitionPostmortem)},
		{"GET /api/v1/incidents/{id}/attribution", s.api(s.getAttribution)},
		{"PUT /api/v1/incidents/{id}/attribution", s.api(s.putAttribution)},
		{"GET /api/v1/incidents/{id}/assessment", s.api(s.getAssessment)},
		{"PUT /api/v1/incidents/{id}/assessment", s.api(s.putAssessment)},
		{"POST /api/v1/incidents/{id}/assessment/decision", s.api(s.postLevel(s.app.DecideAssessment))},
		{"POST /api/v1/incidents/{id}/assessment/appeal", s.api(s.postAppeal)},
		{"POST /api/v1/incidents/{id}/assessment/appeal/outcome", s.api(s.postLevel(s.app.AppealOutcome))},

		{"GET /api/v1/followups", s.api(s.listFollowUps)},
		{"POST /api/v1/followups", s.api(s.createFollowUp)},
		{"GET /api/v1/followups/{id}", s.api(s.getFollowUp)},
		{"PATCH /api/v1/followups/{id}", s.api(s.updateFollowUp)},
		{"POST /api/v1/followups/{id}/approval", s.api(s.postApproval)},
		{"GET /api/v1/followups/approvals", s.api(s.listApprovals)},
		{"GET /api/v1/followups/{id}/export", s.api(s.getFollowUpExport)},
		{"POST /api/v1/followups/{id}/export", s.api(s.exportFollowUp)},

		{"GET /api/v1/changes", s.api(s.listChanges)},
		{"POST /api/v1/changes", s.api(s.createChange)},
		{"GET /api/v1/freezes", s.api(s.listFreezes)},
		{"POST /api/v1/freezes", s.api(s.createFreeze)},
		{"GET /api/v1/incidents/{id}/changes", s.api(s.getIncidentChanges)},
		{"POST /api/v1/incidents/{id}/changes", s.api(s.linkChange)},
		{"GET /api/v1/incidents/{id}/recurrence-candidates", s.api(s.getRecurrenceCandidates)},
		{"GET /api/v1/recurrences", s.api(s.listRecurrences)},
		{"POST /api/v1/recurrences", s.api(s.decideRecurrence)},

		{"GET /api/v1/leaders/{ref}/ledger", s.api(s.getLedger)},
		{"GET /api/v1/fairness", s.api(s.getFairness)},
		{"GET /api/v1/integrity-flags", s.api(s.listIntegrityFlags)},
		{"POST /api/v1/integrity-flags/{id}/review", s.api(s.reviewIntegrityFlag)},

		{"GET /api/v1/outbox", s.api(s.listOutbox)},
		{"POST /api/v1/outbox/{id}/retry", s.api(s.retryOutbox)},

		{"GET /api/v1/reviews/weekly/{week}", s.api(s.getWeeklyReview)},
		{"GET /api/v1/audit/verify", s.api(s.verifyAudit)},

		{"POST /hooks/alertmanager", s.alertHook(ingest.Alertmanager)},
		{"POST /hooks/grafana", s.alertHook(ingest.Grafana)},
		{"POST /hooks/pagerduty", s.alertHook(ingest.PagerDuty)},
		{"POST /hooks/opsgenie", s.alertHook(ingest.Opsgenie)},
		{"POST /hooks/generic", s.alertHook(ingest.Generic)},
		{"POST /hooks/github", s.public(s.hookGitHub)},
	}
}

// mux registers every route, and answers unknown /api/ paths in JSON: 405
// with Allow when the path exists for other methods, else 404.
func (s *Server) mux() *http.ServeMux {
	m := http.NewServeMux()
	for _, rt := range s.routes() {
		m.Handle(rt.pattern, rt.handler)
	}
	m.Handle("/api/", s.public(func(w http.ResponseWriter, r *http.Request) error {
		if allow := allowed(m, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return &errs.Error{Kind: errs.MethodNotAllowed, Message: fmt.Sprintf("%s does not take %s; it takes %s", r.URL.Path, r.Method, strings.Join(allow, ", "))}
		}
		return s.apiNotFound(w, r)
	}))
	return m
}

// allowed returns the methods m serves r's path with, other than the
// fallback.
func allowed(m *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := m.Handler(probe); pattern != "/api/" && pattern != "" {
			out = append(out, method)
		}
	}
	return out
}
