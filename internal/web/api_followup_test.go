package web_test

import (
	"net/http"
	"slices"
	"testing"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestFollowUpsByLeader: GET /api/v1/followups?leader= keeps the
// follow-ups owned in the organisation the leader leads, with the other
// filters; a leader who leads no team, or a team, is a 422 naming the
// field.
func TestFollowUpsByLeader(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		id := h.declare("Late page", "SEV2", "component:checkout-api", 0)
		for _, owner := range []string{"user:ada", "group:checkout", "user:dee", "group:platform"} {
			h.do(call{method: "POST", path: "/api/v1/followups", body: map[string]any{"incident": id, "title": "for " + owner, "owner": owner}}).
				want(t, http.StatusCreated)
		}
		owners := func(path string) []string {
			t.Helper()
			var out []string
			for _, it := range h.do(call{method: "GET", path: path}).want(t, http.StatusOK).json(t)["items"].([]any) {
				out = append(out, it.(map[string]any)["owner"].(string))
			}
			slices.Sort(out)
			return out
		}
		for path, want := range map[string][]string{
			"/api/v1/followups?leader=user:default/vp":       {"group:default/checkout", "user:default/ada"},
			"/api/v1/followups?leader=plat-lead":             {"group:default/platform", "user:default/dee"},
			"/api/v1/followups?leader=cto&owner=user:dee":    {"user:default/dee"},
			"/api/v1/followups?leader=vp&owner=user:dee":     nil,
			"/api/v1/followups?leader=vp&status=done":        nil,
			"/api/v1/followups?leader=cto&overdue=true":      nil,
			"/api/v1/followups?leader=user:default/pay-lead": {"user:default/ada"},
		} {
			if got := owners(path); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", path, got, want)
			}
		}
		for _, path := range []string{"/api/v1/followups?leader=dee", "/api/v1/followups?leader=group:payments", "/api/v1/followups?leader=a%20b"} {
			res := h.do(call{method: "GET", path: path}).want(t, http.StatusUnprocessableEntity)
			if fields, _ := res.json(t)["error"].(map[string]any)["fields"].(map[string]any); fields["leader"] == nil {
				t.Errorf("%s: %s, want a problem with leader", path, res.body)
			}
		}
	})
}
