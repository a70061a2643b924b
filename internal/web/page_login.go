package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// Logging in, out, and setting a password from a one-time link. These
// pages need no session. A failed login answers the form again with 401
// and one message whichever part was wrong; too many failures answer 429
// with Retry-After.

// maxLoginFormBytes bounds the login and password forms: a password is at
// most app.MaxPasswordLength characters.
const maxLoginFormBytes = 16 << 10

// publicPage runs an HTML handler that needs no session; an error becomes
// an error page, as for page.
func (s *Server) publicPage(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := h(w, r); err != nil {
			s.pageError(w, r, org.Actor{}, err)
		}
	})
}

// loginPage is the data of the login form.
type loginPage struct {
	Email string
	// Next is where to go once logged in: a path on this site.
	Next   string
	Error  string
	Notice string
	// Provider names the OpenID provider to log in through, if any; SSO
	// is the link that begins that login.
	Provider string
	SSO      string
}

// loginData completes the login form's data with the server's provider.
func (s *Server) loginData(d loginPage) loginPage {
	if s.oidc != nil {
		d.Provider = s.oidc.Name()
		d.SSO = "/auth/oidc/login?next=" + url.QueryEscape(d.Next)
	}
	return d
}

// pageLogin shows the login form, or sends a browser already logged in on
// to where it was going.
func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := s.sessionActor(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	data := loginPage{Next: next}
	if r.URL.Query().Get("password") == "set" {
		data.Notice = "Your password is set. Log in with it."
	}
	return s.render(w, http.StatusOK, "login", view{Title: "Log in", Data: s.loginData(data)})
}

// postLogin checks the form's email and password and, if they match an
// account that may log in, starts a session and answers 303 to next.
func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) error {
	if err := parseSmallForm(w, r); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	data := loginPage{Email: email, Next: safeNext(r.PostFormValue("next"))}
	keys := loginKeys(email, r)
	if wait := s.logins.wait(s.app.Now(), keys); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		data.Error = fmt.Sprintf("Too many failed attempts. Try again in %s.", minutes(secs))
		s.log.Warn("login limited", append(logAttrs(r), "retry_after_s", secs)...)
		return s.render(w, http.StatusTooManyRequests, "login", view{Title: "Log in", Data: s.loginData(data)})
	}
	sess, err := s.app.LogIn(r.Context(), email, r.PostFormValue("password"))
	if errors.Is(err, errs.Unauthenticated) {
		s.logins.fail(s.app.Now(), keys)
		s.log.Info("login refused", logAttrs(r)...)
		e, _ := errs.As(err) // Unauthenticated is always an *errs.Error
		data.Error = e.Message
		return s.render(w, http.StatusUnauthorized, "login", view{Title: "Log in", Data: s.loginData(data)})
	}
	if err != nil {
		return err
	}
	s.logins.clear(keys[0])
	s.setSession(w, r, sess.Token, sess.ExpiresAt)
	s.log.Info("logged in", append(logAttrs(r), "actor_id", string(sess.Actor.Ref))...)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
	return nil
}

// minutes says a wait in words: "1 minute", "12 minutes".
func minutes(secs int) string {
	m := (secs + 59) / 60
	if m == 1 {
		return "1 minute"
	}
	return strconv.Itoa(m) + " minutes"
}

// postLogout ends the browser's session, or with everywhere=1 every
// session of its account, and forgets the cookie.
func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) error {
	if err := parseSmallForm(w, r); err != nil {
		return err
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.app.LogOut(r.Context(), c.Value, r.PostFormValue("everywhere") == "1"); err != nil {
			return err
		}
	}
	s.clearSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// parseSmallForm reads a login-sized form.
func parseSmallForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginFormBytes)
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	return nil
}

// safeNext returns next when it is a path on this site, else "/": a login
// must never send a browser to another site (an open redirect).
func safeNext(next string) string {
	const home = "/"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") || len(next) > 2048 {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return home
	}
	if p := u.Path; p == "/login" || p == "/logout" || strings.HasPrefix(p, "/password/") {
		return home
	}
	return next
}

// passwordPage is the data of the form a password link opens.
type passwordPage struct {
	Email string
	// Action is the form's URL: the link itself.
	Action string
	Min    int
	Max    int
	Error  *errs.Error
}

// pagePassword shows the form to set a password, while the link works.
func (s *Server) pagePassword(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	email, err := s.app.PasswordLinkEmail(r.Context(), token)
	if err != nil {
		return err
	}
	return s.showPassword(w, http.StatusOK, email, token, nil)
}

func (s *Server) showPassword(w http.ResponseWriter, status int, email, token string, ferr *errs.Error) error {
	data := passwordPage{Email: email, Action: "/password/" + url.PathEscape(token), Min: app.MinPasswordLength, Max: app.MaxPasswordLength, Error: ferr}
	return s.render(w, status, "password", view{Title: "Set your password", Data: data})
}

// postPassword sets the password once, then sends the browser to log in.
func (s *Server) postPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseSmallForm(w, r); err != nil {
		return err
	}
	token := r.PathValue("token")
	email, err := s.app.PasswordLinkEmail(r.Context(), token)
	if err != nil {
		return err
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		return s.showPassword(w, http.StatusUnprocessableEntity, email, token, errs.Field("confirm", "The two passwords differ; type the same one twice."))
	}
	err = s.app.SetPassword(r.Context(), token, pw)
	if e, ok := errs.As(err); ok && e.Kind == errs.Invalid {
		return s.showPassword(w, statusOf(e), email, token, e)
	}
	if err != nil {
		return err
	}
	s.log.Info("password set", logAttrs(r)...)
	http.Redirect(w, r, "/login?password=set", http.StatusSeeOther)
	return nil
}
