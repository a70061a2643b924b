package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/web"
)

// These tests log in through a real OpenID provider over real HTTP: the
// example server of github.com/zitadel/oidc, an OpenID Certified library,
// built once into the user's cache and started per test with its users
// from a file. They are skipped with -short.

// providerModule is the provider the tests build.
const providerModule = "github.com/zitadel/oidc/v3/example/server@v3.52.0"

// providerUser is one user of the provider's USERS_FILE.
type providerUser struct {
	ID, Username, Password, FirstName, LastName, Email string
	EmailVerified                                      bool
	PreferredLanguage                                  string
}

var testProviderUsers = []providerUser{
	// ada is in the org with this email, and has no account.
	{ID: "sub-ada", Username: "ada", Email: "ada@example.com", EmailVerified: true},
	// bob has an account with this email; the org has no email for him.
	{ID: "sub-bob", Username: "bob", Email: "bob@example.com", EmailVerified: true},
	// mallory claims ada's email, which the provider has not verified.
	{ID: "sub-mallory", Username: "mallory", Email: "ada@example.com", EmailVerified: false},
	// zed's verified email is nobody's in the org.
	{ID: "sub-zed", Username: "zed", Email: "zed@example.com", EmailVerified: true},
}

var (
	buildProvider sync.Once
	providerBin   string
	providerErr   error
)

// providerBinary builds the provider once per test run, into the user's
// cache so that later runs find it; the Go build cache makes that quick.
func providerBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs an OpenID provider; skipped with -short")
	}
	buildProvider.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "blameful-test", "zitadel-oidc-v3.52.0")
		cmd := exec.Command("go", "install", providerModule)
		cmd.Dir = os.TempDir() // outside this module
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			providerErr = errors.New("go install " + providerModule + ": " + err.Error() + "\n" + string(out))
			return
		}
		providerBin = filepath.Join(dir, "server")
	})
	if providerErr != nil {
		t.Fatal(providerErr)
	}
	return providerBin
}

// startProvider runs the provider for a client redirecting to redirect and
// returns its issuer URL; it is stopped when the test ends.
func startProvider(t *testing.T, redirect string) string {
	t.Helper()
	bin := providerBinary(t)
	users := map[string]providerUser{}
	for _, u := range testProviderUsers {
		u.Password, u.FirstName, u.LastName, u.PreferredLanguage = "pw-"+u.Username, u.Username, "Test", "en"
		users[u.ID] = u
	}
	b, _ := json.Marshal(users)
	file := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "REDIRECT_URI="+redirect, "USERS_FILE="+file)
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	issuer := "http://localhost:" + port + "/"
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(issuer + ".well-known/openid-configuration")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return issuer
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the provider did not start on port %s: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// oidcSite is a blameful server that logs in through a real provider.
type oidcSite struct {
	app    *app.App
	clock  *apptest.Clock
	base   string
	issuer string
}

func newOIDCSite(t *testing.T, db *store.DB, providerUp bool) *oidcSite {
	t.Helper()
	a, clock := apptest.New(t, db)
	// Session cookies carry the app's clock as their expiry: a real
	// browser (and a cookie jar) drops a cookie that ended already.
	clock.Set(time.Now().UTC())
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	issuer := "http://localhost:" + freePort(t) + "/" // nothing listens
	if providerUp {
		issuer = startProvider(t, base+"/auth/oidc/callback")
	}
	s := web.New(a, slog.New(slog.DiscardHandler), "test", web.WithBaseURL(base),
		web.WithOIDC(web.OIDCConfig{Issuer: issuer, ClientID: "web", ClientSecret: "secret"}))
	s.MarkReady()
	srv.Config.Handler = s
	srv.Start()
	t.Cleanup(srv.Close)
	return &oidcSite{app: a, clock: clock, base: base, issuer: issuer}
}

// ssoBrowser follows redirects between blameful and the provider, keeping
// each site's cookies, as a browser does.
type ssoBrowser struct {
	t      *testing.T
	client *http.Client
}

func newSSOBrowser(t *testing.T) *ssoBrowser {
	jar, _ := cookiejar.New(nil)
	return &ssoBrowser{t: t, client: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

// visit gets a URL, following redirects, and returns where it ended.
func (b *ssoBrowser) visit(u string) (*url.URL, int, string) {
	b.t.Helper()
	res, err := b.client.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return ended(b.t, res)
}

func ended(t *testing.T, res *http.Response) (*url.URL, int, string) {
	t.Helper()
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.Request.URL, res.StatusCode, string(body)
}

// logInAs starts single sign-on at blameful for next, logs in to the
// provider as user, and returns where the browser ended and what it got.
func (b *ssoBrowser) logInAs(site *oidcSite, user, next string) (*url.URL, int, string) {
	b.t.Helper()
	at, status, body := b.visit(site.base + "/auth/oidc/login?next=" + url.QueryEscape(next))
	if status != http.StatusOK || !strings.HasSuffix(at.Path, "/login/username") {
		b.t.Fatalf("single sign-on did not reach the provider's login form: %d at %s\n%s", status, at, body)
	}
	res, err := b.client.PostForm(at.Scheme+"://"+at.Host+"/login/username", url.Values{
		"id": {at.Query().Get("authRequestID")}, "username": {user}, "password": {"pw-" + user}})
	if err != nil {
		b.t.Fatal(err)
	}
	return ended(b.t, res)
}

// loggedIn reports whether the browser has a blameful session cookie.
func (b *ssoBrowser) loggedIn(site *oidcSite) bool {
	u, _ := url.Parse(site.base)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "blameful_session" && c.Value != "" {
			return true
		}
	}
	return false
}

// TestOIDCLogin: a verified email logs in its person, making their account
// on the first login or linking the account that has it; later logins go
// by the subject alone. An unverified email logs nobody in, until an
// administrator links that subject; a verified email nobody in the org has
// logs nobody in either.
func TestOIDCLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		site := newOIDCSite(t, db, true)
		ctx := context.Background()
		addAccount(t, site.app, "bob@example.com", "user:bob", password)

		page := func(b *ssoBrowser, path string) (int, string) {
			_, status, body := b.visit(site.base + path)
			return status, body
		}

		// ada has no account: her verified email makes one, as member.
		ada := newSSOBrowser(t)
		at, status, body := ada.logInAs(site, "ada", "/incidents?status=open")
		if status != http.StatusOK || at.Path != "/incidents" || at.RawQuery != "status=open" || !ada.loggedIn(site) {
			t.Fatalf("ada ended at %d %s, logged in %v:\n%s", status, at, ada.loggedIn(site), body)
		}
		if status, body := page(ada, "/"); status != http.StatusOK || !strings.Contains(body, "user:default/ada") {
			t.Fatalf("ada's dashboard: %d", status)
		}
		if _, _, err := site.app.CreateAccount(ctx, apptest.Admin(), app.NewAccount{Email: "ada@example.com", Person: org.MustRef("user:ada")}); err == nil {
			t.Error("no account was made for ada")
		}

		// bob's account has his email: the login links to it.
		bob := newSSOBrowser(t)
		if at, status, _ := bob.logInAs(site, "bob", "/"); status != http.StatusOK || at.Path != "/" || !bob.loggedIn(site) {
			t.Fatalf("bob ended at %d %s", status, at)
		}

		// mallory's email is ada's but unverified: refused, nothing made.
		mallory := newSSOBrowser(t)
		at, status, body = mallory.logInAs(site, "mallory", "/")
		if status != http.StatusUnauthorized || at.Path != "/auth/oidc/callback" || mallory.loggedIn(site) ||
			!strings.Contains(body, "has not verified your email address") || !strings.Contains(body, `name="password"`) {
			t.Fatalf("mallory got %d at %s, logged in %v:\n%s", status, at, mallory.loggedIn(site), body)
		}

		// zed's verified email is nobody's.
		zed := newSSOBrowser(t)
		if _, status, body := zed.logInAs(site, "zed", "/"); status != http.StatusUnauthorized || zed.loggedIn(site) ||
			!strings.Contains(body, "No one in the organisation has the email address") {
			t.Fatalf("zed got %d:\n%s", status, body)
		}

		// An administrator links mallory's subject to bob's account: the
		// explicit mapping works whatever the email.
		if err := site.app.LinkIdentity(ctx, apptest.Admin(), "bob@example.com", site.issuer, "sub-mallory"); err != nil {
			t.Fatal(err)
		}
		if err := site.app.LinkIdentity(ctx, apptest.Admin(), "bob@example.com", site.issuer, "sub-mallory"); err == nil {
			t.Error("a subject was linked twice")
		}
		if err := site.app.LinkIdentity(ctx, apptest.Person("bob"), "bob@example.com", site.issuer, "sub-zed"); err == nil {
			t.Error("a member linked an identity")
		}
		mallory = newSSOBrowser(t)
		if _, status, _ := mallory.logInAs(site, "mallory", "/"); status != http.StatusOK || !mallory.loggedIn(site) {
			t.Fatalf("the linked subject did not log in: %d", status)
		}
		if status, body := page(mallory, "/"); status != http.StatusOK || !strings.Contains(body, "user:default/bob") {
			t.Fatalf("the linked subject is not bob: %d", status)
		}

		// Disabling bob's account stops both of his logins, sessions and all.
		if err := site.app.SetAccountDisabled(ctx, apptest.Admin(), "bob@example.com", true); err != nil {
			t.Fatal(err)
		}
		if _, status, _ := bob.visit(site.base + "/"); status != http.StatusOK || !strings.Contains(mustGetPath(t, bob, site, "/"), "Log in") {
			t.Fatalf("bob's session outlived his account")
		}
		bob = newSSOBrowser(t)
		if _, status, body := bob.logInAs(site, "bob", "/"); status != http.StatusUnauthorized || !strings.Contains(body, "cannot log in") {
			t.Fatalf("a disabled account logged in through the provider: %d\n%s", status, body)
		}

		// Unlinking ends what the provider's logins can reach.
		n, err := site.app.UnlinkIdentities(ctx, apptest.Admin(), "bob@example.com", site.issuer)
		if err != nil || n != 2 {
			t.Fatalf("unlink: %d %v; want bob's two subjects", n, err)
		}

		v, err := site.app.VerifyAudit(ctx, apptest.Admin())
		if err != nil || !v.OK {
			t.Fatalf("audit chain: %+v %v", v, err)
		}
	})
}

// mustGetPath returns the body of a page, following redirects.
func mustGetPath(t *testing.T, b *ssoBrowser, site *oidcSite, path string) string {
	t.Helper()
	_, _, body := b.visit(site.base + path)
	return body
}

// TestOIDCCallbackChecks: the provider's answer counts only in the browser
// that began the login, only once, and only with the state it was given;
// a provider that cannot be reached leaves the password login working.
func TestOIDCCallbackChecks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		site := newOIDCSite(t, db, true)

		// A callback with no login begun, or another state, is refused.
		b := newSSOBrowser(t)
		_, status, body := b.visit(site.base + "/auth/oidc/callback?code=x&state=y")
		if status != http.StatusBadRequest || !strings.Contains(body, "expired or was begun in another browser") {
			t.Fatalf("a callback out of the blue: %d\n%s", status, body)
		}

		// Stop before the callback, to replay it and to tamper with it.
		ada := newSSOBrowser(t)
		var callback *url.URL
		ada.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if req.URL.Path == "/auth/oidc/callback" {
				callback = req.URL
				return http.ErrUseLastResponse
			}
			return nil
		}
		ada.logInAs(site, "ada", "/")
		if callback == nil {
			t.Fatal("the provider did not send the browser back")
		}
		ada.client.CheckRedirect = nil

		// The same answer in another browser (no login cookie): refused.
		thief := newSSOBrowser(t)
		if _, status, _ := thief.visit(callback.String()); status != http.StatusBadRequest || thief.loggedIn(site) {
			t.Fatalf("a stolen callback URL logged in another browser: %d", status)
		}
		// A state changed on the way: refused, and the login is over.
		bad := *callback
		q := bad.Query()
		q.Set("state", q.Get("state")+"x")
		bad.RawQuery = q.Encode()
		if _, status, _ := ada.visit(bad.String()); status != http.StatusBadRequest || ada.loggedIn(site) {
			t.Fatalf("a changed state: %d", status)
		}
		if _, status, _ := ada.visit(callback.String()); status != http.StatusBadRequest || ada.loggedIn(site) {
			t.Fatalf("the callback worked after its login was refused: %d", status)
		}

		// A new login, answered once; its replay is refused.
		callback = nil
		ada.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if req.URL.Path == "/auth/oidc/callback" && callback == nil {
				callback = req.URL
			}
			return nil
		}
		if _, status, _ := ada.logInAs(site, "ada", "/"); status != http.StatusOK || !ada.loggedIn(site) {
			t.Fatalf("ada could not log in: %d", status)
		}
		if _, status, _ := ada.visit(callback.String()); status != http.StatusBadRequest {
			t.Fatalf("a replayed callback: %d", status)
		}
	})
}

func TestOIDCProviderDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		site := newOIDCSite(t, db, false)
		addAccount(t, site.app, "ada@example.com", "user:ada", password)
		b := newSSOBrowser(t)
		_, status, body := b.visit(site.base + "/login")
		if status != http.StatusOK || !strings.Contains(body, `href="/auth/oidc/login?next=%2F"`) {
			t.Fatalf("the login page offers no single sign-on: %d\n%s", status, body)
		}
		_, status, body = b.visit(site.base + "/auth/oidc/login")
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached") || !strings.Contains(body, `name="password"`) {
			t.Fatalf("with the provider down: %d\n%s", status, body)
		}
		res, err := b.client.PostForm(site.base+"/login", url.Values{"email": {"ada@example.com"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		if at, status, _ := ended(t, res); status != http.StatusOK || at.Path != "/" || !b.loggedIn(site) {
			t.Fatalf("the password login failed with the provider down: %d at %s", status, at)
		}
	})
}
