package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/web"
)

const password = "correct horse battery staple"

// browser talks to a server as a browser would: it keeps the session
// cookie, follows no redirects, and sends the headers a browser sends with
// a same-origin form (Origin, Sec-Fetch-Site), which
// http.CrossOriginProtection reads.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	cookie *http.Cookie
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, base: srv.URL, client: &c}
}

// page is one answer.
type page struct {
	status int
	header http.Header
	body   string
	// set is the session cookie the answer set or cleared, if any.
	set *http.Cookie
}

func (b *browser) get(path string) page { return b.send("GET", path, nil, "same-origin") }

func (b *browser) post(path string, form url.Values) page {
	return b.send("POST", path, form, "same-origin")
}

func (b *browser) send(method, path string, form url.Values, site string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", site)
	if method == "POST" && site == "same-origin" {
		req.Header.Set("Origin", b.base)
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, header: res.Header, body: string(raw)}
	for _, c := range res.Cookies() {
		if c.Name == "blameful_session" {
			p.set = c
			b.cookie = c
			if c.MaxAge < 0 {
				b.cookie = nil
			}
		}
	}
	return p
}

// logIn posts the login form and expects to be let in.
func (b *browser) logIn(email, pw string) page {
	b.t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {pw}})
	if p.status != http.StatusSeeOther || p.set == nil {
		b.t.Fatalf("log in as %s: %d %s", email, p.status, p.body)
	}
	return p
}

func (p page) want(t *testing.T, status int, location string) page {
	t.Helper()
	if p.status != status || p.header.Get("Location") != location {
		t.Fatalf("got %d to %q, want %d to %q:\n%s", p.status, p.header.Get("Location"), status, location, p.body)
	}
	return p
}

func addAccount(t *testing.T, a *app.App, email, person, pw string, roles ...org.Role) app.PasswordLink {
	t.Helper()
	_, link, err := a.CreateAccount(context.Background(), apptest.Admin(), app.NewAccount{Email: email, Person: org.MustRef(person), Roles: roles, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// TestLoginFlow: a page sends a browser without a session to log in and
// back; logging in sets a cookie that opens the dashboard; logging out
// ends it.
func TestLoginFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)
		b := newBrowser(t, h.srv)

		b.get("/").want(t, http.StatusSeeOther, "/login?next=%2F")
		b.get("/incidents?status=open").want(t, http.StatusSeeOther, "/login?next=%2Fincidents%3Fstatus%3Dopen")
		form := b.get("/login?next=%2Fincidents%3Fstatus%3Dopen").want(t, http.StatusOK, "")
		for _, want := range []string{`name="email"`, `autocomplete="username"`, `autocomplete="current-password"`,
			`name="next" value="/incidents?status=open"`, `<label for="password">`} {
			if !strings.Contains(form.body, want) {
				t.Errorf("the login form lacks %s", want)
			}
		}

		p := b.post("/login", url.Values{"email": {"ADA@example.com"}, "password": {password}, "next": {"/incidents?status=open"}})
		p.want(t, http.StatusSeeOther, "/incidents?status=open")
		c := p.set
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || len(c.Value) < 20 {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", c)
		}
		if c.Expires.IsZero() || c.Expires.After(h.clock.Now().Add(app.SessionMax+time.Second)) {
			t.Errorf("the cookie lasts until %s; want the session's absolute end", c.Expires)
		}
		home := b.get("/").want(t, http.StatusOK, "")
		if !strings.Contains(home.body, "user:default/ada") || !strings.Contains(home.body, `action="/logout"`) {
			t.Errorf("the dashboard does not show who is logged in and how to log out")
		}
		b.get("/login").want(t, http.StatusSeeOther, "/")

		old := b.cookie
		out := b.post("/logout", url.Values{})
		out.want(t, http.StatusSeeOther, "/login")
		if out.set == nil || out.set.MaxAge >= 0 {
			t.Errorf("logging out did not clear the cookie: %+v", out.set)
		}
		b.cookie = old // a copy kept by someone does not work either
		b.get("/").want(t, http.StatusSeeOther, "/login?next=%2F")

		v, err := h.app.VerifyAudit(context.Background(), apptest.Admin())
		if err != nil || !v.OK {
			t.Fatalf("audit chain: %+v %v", v, err)
		}
	})
}

// TestLoginFailuresLookAlike: a wrong password and an unknown email get the
// same answer, which names neither.
func TestLoginFailuresLookAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)
		b := newBrowser(t, h.srv)
		wrong := b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"not the password"}})
		unknown := b.post("/login", url.Values{"email": {"zed@example.com"}, "password": {password}})
		for _, p := range []page{wrong, unknown} {
			if p.status != http.StatusUnauthorized || p.set != nil || !strings.Contains(p.body, "That email and password do not match.") {
				t.Fatalf("failed login: %d, cookie %v:\n%s", p.status, p.set, p.body)
			}
			if !strings.Contains(p.body, `aria-describedby="login-error"`) {
				t.Error("the error is not tied to the form")
			}
		}
		if strings.ReplaceAll(wrong.body, "ada@", "zed@") != unknown.body {
			t.Errorf("the two failures differ beyond the email typed:\n%s\n---\n%s", wrong.body, unknown.body)
		}
	})
}

// TestLoginRateLimit: five failures for one account, or twenty from one
// address, hold further attempts for a while, even with the right
// password; other accounts are not held by one account's failures.
func TestLoginRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)
		addAccount(t, h.app, "bob@example.com", "user:bob", password)
		b := newBrowser(t, h.srv)
		for i := 0; i < 5; i++ {
			if p := b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"guess " + strconv.Itoa(i)}}); p.status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, p.status)
			}
		}
		held := b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {password}})
		if held.status != http.StatusTooManyRequests || held.set != nil || !strings.Contains(held.body, "Too many failed attempts") {
			t.Fatalf("sixth attempt: %d, cookie %v:\n%s", held.status, held.set, held.body)
		}
		if s, err := strconv.Atoi(held.header.Get("Retry-After")); err != nil || s <= 0 || s > 15*60 {
			t.Errorf("Retry-After %q", held.header.Get("Retry-After"))
		}
		b.logIn("bob@example.com", password)
		h.clock.Advance(15 * time.Minute)
		b.logIn("ada@example.com", password)

		// The address: twenty failures over many emails hold every login
		// from it.
		for i := 0; i < 20; i++ {
			if p := b.post("/login", url.Values{"email": {"user" + strconv.Itoa(i) + "@example.com"}, "password": {"guess"}}); p.status != http.StatusUnauthorized {
				t.Fatalf("address failure %d: %d", i+1, p.status)
			}
		}
		if p := b.post("/login", url.Values{"email": {"bob@example.com"}, "password": {password}}); p.status != http.StatusTooManyRequests {
			t.Fatalf("after twenty failures from one address: %d", p.status)
		}
	})
}

// TestLoginNextStaysOnSite: next is followed only to a path of this site.
func TestLoginNextStaysOnSite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)
		for next, want := range map[string]string{
			"https://evil.example/":        "/",
			"//evil.example/x":             "/",
			"/\\evil.example":              "/",
			"javascript:alert(1)":          "/",
			"evil.example":                 "/",
			"/login":                       "/",
			"":                             "/",
			"/reviews/2026-W47#followups":  "/reviews/2026-W47#followups",
			"/people/user:default/ada?x=1": "/people/user:default/ada?x=1",
		} {
			b := newBrowser(t, h.srv)
			p := b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {password}, "next": {next}})
			if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
				t.Errorf("next %q: %d to %q, want %q", next, p.status, p.header.Get("Location"), want)
			}
		}
		b := newBrowser(t, h.srv)
		if form := b.get("/login?next=https%3A%2F%2Fevil.example%2F"); !strings.Contains(form.body, `name="next" value="/"`) {
			t.Errorf("the form carries a foreign next:\n%s", form.body)
		}
	})
}

// TestLoginCrossOrigin: a form posted from another site is refused before
// it is read.
func TestLoginCrossOrigin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)
		b := newBrowser(t, h.srv)
		form := url.Values{"email": {"ada@example.com"}, "password": {password}}
		if p := b.send("POST", "/login", form, "cross-site"); p.status != http.StatusForbidden || p.set != nil {
			t.Errorf("cross-site login: %d, cookie %v", p.status, p.set)
		}
		b.logIn("ada@example.com", password)
		if p := b.send("POST", "/logout", url.Values{}, "cross-site"); p.status != http.StatusForbidden {
			t.Errorf("cross-site logout: %d", p.status)
		}
		b.get("/").want(t, http.StatusOK, "")
	})
}

// TestSessionSecureCookie: the cookie is Secure over TLS, and when the base
// URL is https though the server sees plain HTTP (TLS ended by a proxy).
func TestSessionSecureCookie(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	a, _ := apptest.New(t, db)
	addAccount(t, a, "ada@example.com", "user:ada", password)
	for name, srv := range map[string]*httptest.Server{
		"tls":            httptest.NewTLSServer(web.New(a, slog.New(slog.DiscardHandler), "test")),
		"https base URL": httptest.NewServer(web.New(a, slog.New(slog.DiscardHandler), "test", web.WithBaseURL("https://blameful.example.com"))),
	} {
		t.Cleanup(srv.Close)
		p := newBrowser(t, srv).logIn("ada@example.com", password)
		if !p.set.Secure || !p.set.HttpOnly {
			t.Errorf("%s: cookie %+v is not Secure and HttpOnly", name, p.set)
		}
	}
}

// TestSessionEnds: idle expiry, log out everywhere, and a person leaving,
// seen from the browser.
func TestSessionEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)
		addAccount(t, h.app, "cy@example.com", "user:cy", password)
		laptop, phone, idle := newBrowser(t, h.srv), newBrowser(t, h.srv), newBrowser(t, h.srv)
		laptop.logIn("ada@example.com", password)
		phone.logIn("ada@example.com", password)
		idle.logIn("ada@example.com", password)
		h.clock.Advance(app.SessionIdle / 2)
		laptop.get("/").want(t, http.StatusOK, "")
		phone.get("/").want(t, http.StatusOK, "")
		h.clock.Advance(app.SessionIdle / 2)
		idle.get("/").want(t, http.StatusSeeOther, "/login?next=%2F")
		laptop.get("/").want(t, http.StatusOK, "")

		laptop.post("/logout", url.Values{"everywhere": {"1"}}).want(t, http.StatusSeeOther, "/login")
		phone.get("/").want(t, http.StatusSeeOther, "/login?next=%2F")

		cy := newBrowser(t, h.srv)
		cy.logIn("cy@example.com", password)
		b, err := importer.ParseOrg("left.yaml", []byte("version: 1\npeople:\n  - {id: cy, name: Cy Young, left: "+h.clock.Now().Format(time.RFC3339)+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.app.Import(context.Background(), apptest.Admin(), b); err != nil {
			t.Fatal(err)
		}
		cy.get("/").want(t, http.StatusSeeOther, "/login?next=%2F")
		if p := cy.post("/login", url.Values{"email": {"cy@example.com"}, "password": {password}}); p.status != http.StatusUnauthorized {
			t.Errorf("a person who left logged in: %d", p.status)
		}
	})
}

// TestPasswordLink: the link's page sets a password once, with the length
// rules and the confirmation checked in place.
func TestPasswordLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		link := addAccount(t, h.app, "bob@example.com", "user:bob", "")
		path := "/password/" + link.Token
		b := newBrowser(t, h.srv)
		form := b.get(path).want(t, http.StatusOK, "")
		for _, want := range []string{"bob@example.com", `autocomplete="new-password"`, `action="` + path + `"`} {
			if !strings.Contains(form.body, want) {
				t.Errorf("the password form lacks %s", want)
			}
		}
		if p := b.post(path, url.Values{"password": {"short"}, "confirm": {"short"}}); p.status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.body, "at least 12 characters") || !strings.Contains(p.body, `aria-invalid="true"`) {
			t.Errorf("a short password: %d\n%s", p.status, p.body)
		}
		if p := b.post(path, url.Values{"password": {password}, "confirm": {password + "x"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "differ") {
			t.Errorf("a mismatch: %d\n%s", p.status, p.body)
		}
		b.post(path, url.Values{"password": {password}, "confirm": {password}}).want(t, http.StatusSeeOther, "/login?password=set")
		if notice := b.get("/login?password=set"); !strings.Contains(notice.body, "Your password is set") {
			t.Error("the login page does not say the password is set")
		}
		if p := b.get(path); p.status != http.StatusNotFound || !strings.Contains(p.body, "expired or was used already") {
			t.Errorf("a used link: %d\n%s", p.status, p.body)
		}
		if p := b.post(path, url.Values{"password": {"another long password"}, "confirm": {"another long password"}}); p.status != http.StatusNotFound {
			t.Errorf("a used link set a password: %d", p.status)
		}
		b.logIn("bob@example.com", password)

		late, err := h.app.ResetPassword(context.Background(), apptest.Admin(), "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(app.PasswordLinkTTL)
		if p := b.get("/password/" + late.Token); p.status != http.StatusNotFound {
			t.Errorf("an expired link: %d", p.status)
		}
		if p := b.get("/password/nonsense"); p.status != http.StatusNotFound {
			t.Errorf("a made-up link: %d", p.status)
		}
		v, err := h.app.VerifyAudit(context.Background(), apptest.Admin())
		if err != nil || !v.OK {
			t.Fatalf("audit chain: %+v %v", v, err)
		}
	})
}
