package cli_test

import (
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
			c := newOrgCLI(t, engine)
			mustRun := c.must
			mustFail := c.fail
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

// TestJobsRun: jobs run --at a day before the due date reminds the owner;
// run twice at once (as beside a running server) it reminds once; a day
// after, it escalates to the leader.
func TestJobsRun(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			c := newOrgCLI(t, engine)
			mustRun := c.must
			inc := strings.TrimSpace(mustRun("incident", "create", "--title", "Checkout slow", "--severity", "SEV3",
				"--started-at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "--entity", "component:checkout*"))
			due := time.Now().UTC().AddDate(0, 0, 10)
			fu := strings.Fields(mustRun("followup", "create", "--incident", inc, "--title", "Cache the tax table", "--owner", "user:ada",
				"--due", due.Format(time.DateOnly)))[0]
			before := due.AddDate(0, 0, -1).Format(time.RFC3339)
			outs := make(chan string, 2)
			for range 2 {
				go func() {
					_, out, errOut := run(t, c.env, "jobs", "run", "--at", before, "--digest", "off")
					outs <- out + errOut
				}()
			}
			a, b := <-outs, <-outs
			if !strings.Contains(a+b, "1 reminders") || strings.Count(a+b, "1 reminders") != 1 {
				t.Fatalf("two runs at once should remind once:\n%s\n%s", a, b)
			}
			if out := mustRun("jobs", "run", "--at", due.AddDate(0, 0, 1).Format(time.RFC3339), "--digest", "off"); !strings.Contains(out, "1 escalations") {
				t.Fatalf("the day after: %s", out)
			}
			out := mustRun("followup", "show", fu)
			if !strings.Contains(out, "reminder before to user:default/ada") || !strings.Contains(out, "escalation to user:default/lead") {
				t.Fatalf("show:\n%s", out)
			}
		})
	}
}
