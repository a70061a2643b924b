package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestOwnersPage: the page lists the imported repositories with their rule
// counts, answers a lookup with the owners linked to their pages and the
// deciding line with its number, says so for an ownerless line, refuses a
// repository never imported in place (404) with the form still there, and
// the drift page and the weekly review list a disagreement with its
// evidence.
func TestOwnersPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada := apptest.Person("ada")
		if w := pageCall(t, s, s.pageOwners, ada, "GET", "/owners", nil, nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "No CODEOWNERS imported yet") {
			t.Fatalf("empty: %d\n%s", w.Code, w.Body)
		}
		file, err := importer.ParseCodeowners("CODEOWNERS", []byte("* @acme/checkout\n/svc/ @ada <x>@example.com\n/svc/vendor/\n"))
		if err == nil {
			t.Fatal("an owner with markup parsed")
		}
		file, err = importer.ParseCodeowners("CODEOWNERS", []byte("* @acme/checkout\n/svc/ @ada ghost@example.com\n/svc/vendor/\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.ImportCodeowners(ctx, apptest.Admin(), "acme/shop", file); err != nil {
			t.Fatal(err)
		}
		w := pageCall(t, s, s.pageOwners, ada, "GET", "/owners?repo=acme%2Fshop&path=svc%2Fapi%2Fmain.go", nil, nil)
		body := w.Body.String()
		for _, want := range []string{`<option value="acme/shop" selected>acme/shop</option>`, `<a href="/people/user:default/ada">user:ada</a>`,
			"Decided by line <strong>2</strong>", "<code>/svc/ @ada ghost@example.com</code>", "<code>ghost@example.com</code>",
			`<td class="num">3</td><td class="num">1</td>`, `aria-current="page">Code owners</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("lookup: no %q in\n%s", want, body)
			}
		}
		w = pageCall(t, s, s.pageOwners, ada, "GET", "/owners?repo=acme%2Fshop&path=README.md", nil, nil)
		if body := w.Body.String(); !strings.Contains(body, `<a href="/teams/group:default/checkout">group:checkout</a>`) || !strings.Contains(body, "Decided by line <strong>1</strong>") {
			t.Errorf("the default rule:\n%s", body)
		}
		w = pageCall(t, s, s.pageOwners, ada, "GET", "/owners?repo=acme%2Fshop&path=svc%2Fvendor%2Fx", nil, nil)
		if body := w.Body.String(); !strings.Contains(body, "<strong>Unowned</strong>") || !strings.Contains(body, "Decided by line <strong>3</strong>") {
			t.Errorf("the ownerless line:\n%s", body)
		}
		w = pageCall(t, s, s.pageOwners, ada, "GET", "/owners?repo=acme%2Fnone&path=x", nil, nil)
		if body := w.Body.String(); w.Code != http.StatusNotFound || !strings.Contains(body, `role="alert">no CODEOWNERS has been imported for acme/none`) || !strings.Contains(body, `<form`) {
			t.Errorf("a repository never imported: %d\n%s", w.Code, body)
		}
		w = pageCall(t, s, s.pageOwners, ada, "GET", "/owners?repo=acme%2Fshop&path=", nil, nil)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `role="alert"`) {
			t.Errorf("no path: %d", w.Code)
		}

		b, err := importer.ParseOrg("more.yaml", []byte("version: 1\nentities:\n  - {id: component:web, owner: payments, code: [github.com/acme/shop]}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Import(ctx, apptest.Admin(), b); err != nil {
			t.Fatal(err)
		}
		week := review.WeekOf(a.Now()).String()
		w = pageCall(t, s, s.pageReview, ada, "GET", "/reviews/"+week, nil, map[string]string{"week": week})
		if body := w.Body.String(); !strings.Contains(body, `Ownership drift <span class="count">1</span>`) ||
			!strings.Contains(body, `<span class="tag">codeowners disagrees</span> <a href="/entities/component:default/web">component:web</a>`) {
			t.Errorf("the weekly review's drift section:\n%s", body)
		}
		w = pageCall(t, s, s.pageOwnershipDrift, ada, "GET", "/ownership-drift", nil, nil)
		body = w.Body.String()
		for _, want := range []string{"codeowners disagrees", `<a href="/entities/component:default/web">component:web</a>`,
			"The catalog says group:payments owns component:web; the CODEOWNERS of acme/shop says group:checkout.",
			"<code>CODEOWNERS of acme/shop, line 1: * @acme/checkout</code>"} {
			if !strings.Contains(body, want) {
				t.Errorf("drift: no %q in\n%s", want, body)
			}
		}
	})
}
