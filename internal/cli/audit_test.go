package cli_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/cli"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestAuditCheckpointCommands makes a key, signs checkpoints with it from a
// file and from the environment, verifies against them, and then catches a
// truncation that the chain alone does not show.
func TestAuditCheckpointCommands(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			env := map[string]string{"BLAMEFUL_DB": storetest.DSN(t, engine)}
			dir := t.TempDir()
			path := func(name string) string { return filepath.Join(dir, name) }
			mustRun := func(args ...string) string {
				t.Helper()
				code, out, errOut := run(t, env, args...)
				if code != 0 {
					t.Fatalf("blameful %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
				}
				return out
			}
			fails := func(code int, want string, args ...string) {
				t.Helper()
				got, out, errOut := run(t, env, args...)
				if got != code || !strings.Contains(out+errOut, want) {
					t.Fatalf("blameful %s: exit %d, want %d saying %q\n%s%s", strings.Join(args, " "), got, code, want, out, errOut)
				}
			}
			if err := os.WriteFile(path("org.yaml"), []byte(orgFile), 0o600); err != nil {
				t.Fatal(err)
			}
			mustRun("import", "org", path("org.yaml"))

			pub := mustRun("audit", "keygen", "--out", path("key.pem"))
			if !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----") {
				t.Fatalf("keygen printed %q", pub)
			}
			if st, err := os.Stat(path("key.pem")); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v %v", st, err)
			}
			fails(1, "already exists", "audit", "keygen", "--out", path("key.pem"))
			if err := os.WriteFile(path("key.pub"), []byte(pub), 0o644); err != nil {
				t.Fatal(err)
			}

			mustRun("audit", "checkpoint", "--key", path("key.pem"), "--out", path("checkpoints.jsonl"))
			for range 3 {
				mustRun("incident", "create", "--title", "Checkout down", "--severity", "SEV2",
					"--started-at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "--entity", "component:checkout*")
			}
			env["BLAMEFUL_CHECKPOINT_KEY"] = seedOf(t, path("key.pem"))
			line := mustRun("audit", "checkpoint")
			delete(env, "BLAMEFUL_CHECKPOINT_KEY")
			appendTo(t, path("checkpoints.jsonl"), line)
			last := lastCheckpoint(t, path("checkpoints.jsonl"))

			verify := []string{"audit", "verify", "--checkpoint", path("checkpoints.jsonl"), "--public-key", path("key.pub")}
			if out := mustRun(verify...); !strings.Contains(out, "audit chain holds") || !strings.Contains(out, "matches all 2 signed checkpoints") {
				t.Fatalf("verify:\n%s", out)
			}
			fails(1, "--public-key", "audit", "verify", "--checkpoint", path("checkpoints.jsonl"))
			mustRun("audit", "keygen", "--out", path("other.pem"))
			fails(1, "checkpoints.jsonl", "audit", "verify", "--checkpoint", path("checkpoints.jsonl"), "--public-key", path("other.pem"))
			fails(2, "Usage", "audit", "sign")

			// Cut the last two events and rewind the head to match.
			dsn := env["BLAMEFUL_DB"]
			storetest.Exec(t, dsn, fmt.Sprintf(`DELETE FROM audit_events WHERE seq > %d`, last.Seq-2))
			storetest.Exec(t, dsn, `UPDATE audit_head SET seq = (SELECT MAX(seq) FROM audit_events),
				hash = (SELECT hash FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events))`)
			// The chain alone looks whole, but the rows those events wrote
			// outlive them. Verify raises an I6 flag, itself an event.
			fails(1, "last recorded by event", "audit", "verify")
			fails(1, fmt.Sprintf("BROKEN at event %d: the chain has %d events but a signed checkpoint", last.Seq, last.Seq-1), verify...)
		})
	}
}

func seedOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := audit.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(key.Seed())
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func lastCheckpoint(t *testing.T, path string) audit.SignedCheckpoint {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := audit.ParseCheckpoints(b)
	if err != nil {
		t.Fatal(err)
	}
	return cps[len(cps)-1]
}

// TestServeSignsCheckpoints starts serve with a key: its first checkpoint
// arrives as a JSON log line, which then verifies the chain from outside.
func TestServeSignsCheckpoints(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"BLAMEFUL_DB": storetest.DSN(t, store.SQLite)}
	orgPath := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(orgPath, []byte(orgFile), 0o600); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "key.pem")
	for _, args := range [][]string{{"import", "org", orgPath}, {"audit", "keygen", "--out", keyPath}} {
		if code, out, errOut := run(t, env, args...); code != 0 {
			t.Fatalf("%v: %s%s", args, out, errOut)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--checkpoint-key", keyPath},
			func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var found json.RawMessage
	for found == nil && lines.Scan() {
		var rec struct {
			Msg        string          `json:"msg"`
			Checkpoint json.RawMessage `json:"checkpoint"`
		}
		if err := json.Unmarshal(lines.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", lines.Text(), err)
		}
		if rec.Msg == "audit checkpoint" {
			found = rec.Checkpoint
		}
	}
	if found == nil {
		t.Fatalf("serve logged no checkpoint: %v", lines.Err())
	}
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain the rest
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	cpPath := filepath.Join(dir, "from-log.json")
	if err := os.WriteFile(cpPath, found, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, env, "audit", "verify", "--checkpoint", cpPath, "--public-key", keyPath)
	if code != 0 || !strings.Contains(out, "matches all 1 signed checkpoints") {
		t.Fatalf("verify against serve's log: %d\n%s%s", code, out, errOut)
	}
}
