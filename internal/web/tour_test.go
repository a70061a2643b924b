package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// declare posts an incident whose origin is entity and returns its ID.
func (h *harness) declare(title, severity, entity string, startedAgo time.Duration) string {
	h.t.Helper()
	started := h.clock.Now().Add(-startedAgo).Format(time.RFC3339)
	res := h.do(call{method: "POST", path: "/api/v1/incidents", body: map[string]any{
		"title": title, "severity": severity, "started_at": started, "summary": "seen by the tests",
		"entities": []map[string]any{{"ref": entity, "origin": true}},
	}}).want(h.t, http.StatusCreated)
	id, _ := res.json(h.t)["id"].(string)
	return id
}

// suggestion returns the suggested party and rule of an incident.
func (h *harness) suggestion(id string) (party, rule string, s map[string]any) {
	h.t.Helper()
	v := h.do(call{method: "GET", path: "/api/v1/incidents/" + id + "/attribution"}).want(h.t, http.StatusOK).json(h.t)
	s = v["suggestion"].(map[string]any)
	party, _ = s["party"].(string)
	rule, _ = s["rule"].(string)
	return party, rule, s
}

// TestTour walks the README's tour: an incident attributed by each of A2,
// A3, A4 and A5, an A1 refusal, an F1 refusal, and a publish.
func TestTour(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)

		t.Run("A2: the origin's owner", func(t *testing.T) {
			id := h.declare("Checkout API returning 5xx", "SEV2", "component:checkout-api", time.Hour)
			if !strings.HasPrefix(id, "INC-2026-") {
				t.Fatalf("id %q", id)
			}
			party, rule, s := h.suggestion(id)
			if party != "group:default/payments" || rule != "A2" {
				t.Fatalf("suggested %s by %s", party, rule)
			}
			steps := s["explanation"].([]any)
			seen := map[string]bool{}
			for _, st := range steps {
				seen[st.(map[string]any)["rule"].(string)] = true
			}
			for _, r := range []string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A9"} {
				if !seen[r] {
					t.Errorf("explanation does not consider %s", r)
				}
			}
		})
		t.Run("A3: the team that owns the provider", func(t *testing.T) {
			id := h.declare("Stripe API errors", "SEV3", "provider:stripe", time.Hour)
			if party, rule, _ := h.suggestion(id); party != "group:default/payments" || rule != "A3" {
				t.Fatalf("suggested %s by %s", party, rule)
			}
		})
		t.Run("A4: no owner goes to the system team's leader, with a follow-up", func(t *testing.T) {
			id := h.declare("Orphan down", "SEV3", "component:orphan", time.Hour)
			if party, rule, _ := h.suggestion(id); party != "user:default/co-lead" || rule != "A4" {
				t.Fatalf("suggested %s by %s", party, rule)
			}
			fus := h.do(call{method: "GET", path: "/api/v1/followups?incident=" + id}).want(t, http.StatusOK).json(t)["items"].([]any)
			if len(fus) != 1 || !strings.Contains(fus[0].(map[string]any)["title"].(string), "Clarify ownership of component:orphan") ||
				fus[0].(map[string]any)["owner"] != "user:default/co-lead" || fus[0].(map[string]any)["rule"] != "A4" {
				t.Fatalf("A4 follow-up: %v", fus)
			}
		})
		t.Run("A4: two claimed owners go to their lowest common leader", func(t *testing.T) {
			id := h.declare("Cart broken", "SEV3", "component:cart", time.Hour)
			if party, rule, _ := h.suggestion(id); party != "user:default/vp" || rule != "A4" {
				t.Fatalf("suggested %s by %s", party, rule)
			}
		})
		t.Run("A4: a defunct owning team goes up a level", func(t *testing.T) {
			id := h.declare("Legacy report missing", "SEV4", "component:legacy", time.Hour)
			if party, rule, _ := h.suggestion(id); party != "user:default/vp" || rule != "A4" {
				t.Fatalf("suggested %s by %s", party, rule)
			}
		})
		t.Run("A5: recently inherited keeps the owner with a mitigating factor", func(t *testing.T) {
			id := h.declare("Search empty", "SEV3", "component:search", time.Hour)
			party, rule, s := h.suggestion(id)
			if party != "group:default/checkout" || rule != "A2" || s["factors"].(map[string]any)["recently_inherited"] != true {
				t.Fatalf("suggested %s by %s with %v", party, rule, s["factors"])
			}
		})
		t.Run("the org as of the start, not today", func(t *testing.T) {
			// Before owner_since, search belonged to nobody the file named:
			// an incident back then is ambiguous, not Checkout's.
			id := h.declare("Search empty, in September", "SEV3", "component:search", 60*24*time.Hour)
			if party, rule, _ := h.suggestion(id); rule != "A4" || party == "group:default/checkout" {
				t.Fatalf("suggested %s by %s, want A4 from the org as of the start", party, rule)
			}
		})

		t.Run("A1, A8 and F1 on the way to publishing", func(t *testing.T) {
			id := h.declare("Checkout latency", "SEV3", "component:checkout-api", 2*time.Hour)
			base := "/api/v1/incidents/" + id
			h.do(call{method: "POST", path: base + "/postmortem/transitions", body: map[string]any{"to": "in_review"}}).want(t, http.StatusOK)
			h.do(call{method: "PATCH", path: base, body: map[string]any{"status": "resolved"}}).want(t, http.StatusOK)

			res := h.do(call{method: "POST", path: base + "/postmortem/transitions", body: map[string]any{"to": "published"}})
			if code, rule := res.errorRule(t); res.status != http.StatusConflict || rule != "A1" {
				t.Fatalf("publish without a party: %d %s %s", res.status, code, rule)
			}
			for _, party := range []any{
				[]string{"group:payments", "group:checkout"},
				[]string{"group:payments"},
				"group:payments, group:checkout",
				"group:payments and user:ada",
				"group:payments user:ada",
			} {
				res := h.do(call{method: "PUT", path: base + "/attribution", body: map[string]any{"party": party}, invalid: true})
				if _, rule := res.errorRule(t); res.status != http.StatusUnprocessableEntity || rule != "A1" {
					t.Fatalf("party %v: %d %s", party, res.status, res.body)
				}
			}
			res = h.do(call{method: "PUT", path: base + "/attribution", body: map[string]any{"party": "group:checkout"}})
			if _, rule := res.errorRule(t); res.status != http.StatusUnprocessableEntity || rule != "A8" {
				t.Fatalf("override without justification: %d %s", res.status, res.body)
			}
			v := h.do(call{method: "PUT", path: base + "/attribution", body: map[string]any{
				"party": "group:checkout", "justification": "Checkout's retry storm caused it, not the API itself."}}).want(t, http.StatusOK).json(t)
			d := v["decision"].(map[string]any)
			if d["party"] != "group:default/checkout" || d["rule"] != "A8" || d["overridden"] != true {
				t.Fatalf("override decision: %v", d)
			}
			// Agreeing with the suggestion needs no justification, and
			// supersedes the earlier decision, which is kept.
			v = h.do(call{method: "PUT", path: base + "/attribution", body: map[string]any{"party": "group:payments"}}).want(t, http.StatusOK).json(t)
			if d := v["decision"].(map[string]any); d["rule"] != "A2" || d["overridden"] != false || len(v["history"].([]any)) != 2 {
				t.Fatalf("accepting the suggestion: %v", v)
			}

			res = h.do(call{method: "POST", path: base + "/postmortem/transitions", body: map[string]any{"to": "published"}})
			if _, rule := res.errorRule(t); res.status != http.StatusConflict || rule != "F1" {
				t.Fatalf("publish without a follow-up: %d %s", res.status, res.body)
			}
			fu := h.do(call{method: "POST", path: "/api/v1/followups", body: map[string]any{
				"incident": id, "title": "Add a circuit breaker in front of the orders DB", "owner": "group:payments"}}).want(t, http.StatusCreated).json(t)
			if fu["due"] != h.clock.Now().AddDate(0, 0, 60).Format("2006-01-02") {
				t.Errorf("SEV3 follow-up due %v, want 60 days out (F2)", fu["due"])
			}
			pm := h.do(call{method: "POST", path: base + "/postmortem/transitions", body: map[string]any{"to": "published"}}).want(t, http.StatusOK).json(t)
			if pm["state"] != "published" || pm["attribution"].(map[string]any)["party"] != "group:default/payments" {
				t.Fatalf("published: %v", pm)
			}
			// Once published, the attribution is the record.
			res = h.do(call{method: "PUT", path: base + "/attribution", body: map[string]any{"party": "group:checkout", "justification": "x"}})
			if res.status != http.StatusConflict {
				t.Fatalf("changing a published attribution: %d", res.status)
			}
		})

		t.Run("the weekly review shows the decision", func(t *testing.T) {
			week := fmt.Sprintf("%d-W%02d", 2026, 47)
			v := h.do(call{method: "GET", path: "/api/v1/reviews/weekly/" + week}).want(t, http.StatusOK).json(t)
			if v["incidents_total"].(float64) != 7 || len(v["attributions_decided"].([]any)) != 1 {
				t.Fatalf("review: %s", must(t, v))
			}
			md := h.do(call{method: "GET", path: "/api/v1/reviews/weekly/" + week + "?format=md"}).want(t, http.StatusOK)
			if !strings.Contains(string(md.body), "# Incident review 2026-W47") || !strings.Contains(string(md.body), "payments (A2)") {
				t.Fatalf("markdown review:\n%s", md.body)
			}
		})

		t.Run("the audit chain holds after all that", func(t *testing.T) {
			v := h.do(call{method: "GET", path: "/api/v1/audit/verify"}).want(t, http.StatusOK).json(t)
			if v["ok"] != true || v["events"].(float64) < 20 {
				t.Fatalf("verify: %v", v)
			}
		})
	})
}

func must(t *testing.T, v map[string]any) string {
	t.Helper()
	return fmt.Sprintf("%v", v)
}
