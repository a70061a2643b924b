package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestAssessmentPage: the decider judges and decides, the subject appeals,
// the decider's leader gives the outcome, all from the page; a member
// outside the audience gets the private refusal, and the private
// justification (a canary) appears in no page they can see.
func TestAssessmentPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada, payLead, vp, dee := apptest.Person("ada"), apptest.Person("pay-lead", org.RoleLeader), apptest.Person("vp", org.RoleLeader), apptest.Person("dee")
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Refunds paid twice", Severity: incident.SEV2,
			StartedAt: a.Now().Add(-time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.DecideAttribution(ctx, vp, in.ID, org.MustRef("user:ada"), "she ran the backfill"); err != nil {
			t.Fatal(err)
		}
		path := map[string]string{"id": string(in.ID)}
		const canary = "CANARY-7c1e second time this quarter"
		steps := []struct {
			name   string
			h      pageHandler
			actor  org.Actor
			form   url.Values
			status int
		}{
			{"the subject may not judge herself", s.postFactors, ada, url.Values{"expected_to_prevent": {"no"}}, http.StatusForbidden},
			{"the decider judges", s.postFactors, payLead, url.Values{"expected_to_prevent": {"yes"}}, http.StatusSeeOther},
			{"a harsher level needs a justification (J3)", s.postDecision, payLead, url.Values{"level": {"3"}}, http.StatusUnprocessableEntity},
			{"the decider decides", s.postDecision, payLead, url.Values{"level": {"3"}, "justification": {canary}}, http.StatusSeeOther},
			{"a member outside may not appeal", s.postAppealForm, dee, url.Values{"reason": {"x"}}, http.StatusForbidden},
			{"the subject appeals", s.postAppealForm, ada, url.Values{"reason": {"The runbook said to."}}, http.StatusSeeOther},
			{"the decider may not hear it", s.postOutcome, payLead, url.Values{"level": {"1"}, "justification": {"x"}}, http.StatusForbidden},
			{"the decider's leader hears it", s.postOutcome, vp, url.Values{"level": {"1"}, "justification": {"The runbook was wrong."}}, http.StatusSeeOther},
		}
		for _, st := range steps {
			if w := pageCall(t, s, st.h, st.actor, "POST", "/", st.form, path); w.Code != st.status {
				t.Fatalf("%s: %d, want %d\n%s", st.name, w.Code, st.status, w.Body)
			}
		}
		page := pageCall(t, s, s.pageAssessment, ada, "GET", "/", nil, path).Body.String()
		for _, want := range []string{canary, "The runbook was wrong.", "Guidance", "J4"} {
			if !strings.Contains(page, want) {
				t.Errorf("the subject's page lacks %q", want)
			}
		}
		w := pageCall(t, s, s.pageAssessment, dee, "GET", "/", nil, path)
		if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), canary) {
			t.Errorf("a member outside the audience: %d; canary shown: %v", w.Code, strings.Contains(w.Body.String(), canary))
		}
		for name, h := range map[string]pageHandler{"postmortem": s.pagePostmortem, "incident": s.pageIncident, "dashboard": s.pageHome} {
			if body := pageCall(t, s, h, dee, "GET", "/", nil, path).Body.String(); strings.Contains(body, canary) {
				t.Errorf("the %s page shows a member the private justification", name)
			}
		}
	})
}
