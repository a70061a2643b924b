package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/rule"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestRecurrenceAPI: through the API, incidents carry alert signals, the
// later one lists the earlier as its best candidate with reasons,
// confirming it records the earlier incident's open follow-up as missed
// and makes A7 suggest its owner, both incidents list the link, and a
// refusal names F6 and writes nothing.
func TestRecurrenceAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		now := h.clock.Now()
		at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
		earlier := h.do(call{method: "POST", path: "/api/v1/incidents", body: map[string]any{"title": "Checkout connection pool exhausted",
			"severity": "SEV2", "started_at": at(30 * 24 * time.Hour), "entities": []map[string]any{{"ref": "component:checkout-api", "origin": true}},
			"alert_fingerprints": []string{"f00d"}, "alert_labels": map[string]string{"alertname": "PoolExhausted", "severity": "page"}}}).
			want(t, http.StatusCreated).json(t)
		if fps := earlier["alert_fingerprints"].([]any); len(fps) != 1 || earlier["alert_labels"].(map[string]any)["alertname"] != "PoolExhausted" {
			t.Fatalf("signals: %v", earlier)
		}
		eid := earlier["id"].(string)
		h.clock.Set(now.Add(-29 * 24 * time.Hour)) // the follow-up dates from the earlier incident's review
		h.do(call{method: "POST", path: "/api/v1/followups", body: map[string]any{"incident": eid, "title": "Size the pool", "owner": "user:bob"}}).
			want(t, http.StatusCreated)
		h.clock.Set(now)
		later := h.do(call{method: "POST", path: "/api/v1/incidents", body: map[string]any{"title": "Connection pool exhausted at checkout",
			"severity": "SEV2", "started_at": at(time.Hour), "entities": []map[string]any{{"ref": "component:checkout-api", "origin": true}}}}).
			want(t, http.StatusCreated).json(t)
		lid := later["id"].(string)
		h.do(call{method: "PATCH", path: "/api/v1/incidents/" + lid, body: map[string]any{"alert_fingerprints": []string{"f00d"}}}).want(t, http.StatusOK)
		got := h.do(call{method: "GET", path: "/api/v1/incidents/" + lid}).want(t, http.StatusOK).json(t)
		if fps := got["alert_fingerprints"].([]any); len(fps) != 1 || fps[0] != "f00d" {
			t.Fatalf("after the patch: %v", got)
		}

		items := h.do(call{method: "GET", path: "/api/v1/incidents/" + lid + "/recurrence-candidates"}).want(t, http.StatusOK).json(t)["items"].([]any)
		if len(items) == 0 || items[0].(map[string]any)["incident"] != eid {
			t.Fatalf("candidates: %v", items)
		}
		first := items[0].(map[string]any)
		var reasons []string
		for _, r := range first["reasons"].([]any) {
			reasons = append(reasons, r.(string))
		}
		if text := strings.Join(reasons, "; "); !strings.Contains(text, "origin of both") || !strings.Contains(text, "fingerprint f00d") {
			t.Errorf("reasons: %s", text)
		}

		// Refused: the later incident as the earlier one (F6).
		res := h.do(call{method: "POST", path: "/api/v1/recurrences", body: map[string]any{"incident": eid, "earlier": lid, "confirm": true}, invalid: true})
		if code, r := res.errorRule(t); res.status != http.StatusUnprocessableEntity || r != rule.F6 {
			t.Fatalf("backwards: %d %s %s", res.status, code, r)
		}
		if n := len(h.do(call{method: "GET", path: "/api/v1/recurrences?incident=" + lid}).want(t, http.StatusOK).json(t)["items"].([]any)); n != 0 {
			t.Fatalf("a refusal wrote %d links", n)
		}

		dec := h.do(call{method: "POST", path: "/api/v1/recurrences", body: map[string]any{"incident": lid, "earlier": eid, "confirm": true,
			"reason": "the same pool"}}).want(t, http.StatusOK).json(t)
		if dec["state"] != "confirmed" || len(dec["missed"].([]any)) != 1 || dec["missed"].([]any)[0].(map[string]any)["owner"] != "user:default/bob" {
			t.Fatalf("confirm: %v", dec)
		}
		if party, r, _ := h.suggestion(lid); party != "user:default/bob" || r != rule.A7 {
			t.Fatalf("after confirming: %s by %s", party, r)
		}
		for _, id := range []string{lid, eid} {
			l := h.do(call{method: "GET", path: "/api/v1/recurrences?incident=" + id}).want(t, http.StatusOK).json(t)
			if len(l["items"].([]any)) != 1 || len(l["missed"].([]any)) != 1 {
				t.Errorf("links of %s: %v", id, l)
			}
		}
		h.do(call{method: "GET", path: "/api/v1/recurrences", invalid: true}).want(t, http.StatusUnprocessableEntity)
	})
}
