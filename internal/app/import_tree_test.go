package app_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// loadTree reads a whole Backstage catalog tree.
func loadTree(t *testing.T, fsys fs.FS) importer.Batch {
	t.Helper()
	b, err := importer.LoadBackstage(fsys, []string{"."}, importer.TreeOptions{})
	if err != nil {
		t.Fatalf("LoadBackstage: %v", err)
	}
	return b
}

// auditSeq is the sequence number of the audit chain's head.
func auditSeq(t *testing.T, db *store.DB) int64 {
	t.Helper()
	var seq int64
	err := db.View(ctx, func(tx *store.Tx) error {
		h, err := tx.AuditHead()
		seq = h.Seq
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// TestImportBackstageSamplesWhole imports the real Backstage samples as a
// whole catalog (Location and all), then again: the second import is a
// no-op and records nothing.
func TestImportBackstageSamplesWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		a, clock := apptest.New(t, db)
		b := loadTree(t, os.DirFS("../importer/testdata/backstage"))
		res, err := a.ImportWith(ctx, apptest.Admin(), b, app.ImportOptions{Whole: true})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		got := [3]app.Counts{res.People, res.Teams, res.Entities}
		want := [3]app.Counts{{Created: 17}, {Created: 8}, {Created: 7}}
		if got != want || len(res.Gone) != 0 || res.Closed != 0 {
			t.Errorf("people, teams, entities = %+v, gone %v, closed %d; want %+v, none gone or closed", got, res.Gone, res.Closed, want)
		}
		seq := auditSeq(t, db)
		clock.Advance(time.Hour)
		res, err = a.ImportWith(ctx, apptest.Admin(), b, app.ImportOptions{Whole: true})
		if err != nil {
			t.Fatalf("import again: %v", err)
		}
		got = [3]app.Counts{res.People, res.Teams, res.Entities}
		want = [3]app.Counts{{Unchanged: 17}, {Unchanged: 8}, {Unchanged: 7}}
		if got != want || res.Opened+res.Closed+res.Corrected != 0 || len(res.Changes) != 0 {
			t.Errorf("second import changed something: %+v", res)
		}
		if s := auditSeq(t, db); s != seq {
			t.Errorf("second import recorded %d audit events, want none", s-seq)
		}
	})
}

const (
	bsHead = "apiVersion: backstage.io/v1alpha1\n"
	ledger = org.Ref("component:default/ledger")
)

// booksCatalog is a small catalog owned by the test org's payments team.
func booksCatalog() fstest.MapFS {
	return fstest.MapFS{
		"catalog-info.yaml":  {Data: []byte(bsHead + "kind: Location\nmetadata: {name: root}\nspec:\n  targets: ['./*/*.yaml']\n")},
		"systems/books.yaml": {Data: []byte(bsHead + "kind: System\nmetadata: {name: books}\nspec: {owner: payments}\n")},
		"components/ledger.yaml": {Data: []byte(bsHead +
			"kind: Component\nmetadata: {name: ledger}\nspec: {owner: payments, system: books, dependsOn: ['resource:ledger-db']}\n")},
		"resources/ledger-db.yaml": {Data: []byte(bsHead + "kind: Resource\nmetadata: {name: ledger-db}\nspec: {owner: payments}\n")},
		"resources/journal.yaml":   {Data: []byte(bsHead + "kind: Resource\nmetadata: {name: journal}\nspec: {owner: payments}\n")},
	}
}

// TestImportBackstageGone: an entity that leaves the catalog keeps its
// history, its ownership ends at the import, and it comes back with a new
// period.
func TestImportBackstageGone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		a, clock := apptest.New(t, db)
		admin := apptest.Admin()
		whole := app.ImportOptions{Whole: true}
		first := apptest.Start.Add(-30 * 24 * time.Hour)
		clock.Set(first)
		files := booksCatalog()
		if _, err := a.ImportWith(ctx, admin, loadTree(t, files), whole); err != nil {
			t.Fatalf("first import: %v", err)
		}

		clock.Set(apptest.Start)
		delete(files, "components/ledger.yaml")
		res, err := a.ImportWith(ctx, admin, loadTree(t, files), whole)
		if err != nil {
			t.Fatalf("import without the ledger: %v", err)
		}
		if d := cmp.Diff([]org.Ref{ledger}, res.Gone); d != "" {
			t.Errorf("gone (-want +got):\n%s", d)
		}
		if res.Closed != 3 {
			t.Errorf("closed %d periods, want the ledger's owner, system and dependency: %v", res.Closed, res.Changes)
		}

		t.Run("the entity stays, with its owner until the import", func(t *testing.T) {
			before, err := a.Entity(ctx, admin, ledger, apptest.Start.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(before.Owners) != 1 || before.Owners[0].Owner != "group:default/payments" || before.System != "system:default/books" {
				t.Errorf("before the import: owners %v, system %s; want payments, books", before.Owners, before.System)
			}
			after, err := a.Entity(ctx, admin, ledger, apptest.Start)
			if err != nil {
				t.Fatal(err)
			}
			if len(after.Owners) != 0 || after.System != "" || len(after.DependsOn) != 0 {
				t.Errorf("after the import: owners %v, system %q, depends on %v; want none", after.Owners, after.System, after.DependsOn)
			}
			for _, e := range after.History {
				if !e.To.Equal(apptest.Start) {
					t.Errorf("period %s %s %s ends %v, want the import's time %v", e.Subject, e.Relation, e.Object, e.To, apptest.Start)
				}
			}
		})
		t.Run("the blame engine still finds the owner of an earlier incident", func(t *testing.T) {
			in, err := a.DeclareIncident(ctx, admin, app.IncidentInput{Title: "ledger down", Severity: incident.SEV3,
				StartedAt: apptest.Start.Add(-48 * time.Hour), Entities: []incident.FailedEntity{{Ref: ledger, Origin: true}}})
			if err != nil {
				t.Fatal(err)
			}
			v, err := a.Attribution(ctx, admin, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v.Suggestion.Party != "group:default/payments" || v.Suggestion.Rule != blame.A2 {
				t.Errorf("suggestion %s by %s, want group:default/payments by A2", v.Suggestion.Party, v.Suggestion.Rule)
			}
		})
		t.Run("the same import again changes nothing", func(t *testing.T) {
			seq := auditSeq(t, db)
			clock.Advance(time.Hour)
			res, err := a.ImportWith(ctx, admin, loadTree(t, files), whole)
			if err != nil || res.Closed+res.Opened != 0 || len(res.Gone) != 0 {
				t.Errorf("again: %+v, %v; want no change", res, err)
			}
			if s := auditSeq(t, db); s != seq {
				t.Errorf("recorded %d audit events, want none", s-seq)
			}
		})
		t.Run("files alone never end anything", func(t *testing.T) {
			res, err := a.ImportWith(ctx, admin, loadTree(t, fstest.MapFS{"systems/books.yaml": files["systems/books.yaml"]}), app.ImportOptions{})
			if err != nil || res.Closed != 0 || len(res.Gone) != 0 {
				t.Errorf("partial import: %+v, %v; want nothing ended", res, err)
			}
		})
		t.Run("ending more than half needs prune", func(t *testing.T) {
			only := fstest.MapFS{"systems/books.yaml": files["systems/books.yaml"]}
			seq := auditSeq(t, db)
			_, err := a.ImportWith(ctx, admin, loadTree(t, only), whole)
			if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "2 of the 3 entities") || !strings.Contains(err.Error(), "--prune") {
				t.Fatalf("err = %v, want Invalid naming 2 of 3 and --prune", err)
			}
			if s := auditSeq(t, db); s != seq {
				t.Errorf("refused import recorded %d audit events", s-seq)
			}
			res, err := a.ImportWith(ctx, admin, loadTree(t, only), app.ImportOptions{Whole: true, Prune: true})
			if err != nil {
				t.Fatal(err)
			}
			want := []org.Ref{"resource:default/journal", "resource:default/ledger-db"}
			if d := cmp.Diff(want, res.Gone); d != "" {
				t.Errorf("gone (-want +got):\n%s", d)
			}
		})
		t.Run("an entity that comes back has a new period", func(t *testing.T) {
			back := apptest.Start.Add(24 * time.Hour)
			clock.Set(back)
			res, err := a.ImportWith(ctx, admin, loadTree(t, booksCatalog()), whole)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Gone) != 0 || res.Opened != 5 {
				t.Errorf("opened %d, gone %v; want 5 opened (3 entities' owners, ledger's system and dependency), none gone: %v", res.Opened, res.Gone, res.Changes)
			}
			v, err := a.Entity(ctx, admin, ledger, back)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Owners) != 1 || !v.Owners[0].Since.Equal(back) {
				t.Errorf("owners %+v, want payments since %v", v.Owners, back)
			}
			owned := 0
			for _, e := range v.History {
				if e.Relation == org.OwnedBy {
					owned++
				}
			}
			if owned != 2 {
				t.Errorf("%d ownership periods, want 2: %+v", owned, v.History)
			}
		})
	})
}
