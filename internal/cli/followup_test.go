package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store/storetest"
)

// TestFollowUpCommands: ask to drop a follow-up, a peer cannot approve,
// the leader refuses with a reason, then approves; another is marked done;
// show tells the story (F3).
func TestFollowUpCommands(t *testing.T) {
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
			mustFail := func(want string, args ...string) {
				t.Helper()
				code, out, errOut := run(t, env, args...)
				if code == 0 || !strings.Contains(errOut, want) {
					t.Fatalf("blameful %s: exit %d, want an error with %q\n%s%s", strings.Join(args, " "), code, want, out, errOut)
				}
			}
			mustRun("import", "org", orgPath)
			inc := strings.TrimSpace(mustRun("incident", "create", "--title", "Checkout slow", "--severity", "SEV3",
				"--started-at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "--entity", "component:checkout*"))
			fu := strings.Fields(mustRun("followup", "create", "--incident", inc, "--title", "Cache the tax table", "--owner", "user:ada"))[0]
			other := strings.Fields(mustRun("followup", "create", "--incident", inc, "--title", "Load test", "--owner", "user:ada"))[0]

			mustFail("F3", "followup", "wont-do", fu, "--as", "user:ada")
			if out := mustRun("followup", "wont-do", fu, "--as", "user:ada", "--reason", "the tax service is going away"); !strings.Contains(out, "waits for user:default/lead") {
				t.Fatalf("wont-do: %s", out)
			}
			mustFail("F3", "followup", "approve", fu, "--as", "user:ada")
			mustFail("as: is required", "followup", "approve", fu)
			mustFail("F3", "followup", "approve", fu, "--as", "user:lead", "--refuse")
			if out := mustRun("followup", "approve", fu, "--as", "user:lead", "--refuse", "--reason", "not before Q2"); !strings.Contains(out, "stays open") {
				t.Fatalf("refuse: %s", out)
			}
			mustRun("followup", "wont-do", fu, "--as", "user:ada", "--reason", "the tax service is gone")
			if out := mustRun("followup", "approve", fu, "--as", "user:cto"); !strings.Contains(out, "wont_do") {
				t.Fatalf("approve: %s", out)
			}
			if out := mustRun("followup", "done", other); !strings.Contains(out, other+" done") {
				t.Fatalf("done: %s", out)
			}
			out := mustRun("followup", "show", fu)
			for _, want := range []string{"wont_do", "refused by user:default/lead (not before Q2)", "approved by user:default/cto"} {
				if !strings.Contains(out, want) {
					t.Errorf("show lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
