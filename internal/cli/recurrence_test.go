package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store/storetest"
)

// TestRecurrenceCommands: the later of two incidents on one component
// lists the earlier as a candidate with its reasons; confirm and dismiss
// say what they did; a backwards link is refused naming F6.
func TestRecurrenceCommands(t *testing.T) {
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
			earlier := strings.TrimSpace(mustRun("incident", "create", "--title", "Checkout connection pool exhausted", "--severity", "SEV2",
				"--started-at", now.Add(-20*24*time.Hour).Format(time.RFC3339), "--entity", "component:checkout*"))
			later := strings.TrimSpace(mustRun("incident", "create", "--title", "Connection pool exhausted on checkout", "--severity", "SEV2",
				"--started-at", now.Add(-time.Hour).Format(time.RFC3339), "--entity", "component:checkout*"))
			out := mustRun("recurrence", "candidates", later)
			if !strings.HasPrefix(out, earlier) || !strings.Contains(out, "origin of both") || !strings.Contains(out, "similar text") {
				t.Errorf("candidates:\n%s", out)
			}
			if out := mustRun("recurrence", "confirm", later, "--earlier", earlier, "--reason", "same pool"); !strings.Contains(out, "confirmed") {
				t.Errorf("confirm:\n%s", out)
			}
			if out := mustRun("recurrence", "candidates", later); !strings.Contains(out, "[confirmed]") {
				t.Errorf("candidates after confirming:\n%s", out)
			}
			if out := mustRun("recurrence", "dismiss", later, "--earlier", earlier); !strings.Contains(out, "dismissed") {
				t.Errorf("dismiss:\n%s", out)
			}
			code, _, errOut := run(t, env, "recurrence", "confirm", earlier, "--earlier", later)
			if code != 1 || !strings.Contains(errOut, "F6") {
				t.Errorf("backwards: exit %d, %s", code, errOut)
			}
		})
	}
}
