package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// orgCLI is the command line on a fresh database of one engine with the
// test organisation (orgFile) imported.
type orgCLI struct {
	t   *testing.T
	env map[string]string
}

func newOrgCLI(t *testing.T, engine store.Engine) *orgCLI {
	t.Helper()
	c := &orgCLI{t: t, env: map[string]string{"BLAMEFUL_DB": storetest.DSN(t, engine)}}
	orgPath := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(orgPath, []byte(orgFile), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("import", "org", orgPath)
	return c
}

// must runs a command and returns its output; it fails the test unless the
// command exits with 0.
func (c *orgCLI) must(args ...string) string {
	c.t.Helper()
	code, out, errOut := run(c.t, c.env, args...)
	if code != 0 {
		c.t.Fatalf("blameful %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fail runs a command that must fail with an error holding want.
func (c *orgCLI) fail(want string, args ...string) {
	c.t.Helper()
	code, out, errOut := run(c.t, c.env, args...)
	if code == 0 || !strings.Contains(errOut, want) {
		c.t.Fatalf("blameful %s: exit %d, want an error with %q\n%s%s", strings.Join(args, " "), code, want, out, errOut)
	}
}
