package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/policy"
	"blameful.dev/blameful/internal/store/storetest"
)

func TestPolicyCommands(t *testing.T) {
	code, out, _ := run(t, nil, "policy", "show")
	if code != 0 || out != string(policy.DefaultYAML) {
		t.Fatalf("policy show: exit %d, printed something other than the built-in policy", code)
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("version: 1\nfairness: {min_decisions: 3}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("version: 1\nfairness: {min_decision: 3}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, nil, "policy", "check", good); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("a good file: exit %d %s%s", code, out, errOut)
	}
	if code, _, errOut := run(t, map[string]string{"BLAMEFUL_POLICY": bad}, "policy", "check"); code != 1 || !strings.Contains(errOut, `bad.yaml: line 2: unknown key "min_decision"`) {
		t.Fatalf("a bad file from the environment: exit %d %s", code, errOut)
	}
	// A server with a broken policy never starts, and says why.
	env := map[string]string{"BLAMEFUL_DB": "sqlite:" + filepath.Join(dir, "b.db")}
	if code, _, errOut := run(t, env, "serve", "--addr", "127.0.0.1:0", "--policy", bad); code != 1 || !strings.Contains(errOut, "unknown key") {
		t.Fatalf("serve with a bad policy: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, env, "serve", "--policy", filepath.Join(dir, "missing.yaml")); code != 1 || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("serve with a missing policy: exit %d %s", code, errOut)
	}
}

func TestPersonExportAndErasure(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dir := t.TempDir()
			orgPath := filepath.Join(dir, "org.yaml")
			if err := os.WriteFile(orgPath, []byte(strings.Replace(orgFile, "{id: ada}", "{id: ada, name: Ada Lovelace, email: ada@example.com}", 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"BLAMEFUL_DB": storetest.DSN(t, engine)}
			if code, out, errOut := run(t, env, "import", "org", orgPath); code != 0 {
				t.Fatalf("import: %d %s%s", code, out, errOut)
			}
			export := func() map[string][]map[string]any {
				t.Helper()
				code, out, errOut := run(t, env, "person", "export", "user:ada")
				var got struct {
					Person string                      `json:"person"`
					Rows   map[string][]map[string]any `json:"rows"`
				}
				if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Person != "user:default/ada" {
					t.Fatalf("person export: exit %d %s%s", code, out, errOut)
				}
				return got.Rows
			}
			if p := export()["people"]; len(p) != 1 || p[0]["email"] != "ada@example.com" {
				t.Fatalf("before erasure: %v", p)
			}
			if code, _, errOut := run(t, env, "person", "erase", "user:ada"); code != 1 || !strings.Contains(errOut, "reason") {
				t.Fatalf("erase without a reason: exit %d %s", code, errOut)
			}
			if code, out, errOut := run(t, env, "person", "erase", "user:ada", "--reason", "request 114"); code != 0 {
				t.Fatalf("erase: %d %s%s", code, out, errOut)
			}
			if p := export()["people"]; len(p) != 1 || p[0]["email"] != "" || p[0]["name"] != "" {
				t.Fatalf("after erasure: %v", p)
			}
			// Importing the same file again does not bring the fields back,
			// and the chain still verifies.
			if code, out, errOut := run(t, env, "import", "org", orgPath); code != 0 {
				t.Fatalf("re-import: %d %s%s", code, out, errOut)
			}
			if p := export()["people"]; p[0]["email"] != "" {
				t.Fatalf("re-import restored erased fields: %v", p)
			}
			if code, out, errOut := run(t, env, "audit", "verify"); code != 0 || !strings.Contains(out, "holds") {
				t.Fatalf("audit verify after erasure: %d %s%s", code, out, errOut)
			}
		})
	}
}
