package cli_test

import (
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
			c := newOrgCLI(t, engine)
			mustRun := c.must
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
			code, _, errOut := run(t, c.env, "recurrence", "confirm", earlier, "--earlier", later)
			if code != 1 || !strings.Contains(errOut, "F6") {
				t.Errorf("backwards: exit %d, %s", code, errOut)
			}
		})
	}
}
