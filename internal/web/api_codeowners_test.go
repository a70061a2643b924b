package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestOwnersAPI: an admin imports a CODEOWNERS file (a member may not; a
// bad file is refused naming its line); any member asks who owns a path by the imported
// CODEOWNERS and gets the owners with the deciding line; an ownerless line
// gives no owners and the line; no match gives neither; a repository never
// imported is a 404 naming it; no token is a 401; ownership drift lists the
// disagreement.
func TestOwnersAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ada := tokenFor(t, h, "user:ada")
		file := "# shop\n*.go @acme/payments @ghost\n/vendor/\n"
		imp := call{method: "POST", path: "/api/v1/import/codeowners?repo=github.com/acme/shop", body: file, contentType: "text/plain"}
		res := h.do(imp).want(t, http.StatusOK).json(t)
		if res["repo"] != "acme/shop" || res["rules"] != 2.0 || res["ownerless"] != 1.0 || res["resolved"] != 1.0 || res["unresolved"].([]any)[0] != "@ghost" || res["unchanged"] != false {
			t.Errorf("import: %v", res)
		}
		if res := h.do(imp).want(t, http.StatusOK).json(t); res["unchanged"] != true {
			t.Errorf("the same file again: %v", res)
		}
		h.do(call{method: "POST", path: imp.path, body: file, contentType: "text/plain", token: &ada}).want(t, http.StatusForbidden)
		bad := h.do(call{method: "POST", path: imp.path, body: "!x @a\n", contentType: "text/plain"}).want(t, http.StatusBadRequest)
		if e := bad.json(t)["error"].(map[string]any); e["message"] != `CODEOWNERS:1: pattern "!x": negation (!) is not supported in CODEOWNERS` {
			t.Errorf("a bad file: %v", e)
		}
		h.do(call{method: "POST", path: "/api/v1/import/codeowners", body: file, contentType: "text/plain", invalid: true}).want(t, http.StatusUnprocessableEntity)
		for name, body := range map[string]string{"NUL": "a\x00b @x\n", "escape": "\x1b[2J @x\n", "invalid UTF-8": "a\xff @x\n",
			"huge line": strings.Repeat("x", 5000) + " @x\n", "markup owner": "* <script>\n", "empty": ""} {
			if res := h.do(call{method: "POST", path: imp.path, body: body, contentType: "text/plain", invalid: true}); res.status != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400\n%s", name, res.status, res.body)
			}
		}
		h.do(call{method: "POST", path: imp.path, body: "version: 1\n", contentType: "application/yaml", invalid: true}).want(t, http.StatusBadRequest)
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
		res404 := h.do(call{method: "GET", path: owners("acme/elsewhere", "x"), token: &ada}).want(t, http.StatusNotFound)
		if e := res404.json(t)["error"].(map[string]any); e["message"] != "no CODEOWNERS has been imported for acme/elsewhere (blameful import codeowners --repo acme/elsewhere FILE)" {
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
