package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestOwnersAPI: any member asks who owns a path by the imported
// CODEOWNERS and gets the owners with the deciding line; an ownerless line
// gives no owners and the line; no match gives neither; a repository never
// imported is a 404 naming it; no token is a 401; ownership drift lists the
// disagreement.
func TestOwnersAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		file, err := importer.ParseCodeowners("CODEOWNERS", []byte("# shop\n*.go @acme/payments @ghost\n/vendor/\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.app.ImportCodeowners(ctx, adminActor(), "acme/shop", file); err != nil {
			t.Fatal(err)
		}
		ada := tokenFor(t, h, "user:ada")
		owners := func(repo, path string) string {
			return "/api/v1/owners?repo=" + url.QueryEscape(repo) + "&path=" + url.QueryEscape(path)
		}
		got := h.do(call{method: "GET", path: owners("github.com/acme/shop", "cmd/main.go"), token: &ada}).want(t, http.StatusOK).json(t)
		if got["repo"] != "acme/shop" || got["rule"] != "*.go @acme/payments @ghost" || got["line"] != 2.0 ||
			len(got["owners"].([]any)) != 1 || got["owners"].([]any)[0] != "group:default/payments" || len(got["written"].([]any)) != 2 {
			t.Errorf("cmd/main.go: %v", got)
		}
		got = h.do(call{method: "GET", path: owners("acme/shop", "vendor/x.go"), token: &ada}).want(t, http.StatusOK).json(t)
		if got["rule"] != "/vendor/" || got["line"] != 3.0 || len(got["owners"].([]any)) != 0 {
			t.Errorf("vendor/x.go (ownerless): %v", got)
		}
		got = h.do(call{method: "GET", path: owners("acme/shop", "README.md"), token: &ada}).want(t, http.StatusOK).json(t)
		if got["rule"] != "" || got["line"] != 0.0 || len(got["owners"].([]any)) != 0 {
			t.Errorf("README.md (no rule): %v", got)
		}
		res := h.do(call{method: "GET", path: owners("acme/elsewhere", "x"), token: &ada}).want(t, http.StatusNotFound)
		if e := res.json(t)["error"].(map[string]any); e["message"] != "no CODEOWNERS has been imported for acme/elsewhere (blameful import codeowners --repo acme/elsewhere FILE)" {
			t.Errorf("404: %v", e)
		}
		h.do(call{method: "GET", path: "/api/v1/owners?repo=acme/shop", token: &ada, invalid: true}).want(t, http.StatusUnprocessableEntity)
		h.do(call{method: "GET", path: owners("a/b/c", "x"), token: &ada, invalid: true}).want(t, http.StatusUnprocessableEntity)
		none := ""
		h.do(call{method: "GET", path: owners("acme/shop", "x"), token: &none}).want(t, http.StatusUnauthorized)

		drift := h.do(call{method: "GET", path: "/api/v1/ownership-drift?days=30", token: &ada}).want(t, http.StatusOK).json(t)
		if drift["days"] != 30.0 || len(drift["findings"].([]any)) != 0 {
			t.Errorf("drift: %v", drift)
		}
		h.do(call{method: "GET", path: "/api/v1/ownership-drift?days=0", token: &ada, invalid: true}).want(t, http.StatusUnprocessableEntity)
		h.do(call{method: "GET", path: "/api/v1/ownership-drift", token: &none}).want(t, http.StatusUnauthorized)
	})
}
