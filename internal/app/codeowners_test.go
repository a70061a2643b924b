package app_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

func parseCodeowners(t *testing.T, text string) importer.Codeowners {
	t.Helper()
	c, err := importer.ParseCodeowners("CODEOWNERS", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestImportCodeowners: an admin imports a repository's CODEOWNERS; owners
// resolve to the test org's teams and people, the unknown ones are listed;
// the same file again writes nothing; a changed one replaces the rules;
// a member may not import but may ask who owns a path; the audit log
// vouches for everything.
func TestImportCodeowners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, _ := apptest.New(t, db)
		admin, ada := apptest.Admin(), apptest.Person("ada")
		file := parseCodeowners(t, "* @acme/payments\n/docs/ @ada ada@example.com @nobody\n/vendor/\n")
		res, err := a.ImportCodeowners(ctx, admin, "https://github.com/Acme/Shop.git", file)
		if err != nil {
			t.Fatal(err)
		}
		want := app.CodeownersResult{Repo: "acme/shop", Rules: 3, Ownerless: 1, Owners: 4, Resolved: 3, Unresolved: []string{"@nobody"}}
		if !equalResult(res, want) {
			t.Errorf("first import: %+v, want %+v", res, want)
		}
		events := auditCount(t, db)
		if res, err = a.ImportCodeowners(ctx, admin, "acme/shop", file); err != nil || !res.Unchanged || res.Replaced != 3 {
			t.Errorf("the same file again: %+v %v", res, err)
		}
		if n := auditCount(t, db); n != events {
			t.Errorf("an unchanged import recorded %d events", n-events)
		}
		if _, err := a.ImportCodeowners(ctx, ada, "acme/shop", file); !errors.Is(err, errs.Forbidden) {
			t.Errorf("a member importing: %v, want Forbidden", err)
		}
		if _, err := a.ImportCodeowners(ctx, admin, "not a repo", file); !errors.Is(err, errs.Invalid) {
			t.Errorf("a bad repository name: %v, want Invalid", err)
		}

		for path, wantRefs := range map[string][]org.Ref{
			"docs/intro.md": {"user:default/ada"},
			"src/main.go":   {"group:default/payments"},
			"/":             {"group:default/payments"},
			"vendor/x.go":   nil,
		} {
			o, err := a.OwnersOf(ctx, ada, "github.com/acme/shop", path)
			if err != nil || !o.Matched || !slices.Equal(o.Rule.Refs, wantRefs) || o.Repo != "acme/shop" {
				t.Errorf("owners of %s: %+v %v, want %v", path, o, err, wantRefs)
			}
		}
		if _, err := a.OwnersOf(ctx, ada, "acme/elsewhere", "x"); !errors.Is(err, errs.NotFound) || msgOf(err) != "no CODEOWNERS has been imported for acme/elsewhere (blameful import codeowners --repo acme/elsewhere FILE)" {
			t.Errorf("a repository never imported: %v", err)
		}
		if _, err := a.OwnersOf(ctx, ada, "acme/shop", ""); !errors.Is(err, errs.Invalid) {
			t.Errorf("no path: %v, want Invalid", err)
		}
		if _, err := a.OwnersOf(ctx, org.Actor{}, "acme/shop", "x"); !errors.Is(err, errs.Unauthenticated) {
			t.Errorf("nobody: %v, want Unauthenticated", err)
		}

		if res, err = a.ImportCodeowners(ctx, admin, "acme/shop", parseCodeowners(t, "*.go @acme/checkout\n")); err != nil || res.Replaced != 3 || res.Rules != 1 || res.Unchanged {
			t.Errorf("a changed file: %+v %v", res, err)
		}
		if o, err := a.OwnersOf(ctx, ada, "acme/shop", "docs/intro.md"); err != nil || o.Matched {
			t.Errorf("after the replacement docs/intro.md: %+v %v, want no rule", o, err)
		}
		repos, err := a.CodeownersRepos(ctx, ada)
		if err != nil || len(repos) != 1 || repos[0].Repo != "acme/shop" || repos[0].Rules != 1 {
			t.Errorf("repositories: %+v %v", repos, err)
		}
		if v, err := a.VerifyAudit(ctx, admin); err != nil || !v.OK {
			t.Errorf("audit verify after the imports: %+v %v", v, err)
		}
	})
}

func equalResult(x, y app.CodeownersResult) bool {
	return x.Repo == y.Repo && x.Rules == y.Rules && x.Ownerless == y.Ownerless && x.Owners == y.Owners &&
		x.Resolved == y.Resolved && slices.Equal(x.Unresolved, y.Unresolved) && x.Replaced == y.Replaced && x.Unchanged == y.Unchanged
}

func msgOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return ""
}

func auditCount(t *testing.T, db *store.DB) int {
	t.Helper()
	n := 0
	if err := db.View(context.Background(), func(tx *store.Tx) error {
		return tx.AuditEvents(0, 0, func(_ audit.Event) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// importPaymentsShop imports the catalog, and a CODEOWNERS for
// acme/shop that gives all of it to payments.
func importPaymentsShop(t *testing.T, a *app.App, catalog string) {
	t.Helper()
	b, err := importer.ParseOrg("more.yaml", []byte(catalog))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Import(context.Background(), apptest.Admin(), b); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ImportCodeowners(context.Background(), apptest.Admin(), "acme/shop", parseCodeowners(t, "* @acme/payments\n")); err != nil {
		t.Fatal(err)
	}
}

// TestOwnershipDrift runs drift over the test org: a component whose
// catalog owner (checkout) disagrees with CODEOWNERS (payments), and one
// whose recent changes all came from outside its owning team, while a
// change by a member keeps another clear; the weekly review lists both.
func TestOwnershipDrift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, clock := apptest.New(t, db)
		admin := apptest.Admin()
		importPaymentsShop(t, a, "version: 1\nentities:\n  - {id: component:web, owner: checkout, code: [github.com/acme/shop]}\n")
		record := func(entity, actor string, ago time.Duration) {
			t.Helper()
			if _, err := a.RecordChange(ctx, admin, app.ChangeInput{Entity: org.MustRef(entity), Ref: "v1", Actor: org.MustRef(actor), At: clock.Now().Add(-ago)}); err != nil {
				t.Fatal(err)
			}
		}
		record("component:checkout-api", "user:dee", 48*time.Hour) // payments owns it; dee is in platform
		record("component:checkout-api", "user:cy", 24*time.Hour)  // cy is in checkout
		record("resource:orders-db", "user:dee", 24*time.Hour)     // platform's own
		record("component:search", "user:ada", 100*24*time.Hour)   // too long ago
		findings, err := a.OwnershipDrift(ctx, apptest.Person("bob"), 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range findings {
			got = append(got, string(f.Kind)+" "+string(f.Entity))
		}
		want := []string{"codeowners_disagrees component:default/web", "deploys_from_outside component:default/checkout-api"}
		if !slices.Equal(got, want) {
			t.Errorf("drift: %v, want %v\n%+v", got, want, findings)
		}
		if _, err := a.OwnershipDrift(ctx, apptest.Person("bob"), 400); !errors.Is(err, errs.Invalid) {
			t.Errorf("400 days: %v, want Invalid", err)
		}
		rv, err := a.WeeklyReview(ctx, apptest.Person("bob"), review.WeekOf(clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if rv.DriftTotal != 2 || len(rv.Drift) != 2 {
			t.Errorf("the review's drift: %d %+v", rv.DriftTotal, rv.Drift)
		}
	})
}
