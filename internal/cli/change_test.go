package cli_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/web"
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

// TestChangeRecordThroughServer: a deploy script without the database
// records a change through a running server's API with a token, and the
// server's refusals come back as the command's, rule and all.
func TestChangeRecordThroughServer(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, engine)
			a := app.New(db)
			b, err := importer.ParseOrg("org.yaml", []byte(orgFile))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Import(ctx, org.System("test"), b); err != nil {
				t.Fatal(err)
			}
			_, token, err := a.CreateToken(ctx, org.System("test"), app.NewToken{Name: "deploys", Roles: []org.Role{org.RoleMember}})
			if err != nil {
				t.Fatal(err)
			}
			srv := web.New(a, slog.New(slog.DiscardHandler), "test")
			srv.MarkReady()
			hs := httptest.NewServer(srv)
			defer hs.Close()

			env := map[string]string{"BLAMEFUL_SERVER": hs.URL, "BLAMEFUL_TOKEN": token}
			code, out, errOut := run(t, env, "change", "record", "--entity", "checkout", "--actor", "ada", "--ref", "v9", "--source", "ci")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			changes, err := a.Changes(ctx, org.System("test"), app.ChangeFilter{})
			if err != nil || len(changes) != 1 || changes[0].ID != strings.TrimSpace(out) || changes[0].Ref != "v9" || changes[0].Source != "ci" {
				t.Fatalf("recorded: %+v %v; printed %q", changes, err, out)
			}
			code, _, errOut = run(t, env, "change", "record", "--entity", "checkout", "--actor", "ada", "--ref", "v10", "--exception-approved-by", "ada")
			if code == 0 || !strings.Contains(errOut, "A6") {
				t.Errorf("a self-approved exception through the server: exit %d, %s", code, errOut)
			}
			delete(env, "BLAMEFUL_TOKEN")
			if code, _, errOut := run(t, env, "change", "record", "--entity", "checkout", "--actor", "ada", "--ref", "v11"); code == 0 || !strings.Contains(errOut, "BLAMEFUL_TOKEN") {
				t.Errorf("no token: exit %d, %s", code, errOut)
			}
			env["BLAMEFUL_TOKEN"] = "not-a-token"
			if code, _, errOut := run(t, env, "change", "record", "--entity", "checkout", "--actor", "ada", "--ref", "v12"); code == 0 || !strings.Contains(errOut, "401") {
				t.Errorf("a bad token: exit %d, %s", code, errOut)
			}
			if changes, _ := a.Changes(ctx, org.System("test"), app.ChangeFilter{}); len(changes) != 1 {
				t.Errorf("%d changes after the refusals, want 1", len(changes))
			}
		})
	}
}
