package store_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestCodeownersReplaced: an import of a repository's CODEOWNERS replaces
// its rules wholesale, other repositories keep theirs, the rules read back
// as written (owners and references, ownerless lines), and the audit log
// vouches for every row afterwards; tampering with a rule is found.
func TestCodeownersReplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		parse := func(text string) []importer.OwnerRule {
			t.Helper()
			c, err := importer.ParseCodeowners("CODEOWNERS", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			importer.ResolveOwners(c.Rules, nil, []org.Team{{Ref: "group:default/payments"}})
			return c.Rules
		}
		put := func(repo string, rules []importer.OwnerRule, unknown ...string) {
			t.Helper()
			err := db.Update(ctx, func(tx *store.Tx) error {
				recorded(tx)
				return tx.ReplaceCodeowners(store.CodeownersFile{Repo: repo, Rules: rules, Unknown: unknown, ImportedAt: now, ImportedBy: "system:default/cli"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		first := parse("* @acme/payments @ghost\n/docs/ a@b.io\n/vendor/\n")
		put("acme/shop", first, "@ghost", "a@b.io")
		put("acme/other", parse("* @acme/payments\n"))
		second := parse("# fewer now\n*.go @acme/payments\n")
		put("acme/shop", second)

		var got store.CodeownersFile
		var repos []store.CodeownersRepo
		var rule importer.OwnerRule
		var matched bool
		err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			if got, err = tx.Codeowners("acme/shop"); err != nil {
				return err
			}
			if repos, err = tx.CodeownersRepos(); err != nil {
				return err
			}
			rule, matched, err = tx.OwnersOf("acme/other", "src/x.go")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(second, got.Rules); diff != "" || got.Unknown != nil || !got.ImportedAt.Equal(now) {
			t.Errorf("replaced rules (-want +got):\n%s\nunknown %v at %v", diff, got.Unknown, got.ImportedAt)
		}
		wantRepos := []store.CodeownersRepo{{Repo: "acme/other", Rules: 1, ImportedAt: now, ImportedBy: "system:default/cli"},
			{Repo: "acme/shop", Rules: 1, ImportedAt: now, ImportedBy: "system:default/cli"}}
		for i := range repos {
			repos[i].ImportedAt = repos[i].ImportedAt.UTC()
		}
		if diff := cmp.Diff(wantRepos, repos); diff != "" {
			t.Errorf("repositories (-want +got):\n%s", diff)
		}
		if !matched || rule.Line != 1 || !slices.Equal(rule.Refs, []org.Ref{"group:default/payments"}) {
			t.Errorf("owners of src/x.go in acme/other: %+v %v", rule, matched)
		}

		// An ownerless line reads back without owners.
		put("acme/shop", first, "@ghost", "a@b.io")
		err = db.View(ctx, func(tx *store.Tx) error {
			var err error
			got, err = tx.Codeowners("acme/shop")
			if err != nil {
				return err
			}
			rule, matched, err = tx.OwnersOf("acme/shop", "vendor/lib.go")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, got.Rules); diff != "" || !slices.Equal(got.Unknown, []string{"@ghost", "a@b.io"}) {
			t.Errorf("rules (-want +got):\n%s\nunknown %v", diff, got.Unknown)
		}
		if !matched || !rule.IsUnowned() || rule.Line != 3 {
			t.Errorf("vendor/lib.go: %+v %v, want the ownerless line 3", rule, matched)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			_, _, err := tx.OwnersOf("acme/none", "x")
			return err
		})
		if !errors.Is(err, errs.NotFound) {
			t.Errorf("a repository never imported: %v, want NotFound", err)
		}
		if _, f := findings(t, db); len(f) != 0 {
			t.Errorf("audit findings after imports: %v", f)
		}
	})
}
