package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/cli"
	"blameful.dev/blameful/internal/store/storetest"
)

// run runs the CLI with args and returns its exit code and output.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const orgFile = `version: 1
people:
  - {id: cto}
  - {id: lead}
  - {id: ada}
teams:
  - {id: eng, leader: cto}
  - {id: payments, parent: eng, leader: lead, members: [ada]}
entities:
  - {id: component:checkout, owner: payments}
  - {id: provider:stripe, owner: payments}
`

func TestCommandLineLoop(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			env := map[string]string{"BLAMEFUL_DB": storetest.DSN(t, engine)}
			dir := t.TempDir()
			orgPath := filepath.Join(dir, "org.yaml")
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
			out := mustRun("import", "org", orgPath)
			if !strings.Contains(out, "people:   3 new") {
				t.Fatalf("import output:\n%s", out)
			}
			if out := mustRun("import", "org", orgPath); !strings.Contains(out, "0 begun, 0 ended") {
				t.Fatalf("re-import must change nothing:\n%s", out)
			}
			token := strings.TrimSpace(mustRun("token", "create", "--role", "admin", "--name", "ci"))
			if !strings.HasPrefix(token, "bf_") {
				t.Fatalf("token %q", token)
			}
			started := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
			id := strings.TrimSpace(mustRun("incident", "create", "--title", "Checkout down", "--severity", "SEV2",
				"--started-at", started, "--entity", "component:checkout*"))
			if !regexp.MustCompile(`^INC-\d{4}-0001$`).MatchString(id) {
				t.Fatalf("id %q", id)
			}
			show := mustRun("incident", "show", id)
			if !strings.Contains(show, "Suggested party: group:default/payments (A2)") {
				t.Fatalf("show:\n%s", show)
			}
			code, _, errOut := run(t, env, "postmortem", "decide", id, "--party", "user:ada")
			if code != 1 || !strings.Contains(errOut, "A8") {
				t.Fatalf("an override without justification must fail naming A8: %d %s", code, errOut)
			}
			mustRun("postmortem", "decide", id, "--party", "group:payments")
			if out := mustRun("assessment", "show", id); !strings.Contains(out, "Assessment of group:default/payments for "+id) ||
				!strings.Contains(out, "Decider:   user:default/cto") || !strings.Contains(out, "Decision:  none yet") {
				t.Fatalf("assessment show:\n%s", out)
			}
			if out := mustRun("ledger", "user:lead"); !strings.Contains(out, "Ledger of user:default/lead, leading group:default/payments") {
				t.Fatalf("ledger:\n%s", out)
			}
			if out := mustRun("fairness"); !strings.Contains(out, "no decisions") {
				t.Fatalf("fairness:\n%s", out)
			}
			mustRun("postmortem", "move", id, "--to", "in_review")
			code, _, errOut = run(t, env, "postmortem", "move", id, "--to", "published")
			if code != 1 || !strings.Contains(errOut, "F1") {
				t.Fatalf("publishing without a follow-up must fail naming F1: %d %s", code, errOut)
			}
			mustRun("followup", "create", "--incident", id, "--title", "Add a breaker", "--owner", "group:payments")
			if out := mustRun("followup", "list", "--incident", id); !strings.Contains(out, "Add a breaker") {
				t.Fatalf("followup list:\n%s", out)
			}
			var review map[string]any
			if err := json.Unmarshal([]byte(mustRun("review", "week", "--format", "json")), &review); err != nil || review["incidents_total"].(float64) < 1 {
				t.Fatalf("review json: %v %v", err, review)
			}
			var slack struct{ Blocks []map[string]any }
			if err := json.Unmarshal([]byte(mustRun("review", "week", "--format", "slack")), &slack); err != nil || len(slack.Blocks) < 5 || slack.Blocks[0]["type"] != "header" {
				t.Errorf("review week --format slack: %+v, %v", slack, err)
			}
			if out := mustRun("review", "week"); !strings.HasPrefix(out, "# Incident review ") {
				t.Fatalf("review md:\n%s", out)
			}
			if out := mustRun("audit", "verify"); !strings.Contains(out, "audit chain holds") {
				t.Fatalf("verify:\n%s", out)
			}
			tamper(t, env["BLAMEFUL_DB"])
			code, out, _ = run(t, env, "audit", "verify")
			if code != 1 || !strings.Contains(out, "BROKEN at event") {
				t.Fatalf("verify after tampering: %d\n%s", code, out)
			}
			// The break is now an open I6 flag, for HR or an admin to review.
			flags := mustRun("integrity", "list", "--state", "open")
			flagID, _, _ := strings.Cut(flags, " ")
			if !strings.Contains(flags, "  I6  open") || !strings.Contains(flags, "the audit chain is broken at event 2") {
				t.Fatalf("integrity list:\n%s", flags)
			}
			if code, _, _ := run(t, env, "integrity", "review", flagID, "--confirm", "--dismiss", "--reason", "x"); code != 2 {
				t.Fatalf("confirm and dismiss at once: exit %d", code)
			}
			if out := mustRun("integrity", "review", flagID, "--dismiss", "--reason", "the test tampered on purpose"); !strings.Contains(out, "is dismissed") {
				t.Fatalf("integrity review:\n%s", out)
			}
		})
	}
}

// tamper rewrites one audit event behind the product's back.
func tamper(t *testing.T, dsn string) {
	t.Helper()
	storetest.Exec(t, dsn, `UPDATE audit_events SET actor = 'user:default/nobody' WHERE seq = 2`)
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"incident"}, {"incident", "create", "--no-such-flag"}, {"import", "nothing"}} {
		if code, _, _ := run(t, nil, args...); code != 2 {
			t.Errorf("blameful %v: exit %d, want 2", args, code)
		}
	}
	if code, out, _ := run(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "blameful ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, _, errOut := run(t, map[string]string{"BLAMEFUL_DB": "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, "incident", "create", "--title", "x", "--severity", "SEV9", "--started-at", "now")
	if code != 1 || !strings.Contains(errOut, "severity") || !strings.Contains(errOut, "started-at") {
		t.Errorf("bad input must name both fields: %d %s", code, errOut)
	}
}

// TestServeWithDemo starts the server the way the README does, waits for
// /healthz, reads the demo through the API, and stops it.
func TestServeWithDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a year of demo history; skipped with -short")
	}
	env := map[string]string{"BLAMEFUL_DB": "sqlite:" + filepath.Join(t.TempDir(), "demo.db")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--demo", "--log-format", "json"},
			func(k string) string { return env[k] }, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	rd := bufio.NewReader(pr)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", err)
	}
	base := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	if base == "" {
		t.Fatalf("no address in %q", line)
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", err, res)
	}
	res.Body.Close()
	demoLogins(t, rd, base)
	go io.Copy(io.Discard, rd) //nolint:errcheck // drain the rest

	code, token, errOut := run(t, env, "token", "create", "--role", "admin")
	if code != 0 {
		t.Fatalf("token create next to a running server: %s", errOut)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/incidents?limit=5", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	err = json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if err != nil || len(page.Items) != 5 {
		t.Fatalf("demo incidents: %v %d", err, len(page.Items))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
