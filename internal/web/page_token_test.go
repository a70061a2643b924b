package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestTokensPage: an administrator makes a token with the form and is
// shown its secret once (on an answer no cache keeps), which then
// authenticates; a bad form is answered on the page naming the field; the
// list shows the token without its secret, and Revoke ends it at once. A
// member has no link and is refused the page and both forms, as is a
// cross-site form.
func TestTokensPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		addAccount(t, h.app, "dee@example.com", "user:dee", password, org.RoleAdmin)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)

		ada := newBrowser(t, h.srv)
		ada.logIn("ada@example.com", password)
		if p := ada.get("/"); strings.Contains(p.body, `href="/tokens"`) {
			t.Error("a member's navigation links the tokens page")
		}
		if p := ada.get("/tokens"); p.status != http.StatusForbidden {
			t.Errorf("a member's tokens page: %d", p.status)
		}
		if p := ada.post("/tokens", url.Values{"name": {"mine"}, "role": {"admin"}}); p.status != http.StatusForbidden {
			t.Errorf("a member making a token: %d", p.status)
		}

		dee := newBrowser(t, h.srv)
		dee.logIn("dee@example.com", password)
		dee.get("/tokens").want(t, http.StatusOK, "")

		bad := dee.post("/tokens", url.Values{"name": {"sender"}, "role": {"ingest", "admin"}, "days": {"30"}})
		if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "ingest token delivers alerts and nothing else") ||
			!strings.Contains(bad.body, `value="sender"`) || !strings.Contains(bad.body, `value="admin" checked`) {
			t.Errorf("an ingest token with another role: %d\n%s", bad.status, bad.body)
		}
		if p := dee.post("/tokens", url.Values{"name": {"later"}, "role": {"member"}, "days": {"0"}}); p.status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.body, "is not a number of days") {
			t.Errorf("zero days: %d", p.status)
		}
		if p := dee.send("POST", "/tokens", url.Values{"name": {"csrf"}, "role": {"admin"}}, "cross-site"); p.status != http.StatusForbidden {
			t.Errorf("a cross-site form: %d", p.status)
		}

		made := dee.post("/tokens", url.Values{"name": {"deploys"}, "user": {"user:ada"}, "days": {"30"}}).want(t, http.StatusOK, "")
		if made.header.Get("Cache-Control") != "no-store" {
			t.Errorf("the page with a secret may be cached: %q", made.header.Get("Cache-Control"))
		}
		secret := regexp.MustCompile(`id="made-secret">(bf_[^<]+)<`).FindStringSubmatch(made.body)
		if secret == nil {
			t.Fatalf("no secret on the answer:\n%s", made.body)
		}
		actor, err := h.app.Authenticate(ctx, secret[1])
		if err != nil || actor.Ref != "user:default/ada" {
			t.Fatalf("the secret authenticates as %v, %v", actor.Ref, err)
		}
		list := dee.get("/tokens").want(t, http.StatusOK, "")
		if strings.Contains(list.body, secret[1]) || !strings.Contains(list.body, "deploys") || !strings.Contains(list.body, "in force") {
			t.Errorf("the list after making it:\n%s", list.body)
		}
		tokens, err := h.app.Tokens(ctx, apptest.Admin())
		if err != nil {
			t.Fatal(err)
		}
		var id string
		for _, tk := range tokens {
			if tk.Name == "deploys" {
				id = tk.ID
				if tk.ExpiresAt.Sub(tk.CreatedAt).Hours() != 30*24 {
					t.Errorf("expires %s after it was made, want 30 days", tk.ExpiresAt.Sub(tk.CreatedAt))
				}
			}
		}
		if p := ada.post("/tokens/"+id+"/revoke", url.Values{}); p.status != http.StatusForbidden {
			t.Errorf("a member's revoke: %d", p.status)
		}
		dee.post("/tokens/"+id+"/revoke", url.Values{}).want(t, http.StatusSeeOther, "/tokens")
		if _, err := h.app.Authenticate(ctx, secret[1]); err == nil {
			t.Error("the revoked token still authenticates")
		}
		if p := dee.get("/tokens"); !strings.Contains(p.body, "revoked") || strings.Contains(p.body, `action="/tokens/`+id+`/revoke"`) {
			t.Errorf("the list after revoking:\n%s", p.body)
		}
	})
}
