package cli_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestUserAdd: an account gets its password from a file, or a link to set
// it under the base URL; reset prints a new link; disable stops logins.
func TestUserAdd(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			env := map[string]string{"BLAMEFUL_DB": dsn}
			dir := t.TempDir()
			orgPath := filepath.Join(dir, "org.yaml")
			pwPath := filepath.Join(dir, "pw")
			if err := os.WriteFile(orgPath, []byte(orgFile), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pwPath, []byte("a long enough password\nsecond line ignored\n"), 0o600); err != nil {
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

			if out := mustRun("user", "add", "Ada@Example.com", "--person", "ada", "--password-file", pwPath); !strings.Contains(out, "the password is set") {
				t.Errorf("user add with a password file printed %q", out)
			}
			out := mustRun("user", "add", "lead@example.com", "--person", "user:lead", "--role", "admin")
			if !regexp.MustCompile(`^http://127\.0\.0\.1:8080/password/[A-Z2-7]{26}\n$`).MatchString(out) {
				t.Errorf("user add without a password printed %q; want the link alone", out)
			}
			env["BLAMEFUL_BASE_URL"] = "https://blameful.example.com/"
			link := strings.TrimSpace(mustRun("user", "reset", "lead@example.com"))
			if !strings.HasPrefix(link, "https://blameful.example.com/password/") {
				t.Errorf("reset printed %q; want a link under the base URL", link)
			}
			if out := mustRun("user", "reset", "lead@example.com", "--base-url", "http://other.example:9000"); !strings.HasPrefix(out, "http://other.example:9000/password/") {
				t.Errorf("--base-url: %q", out)
			}

			for _, bad := range []struct {
				args []string
				want string
			}{
				{[]string{"user", "add", "x@example.com"}, "--person is required"},
				{[]string{"user", "add", "ada@example.com", "--person", "cto"}, "already an account"},
				{[]string{"user", "add", "x@example.com", "--person", "nobody"}, "not a person of the org"},
				{[]string{"user", "add", "x@example.com", "--person", "cto", "--role", "leader"}, "cannot be granted"},
				{[]string{"user", "reset", "nobody@example.com"}, "no account"},
				{[]string{"user", "reset", "ada@example.com", "--base-url", "ftp://x"}, "base-url"},
			} {
				if code, _, errOut := run(t, env, bad.args...); code != 1 || !strings.Contains(errOut, bad.want) {
					t.Errorf("blameful %s: exit %d, %q; want 1 and %q", strings.Join(bad.args, " "), code, errOut, bad.want)
				}
			}
			short := filepath.Join(dir, "short")
			if err := os.WriteFile(short, []byte("short\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := run(t, env, "user", "add", "cto@example.com", "--person", "cto", "--password-file", short); code != 1 || !strings.Contains(errOut, "at least 12") {
				t.Errorf("a short password file: %d %q", code, errOut)
			}

			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			a := app.New(db)
			if _, err := a.LogIn(context.Background(), "ada@example.com", "a long enough password"); err != nil {
				t.Fatalf("log in with the password from the file: %v", err)
			}
			mustRun("user", "disable", "ada@example.com")
			if _, err := a.LogIn(context.Background(), "ada@example.com", "a long enough password"); err == nil {
				t.Fatal("a disabled account logged in")
			}
			mustRun("user", "enable", "ada@example.com")
			if _, err := a.LogIn(context.Background(), "ada@example.com", "a long enough password"); err != nil {
				t.Fatalf("an enabled account: %v", err)
			}
			if out := mustRun("audit", "verify"); !strings.Contains(out, "audit chain holds: 7 events") {
				t.Errorf("audit verify: %s", out)
			}
		})
	}
}

// demoLogins reads the demo's login lines that serve prints after its
// first, and logs in with each through the login form.
func demoLogins(t *testing.T, rd *bufio.Reader, base string) {
	t.Helper()
	re := regexp.MustCompile(`^Log in at (http://\S+)/login as (an? [a-z]+): (\S+@\S+) with password (\S+)$`)
	roles := map[string]bool{}
	for range 3 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("the demo logins: %v", err)
		}
		m := re.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || m[1] != base {
			t.Fatalf("not a demo login under %s: %q", base, line)
		}
		roles[m[2]] = true
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"email": {m[3]}, "password": {m[4]}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
			t.Fatalf("log in as %s: %d", m[3], res.StatusCode)
		}
		req, _ = http.NewRequest("GET", base+"/", nil)
		req.AddCookie(res.Cookies()[0])
		if res, err = client.Do(req); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("the dashboard as %s: %v %v", m[3], err, res)
		}
		res.Body.Close()
	}
	for _, want := range []string{"an engineer", "a leader", "an admin"} {
		if !roles[want] {
			t.Errorf("no demo login for %s", want)
		}
	}
}
