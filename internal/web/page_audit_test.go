package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestAuditPage: the audit page shows the last recorded verification and
// never walks the chain itself; "Verify now" walks it, records the run and
// shows it. Someone signed out learns nothing and records nothing, and a
// cross-site form is refused.
func TestAuditPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		addAccount(t, h.app, "dee@example.com", "user:dee", password)
		last := func() string {
			t.Helper()
			st, err := h.app.AuditStatus(ctx, apptest.Admin())
			if err != nil {
				t.Fatal(err)
			}
			if st.Last == nil {
				return ""
			}
			return st.Last.ID
		}
		st, err := h.app.AuditStatus(ctx, apptest.Admin())
		if err != nil {
			t.Fatal(err)
		}
		hash := st.Head.Hash

		out := newBrowser(t, h.srv)
		out.get("/audit").want(t, http.StatusSeeOther, "/login?next=%2Faudit")
		p := out.post("/audit/verify", url.Values{})
		if p.status != http.StatusUnauthorized || strings.Contains(p.body, hash) || strings.Contains(p.body, "Verify now") {
			t.Errorf("verifying signed out: %d\n%s", p.status, p.body)
		}
		signedOut := ""
		if api := h.do(call{method: "GET", path: "/api/v1/audit/verify", token: &signedOut}); api.status != p.status {
			t.Errorf("the API refuses with %d, the page with %d", api.status, p.status)
		}
		if id := last(); id != "" {
			t.Fatalf("a refused verification was recorded: %s", id)
		}

		dee := newBrowser(t, h.srv)
		dee.logIn("dee@example.com", password)
		page := dee.get("/audit").want(t, http.StatusOK, "")
		for _, want := range []string{"has not been verified yet", `<form class="inline" method="post" action="/audit/verify">`, "No checkpoint was signed yet"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the page before any verification lacks %q", want)
			}
		}
		if p := dee.send("POST", "/audit/verify", url.Values{}, "cross-site"); p.status != http.StatusForbidden || last() != "" {
			t.Errorf("a cross-site verify: %d, recorded %q", p.status, last())
		}

		dee.post("/audit/verify", url.Values{}).want(t, http.StatusSeeOther, "/audit")
		first := last()
		if first == "" {
			t.Fatal("Verify now recorded nothing")
		}
		page = dee.get("/audit").want(t, http.StatusOK, "")
		for _, want := range []string{"The chain held", hash, `asked by <a href="/people/user:default/dee">user:dee</a>`, "Written since</dt><dd>nothing"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the page after verifying lacks %q:\n%s", want, page.body)
			}
		}

		// The API verifies live, as it always has, and records nothing.
		v := h.do(call{method: "GET", path: "/api/v1/audit/verify"}).want(t, http.StatusOK).json(t)
		if v["ok"] != true || last() != first {
			t.Errorf("the API: %v; last run %s, want %s", v, last(), first)
		}
		// A write after the verification is not vouched for yet.
		if _, _, err := h.app.CreateToken(ctx, apptest.Admin(), app.NewToken{Name: "later", Roles: []org.Role{org.RoleMember}}); err != nil {
			t.Fatal(err)
		}
		if page = dee.get("/audit"); !strings.Contains(page.body, "Written since</dt><dd>1 event,") {
			t.Errorf("a write after the verification is not counted:\n%s", page.body)
		}
	})
}
