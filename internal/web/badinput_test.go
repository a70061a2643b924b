package web_test

import (
	"context"

	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// counts returns how many incidents and audit events the database holds.
func (h *harness) counts() (incidents int, events int64) {
	h.t.Helper()
	err := h.db.View(context.Background(), func(tx *store.Tx) error {
		list, err := tx.Incidents(incident.Filter{})
		incidents = len(list)
		if err != nil {
			return err
		}
		return tx.AuditEvents(0, 0, func(audit.Event) error { events++; return nil })
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return incidents, events
}

func TestBadInputWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		started := h.clock.Now().Add(-time.Hour).Format(time.RFC3339)
		good := func() map[string]any {
			return map[string]any{"title": "x", "severity": "SEV2", "started_at": started,
				"entities": []map[string]any{{"ref": "component:checkout-api", "origin": true}}}
		}
		with := func(k string, v any) map[string]any { m := good(); m[k] = v; return m }
		none := ""
		tests := []struct {
			name   string
			c      call
			status int
			field  string // the field the error must name, in fields or message
			rule   string
		}{
			{"unknown reference", call{body: with("entities", []map[string]any{{"ref": "component:nope", "origin": true}})}, 422, "entities[0].ref", ""},
			{"malformed reference", call{body: with("entities", []map[string]any{{"ref": "component:a b"}})}, 422, "entities[0].ref", ""},
			{"person as entity", call{body: with("entities", []map[string]any{{"ref": "user:ada"}})}, 422, "entities[0].ref", ""},
			{"unknown severity", call{body: with("severity", "SEV5")}, 422, "severity", ""},
			{"severity of the wrong type", call{body: with("severity", 2)}, 422, "severity", ""},
			{"missing title", call{body: with("title", "")}, 422, "title", ""},
			{"missing start", call{body: with("started_at", "")}, 422, "started_at", ""},
			{"start not a time", call{body: with("started_at", "yesterday")}, 422, "started_at", ""},
			{"start in the future", call{body: with("started_at", h.clock.Now().Add(time.Hour).Format(time.RFC3339))}, 422, "started_at", ""},
			{"times out of order", call{body: with("declared_at", h.clock.Now().Add(-2*time.Hour).Format(time.RFC3339))}, 422, "declared_at", ""},
			{"two origins", call{body: with("entities", []map[string]any{{"ref": "component:checkout-api", "origin": true}, {"ref": "provider:stripe", "origin": true}})}, 422, "entities", ""},
			{"malformed JSON", call{body: `{"title": "x",`}, 400, "", ""},
			{"not JSON at all", call{body: `title=x`}, 400, "", ""},
			{"two JSON values", call{body: `{"title":"x"} {"title":"y"}`}, 400, "", ""},
			{"unknown field", call{body: with("colour", "red")}, 422, "colour", ""},
			{"empty body", call{body: ""}, 400, "", ""},
			{"wrong content type", call{body: "<x/>", contentType: "application/xml"}, 400, "", ""},
			{"oversized body", call{body: with("summary", strings.Repeat("x", 2<<20))}, 413, "", ""},
			{"no token", call{body: good(), token: &none}, 401, "", ""},
			{"bad token", call{body: good(), token: ptr("bf_not-a-real-token")}, 401, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				beforeIncidents, beforeEvents := h.counts()
				c := tt.c
				c.method, c.path, c.invalid = "POST", "/api/v1/incidents", true
				res := h.do(c)
				if res.status != tt.status {
					t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
				}
				e := res.json(t)["error"].(map[string]any)
				if e["message"] == "" || e["code"] == "" {
					t.Errorf("error without code or message: %s", res.body)
				}
				if tt.field != "" {
					fields, _ := e["fields"].(map[string]any)
					if _, ok := fields[tt.field]; !ok && !strings.Contains(e["message"].(string), tt.field) {
						t.Errorf("error does not name %s: %s", tt.field, res.body)
					}
				}
				afterIncidents, afterEvents := h.counts()
				if afterIncidents != beforeIncidents || afterEvents != beforeEvents {
					t.Errorf("a refused request wrote: incidents %d -> %d, audit events %d -> %d",
						beforeIncidents, afterIncidents, beforeEvents, afterEvents)
				}
			})
		}
	})
}

func TestRefusalsNameTheirRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		id := h.declare("Checkout errors", "SEV2", "component:checkout-api", time.Hour)
		base := "/api/v1/incidents/" + id
		h.do(call{method: "PATCH", path: base, body: map[string]any{"status": "mitigated"}}).want(t, 200)
		tests := []struct {
			name   string
			c      call
			status int
			rule   string
		}{
			{"parties field", call{method: "PUT", path: base + "/attribution", body: map[string]any{"parties": []string{"group:payments"}}}, 422, "A1"},
			{"no party", call{method: "PUT", path: base + "/attribution", body: map[string]any{"justification": "x"}}, 422, "A1"},
			{"a component as party", call{method: "PUT", path: base + "/attribution", body: map[string]any{"party": "component:checkout-api", "justification": "x"}}, 422, "A1"},
			{"party not in the org", call{method: "PUT", path: base + "/attribution", body: map[string]any{"party": "group:nobody", "justification": "x"}}, 422, ""},
			{"contributing factor at fault", call{method: "PUT", path: base + "/postmortem", body: map[string]any{"contributing_factors": []map[string]any{{"text": "retries", "party": "group:platform", "at_fault": true}}}}, 422, "A1"},
			{"follow-up without owner", call{method: "POST", path: "/api/v1/followups", body: map[string]any{"incident": id, "title": "x"}}, 422, ""},
			{"follow-up with two owners", call{method: "POST", path: "/api/v1/followups", body: map[string]any{"incident": id, "title": "x", "owner": "group:payments, group:checkout"}}, 422, ""},
			{"status backwards", call{method: "PATCH", path: base, body: map[string]any{"status": "open"}}, 409, ""},
			{"publish from draft", call{method: "POST", path: base + "/postmortem/transitions", body: map[string]any{"to": "published"}}, 409, ""},
			{"unknown state", call{method: "POST", path: base + "/postmortem/transitions", body: map[string]any{"to": "done"}}, 422, ""},
			{"unknown incident", call{method: "GET", path: "/api/v1/incidents/INC-2026-9999"}, 404, ""},
			{"not an incident id", call{method: "GET", path: "/api/v1/incidents/42"}, 404, ""},
			{"unknown route", call{method: "GET", path: "/api/v1/nothing-here"}, 404, ""},
			{"bad week", call{method: "GET", path: "/api/v1/reviews/weekly/2026-W60"}, 422, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.c.invalid = true
				res := h.do(tt.c)
				code, rule := res.errorRule(t)
				if res.status != tt.status || rule != tt.rule {
					t.Fatalf("got %d %s rule %q, want %d rule %q: %s", res.status, code, rule, tt.status, tt.rule, res.body)
				}
			})
		}
		// A follow-up marked wont_do needs a reason (F3).
		fu := h.do(call{method: "POST", path: "/api/v1/followups", body: map[string]any{"incident": id, "title": "Add a breaker", "owner": "user:ada"}}).want(t, 201).json(t)
		res := h.do(call{method: "PATCH", path: "/api/v1/followups/" + fu["id"].(string), body: map[string]any{"status": "wont_do"}, invalid: true})
		if _, rule := res.errorRule(t); res.status != 422 || rule != "F3" {
			t.Fatalf("wont_do without reason: %d %s", res.status, res.body)
		}
		h.do(call{method: "PATCH", path: "/api/v1/followups/" + fu["id"].(string), body: map[string]any{"status": "wont_do", "reason": "Replaced by the queue rewrite."}}).want(t, 200)
	})
}

func ptr[T any](v T) *T { return &v }
