package web_test

import (
	"context"
	"net/http"
	"testing"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestTokensAPI lists and revokes tokens as an admin: the revoked token
// is refused on its next request (after one that worked, so the server
// had it remembered), a member may do neither, and nothing shows a hash.
func TestTokensAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ada := tokenFor(t, h, "user:ada")
		h.do(call{method: "GET", path: "/api/v1/incidents", token: &ada}).want(t, http.StatusOK)
		h.do(call{method: "GET", path: "/api/v1/tokens", token: &ada}).want(t, http.StatusForbidden)
		h.do(call{method: "DELETE", path: "/api/v1/tokens/tour", token: &ada}).want(t, http.StatusForbidden)

		list := h.do(call{method: "GET", path: "/api/v1/tokens"}).want(t, http.StatusOK).json(t)
		items, _ := list["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("%d tokens listed, want 2: %s", len(items), list)
		}
		for _, it := range items {
			if _, ok := it.(map[string]any)["hash"]; ok {
				t.Errorf("a token is listed with its hash: %v", it)
			}
		}

		got := h.do(call{method: "DELETE", path: "/api/v1/tokens/as-ada"}).want(t, http.StatusOK).json(t)
		if got["revoked_at"] == nil || got["name"] != "as-ada" {
			t.Errorf("revoked: %v", got)
		}
		h.do(call{method: "GET", path: "/api/v1/incidents", token: &ada}).want(t, http.StatusUnauthorized)
		h.do(call{method: "DELETE", path: "/api/v1/tokens/as-ada"}).want(t, http.StatusNotFound)
		h.do(call{method: "DELETE", path: "/api/v1/tokens/" + got["id"].(string)}).want(t, http.StatusConflict)
	})
}

// tokens are a token in force and a revoked one, by id.
func (f *fixture) tokens() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	for _, state := range []string{"in-force", "revoked"} {
		t, _, err := f.h.app.CreateToken(context.Background(), adminActor(), app.NewToken{Name: "fixture-" + state, Roles: []org.Role{org.RoleHR}})
		f.must(err)
		if state == "revoked" {
			_, err = f.h.app.RevokeToken(context.Background(), adminActor(), t.ID)
			f.must(err)
		}
		out[state] = t.ID
	}
	return out
}
