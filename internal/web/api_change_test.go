package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestFreezeChangeLinkA6: through the API, a freeze, a deploy inside it
// and its link to an incident make the suggestion the person who deployed
// (A6), with the change and the freeze in the evidence; the lists filter
// by time and entity; an exception approved by a leader elsewhere is a 422
// naming A6.
func TestFreezeChangeLinkA6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		now := h.clock.Now()
		at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
		fz := h.do(call{method: "POST", path: "/api/v1/freezes", body: map[string]any{"start": at(-24 * time.Hour), "end": at(24 * time.Hour),
			"scope": []string{"group:product"}, "reason": "Black Friday"}}).want(t, http.StatusCreated).json(t)
		if fz["scope"].([]any)[0] != "group:default/product" {
			t.Fatalf("freeze: %v", fz)
		}
		h.do(call{method: "POST", path: "/api/v1/freezes", body: map[string]any{"start": at(-48 * time.Hour), "end": at(-47 * time.Hour),
			"scope": "all", "reason": "migration"}}).want(t, http.StatusCreated)
		for path, n := range map[string]int{"/api/v1/freezes": 2, "/api/v1/freezes?at=" + at(0): 1, "/api/v1/freezes?at=" + at(48*time.Hour): 0} {
			if got := len(h.do(call{method: "GET", path: path}).want(t, http.StatusOK).json(t)["items"].([]any)); got != n {
				t.Errorf("%s: %d freezes, want %d", path, got, n)
			}
		}
		bob := tokenFor(t, h, "user:bob")
		ch := h.do(call{method: "POST", path: "/api/v1/changes", token: &bob, body: map[string]any{"entity": "component:checkout-api",
			"ref": "v2026.11.20-3", "actor": "user:bob", "at": at(-2 * time.Hour), "source": "ci"}}).want(t, http.StatusCreated).json(t)
		id := h.declare("Double charges", "SEV2", "component:checkout-api", time.Hour)
		if party, r, _ := h.suggestion(id); r != rule.A2 {
			t.Fatalf("before the link: %s by %s", party, r)
		}
		link := call{method: "POST", path: "/api/v1/incidents/" + id + "/changes", token: &bob, body: map[string]any{"change": ch["id"]}}
		h.do(link).want(t, http.StatusCreated)
		h.do(link).want(t, http.StatusOK)
		party, r, s := h.suggestion(id)
		if party != "user:default/bob" || r != rule.A6 {
			t.Fatalf("after the link: %s by %s", party, r)
		}
		var evidence []string
		for _, e := range s["evidence"].([]any) {
			evidence = append(evidence, e.(map[string]any)["detail"].(string))
		}
		if text := strings.Join(evidence, " | "); !strings.Contains(text, ch["id"].(string)) || !strings.Contains(text, fz["id"].(string)) ||
			!strings.Contains(text, "Black Friday") {
			t.Errorf("evidence: %s", text)
		}
		linked := h.do(call{method: "GET", path: "/api/v1/incidents/" + id + "/changes"}).want(t, http.StatusOK).json(t)
		if len(linked["changes"].([]any)) != 1 {
			t.Errorf("linked: %v", linked)
		}
		for path, n := range map[string]int{
			"/api/v1/changes?entity=checkout-api":                         1,
			"/api/v1/changes?entity=resource:orders-db":                   0,
			"/api/v1/changes?entity=checkout-api&since=" + at(-time.Hour): 0,
		} {
			if got := len(h.do(call{method: "GET", path: path}).want(t, http.StatusOK).json(t)["items"].([]any)); got != n {
				t.Errorf("%s: %d changes, want %d", path, got, n)
			}
		}
		res := h.do(call{method: "POST", path: "/api/v1/changes", body: map[string]any{"entity": "component:checkout-api", "ref": "v4",
			"actor": "user:bob", "exception_approved_by": "user:plat-lead"}}).want(t, http.StatusUnprocessableEntity)
		if _, r := res.errorRule(t); r != rule.A6 {
			t.Errorf("an exception from another line: rule %q", r)
		}
		h.do(call{method: "POST", path: "/api/v1/freezes", token: &bob, body: map[string]any{"start": at(0), "end": at(time.Hour),
			"scope": "all", "reason": "mine"}}).want(t, http.StatusForbidden)
		h.do(call{method: "POST", path: "/api/v1/incidents/" + id + "/changes", body: map[string]any{"change": "nope"}}).
			want(t, http.StatusUnprocessableEntity)
	})
}

// tokenFor makes a token acting as a person.
func tokenFor(t *testing.T, h *harness, person string) string {
	t.Helper()
	_, secret, err := h.app.CreateToken(context.Background(), adminActor(), app.NewToken{Name: "as-" + strings.TrimPrefix(person, "user:"),
		User: org.MustRef(person)})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}
