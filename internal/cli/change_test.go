package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store/storetest"
)

// TestChangeAndFreezeCommands: a freeze, a deploy recorded as a script
// would, and both listed back; an exception from nobody's leader is
// refused naming A6.
func TestChangeAndFreezeCommands(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			env := map[string]string{"BLAMEFUL_DB": storetest.DSN(t, engine)}
			orgPath := filepath.Join(t.TempDir(), "org.yaml")
			if err := os.WriteFile(orgPath, []byte(orgFile), 0o600); err != nil {
				t.Fatal(err)
			}
			mustRun := func(args ...string) string {
				t.Helper()
				code, out, errOut := run(t, env, args...)
				if code != 0 {
					t.Fatalf("blameful %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
				}
				return out
			}
			mustRun("import", "org", orgPath)
			now := time.Now().UTC()
			id := strings.TrimSpace(mustRun("freeze", "create", "--start", now.Add(-time.Hour).Format(time.RFC3339),
				"--end", now.Add(time.Hour).Format(time.RFC3339), "--scope", "group:eng", "--reason", "quarter end"))
			if out := mustRun("freeze", "list", "--at", now.Format(time.RFC3339)); !strings.Contains(out, id) || !strings.Contains(out, "current") {
				t.Errorf("freeze list:\n%s", out)
			}
			if out := mustRun("freeze", "list", "--at", now.Add(2*time.Hour).Format(time.RFC3339)); out != "" {
				t.Errorf("freeze list after the window:\n%s", out)
			}
			change := strings.TrimSpace(mustRun("change", "record", "--entity", "checkout", "--actor", "ada", "--ref", "v7", "--source", "ci"))
			if out := mustRun("change", "list", "--entity", "component:checkout"); !strings.Contains(out, change) || !strings.Contains(out, "v7") {
				t.Errorf("change list:\n%s", out)
			}
			code, _, errOut := run(t, env, "change", "record", "--entity", "checkout", "--actor", "ada", "--ref", "v8", "--exception-approved-by", "ada")
			if code != 1 || !strings.Contains(errOut, "A6") {
				t.Errorf("self-approved exception: exit %d, %s", code, errOut)
			}
		})
	}
}
