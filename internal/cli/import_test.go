package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/store/storetest"
)

// TestImportBackstageTree imports the fixture tree: a directory whose root
// Location reaches a file beside it, inside the root given.
func TestImportBackstageTree(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			env := map[string]string{"BLAMEFUL_DB": storetest.DSN(t, engine)}
			const tree = "../importer/testdata/tree"
			code, out, errOut := run(t, env, "import", "backstage", "--root", tree, tree+"/catalog")
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{
				"entities: 3 new, 0 updated, 0 unchanged", // checkout, shop and the provider stripe from ../shared
				"began provider:default/stripe owned_by group:default/payments",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			// Not a terminal: plain lines, one per tenth of the way.
			wantErr := "reading the catalog: 1/5 (20%)\nreading the catalog: 2/5 (40%)\nreading the catalog: 3/5 (60%)\n" +
				"reading the catalog: 4/5 (80%)\nreading the catalog: 5/5 (100%)\n" +
				"warning: " + tree + `/catalog/all.yaml:13: document 1 (Location acme-catalog): target "https://github.com/acme/legacy/blob/main/catalog-info.yaml" is a URL; blameful reads only files in the catalog's tree, so it was skipped` + "\n"
			var lines []string // leave out the log of a fresh database's migration
			for _, l := range strings.SplitAfter(errOut, "\n") {
				if !strings.HasPrefix(l, "time=") {
					lines = append(lines, l)
				}
			}
			if errOut = strings.Join(lines, ""); errOut != wantErr {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, wantErr)
			}

			t.Run("without the root, the Location may not leave the directory", func(t *testing.T) {
				code, _, errOut := run(t, env, "import", "backstage", tree+"/catalog")
				if code == 0 || !strings.Contains(errOut, `target "../shared/stripe.yaml" leads outside the catalog's root`) {
					t.Errorf("exit %d, stderr:\n%s", code, errOut)
				}
			})
			t.Run("a target escaping the tree refuses the import", func(t *testing.T) {
				code, _, errOut := run(t, env, "import", "backstage", tree)
				if code == 0 || !strings.Contains(errOut, tree+`/escape/location.yaml:8: document 1 (Location escape): target "../../outside.yaml" leads outside`) {
					t.Errorf("exit %d, stderr:\n%s", code, errOut)
				}
			})
			t.Run("a path outside the root given", func(t *testing.T) {
				code, _, errOut := run(t, env, "import", "backstage", "--root", tree+"/catalog", tree+"/shared")
				if code == 0 || !strings.Contains(errOut, "is outside the catalog's root") {
					t.Errorf("exit %d, stderr:\n%s", code, errOut)
				}
			})
		})
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestImportBackstageGoneCLI: a directory import that no longer holds an
// entity ends its ownership and says so; files alone never do; a symbolic
// link in the tree is not followed.
func TestImportBackstageGoneCLI(t *testing.T) {
	env := map[string]string{"BLAMEFUL_DB": storetest.DSN(t, storetest.Engines(t)[0])}
	dir := t.TempDir()
	const head = "apiVersion: backstage.io/v1alpha1\n"
	writeFiles(t, dir, map[string]string{
		"a.yaml":     head + "kind: Component\nmetadata: {name: a}\nspec: {owner: team}\n",
		"b.yaml":     head + "kind: Component\nmetadata: {name: b}\nspec: {owner: team}\n",
		"sub/c.yaml": head + "kind: Component\nmetadata: {name: c}\nspec: {owner: team}\n",
		"team.yaml":  head + "kind: Group\nmetadata: {name: team}\n",
	})
	outside := filepath.Join(t.TempDir(), "x.yaml")
	writeFiles(t, filepath.Dir(outside), map[string]string{"x.yaml": head + "kind: Component\nmetadata: {name: x}\n"})
	if err := os.Symlink(outside, filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	mustRun := func(args ...string) (string, string) {
		t.Helper()
		code, out, errOut := run(t, env, args...)
		if code != 0 {
			t.Fatalf("blameful %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out, errOut
	}
	_, errOut := mustRun("import", "backstage", dir)
	if !strings.Contains(errOut, "link.yaml: a symbolic link; not followed") {
		t.Errorf("stderr lacks the link's warning:\n%s", errOut)
	}
	if err := os.Remove(filepath.Join(dir, "b.yaml")); err != nil {
		t.Fatal(err)
	}
	out, _ := mustRun("import", "backstage", filepath.Join(dir, "a.yaml"), filepath.Join(dir, "team.yaml"))
	if strings.Contains(out, "no longer in the catalog") {
		t.Errorf("an import of files ended something:\n%s", out)
	}
	out, _ = mustRun("import", "backstage", dir)
	if want := "1 entity no longer in the catalog: ownership ended\n  - component:default/b\n"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	out, _ = mustRun("import", "backstage", dir)
	if !strings.Contains(out, "relations: 0 begun, 0 ended, 0 re-dated") || strings.Contains(out, "no longer") {
		t.Errorf("the same import again changed something:\n%s", out)
	}
	other := t.TempDir()
	writeFiles(t, other, map[string]string{"team.yaml": head + "kind: Group\nmetadata: {name: team}\n"})
	code, _, errOut := run(t, env, "import", "backstage", other)
	if code == 0 || !strings.Contains(errOut, "would end the ownership of 2 of the 2 entities") || !strings.Contains(errOut, "--prune") {
		t.Errorf("importing another directory as the whole catalog: exit %d\n%s", code, errOut)
	}
	out, _ = mustRun("import", "backstage", "--prune", other)
	if want := "2 entities no longer in the catalog: ownership ended\n  - component:default/a\n  - component:default/c\n"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}
