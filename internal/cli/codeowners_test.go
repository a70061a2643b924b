package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/store/storetest"
)

// TestImportCodeowners imports a CODEOWNERS file on each engine: the
// summary counts rules and owners, warns about the owners nobody in the
// org answers to, takes --repo after the file too, says when nothing
// changed, and refuses a bad file or a missing --repo with a clear message.
func TestImportCodeowners(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			c := newOrgCLI(t, engine)
			dir := t.TempDir()
			file := filepath.Join(dir, "CODEOWNERS")
			if err := os.WriteFile(file, []byte("# owners\n* @acme/payments\n/docs/ @ada docs@example.com\n/vendor/\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := run(t, c.env, "import", "codeowners", "--repo", "github.com/Acme/Shop", file)
			if code != 0 || !strings.Contains(out, "imported CODEOWNERS of acme/shop") || !strings.Contains(out, "rules:  3 (1 without owners), replacing 0") ||
				!strings.Contains(out, "owners: 3 named, 2 resolved, 1 unresolved") || !strings.Contains(errOut, "warning: docs@example.com names nobody in the org") {
				t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
			}
			if out := c.must("import", "codeowners", file, "--repo", "acme/shop"); !strings.Contains(out, "CODEOWNERS of acme/shop unchanged: 3 rules") {
				t.Errorf("again, flags after the file: %s", out)
			}
			bad := filepath.Join(dir, "BAD")
			if err := os.WriteFile(bad, []byte("* @ok\n!vendor @a\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			c.fail(bad+":2: pattern \"!vendor\": negation (!) is not supported", "import", "codeowners", "--repo", "acme/shop", bad)
			c.fail("--repo OWNER/NAME FILE", "import", "codeowners", file)
			c.fail("is not a repository", "import", "codeowners", "--repo", "a/b/c", file)
			if _, out, _ := run(t, nil, "import", "-h"); !strings.Contains(out, "codeowners") {
				t.Errorf("import -h does not offer codeowners: %s", out)
			}
		})
	}
}
