package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// A browser is logged in by a session cookie holding a random token; the
// app keeps only its hash and decides, on every request, whether the
// session still stands (app.SessionActor). The cookie is HttpOnly, sent
// only to this site's pages with SameSite=Lax (http.CrossOriginProtection
// guards the forms besides), and Secure when the request came over TLS or
// the base URL is https (TLS ended by a proxy in front).

// sessionCookie names the session cookie.
const sessionCookie = "blameful_session"

// Option adjusts a Server at construction.
type Option func(*Server)

// WithBaseURL tells the server the URL people reach it at (serve
// --base-url). With https, session cookies are Secure even when a proxy in
// front ends TLS and the server itself sees plain HTTP.
func WithBaseURL(base string) Option {
	return func(s *Server) {
		s.baseURL = base
		u, err := url.Parse(base)
		s.secureCookies = err == nil && strings.EqualFold(u.Scheme, "https")
	}
}

// sessionActor returns the actor of the request's session cookie; without
// a cookie, or with one that no longer stands, it is Unauthenticated.
func (s *Server) sessionActor(r *http.Request) (org.Actor, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return org.Actor{}, errs.E(errs.Unauthenticated, "log in to see this page")
	}
	return s.app.SessionActor(r.Context(), c.Value)
}

// setSession gives the browser its session cookie, lasting until the
// session's absolute end (the idle end is the server's to judge).
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, s.cookie(r, token, expires))
}

// clearSession makes the browser forget its session cookie.
func (s *Server) clearSession(w http.ResponseWriter, r *http.Request) {
	c := s.cookie(r, "", time.Time{})
	c.MaxAge = -1
	http.SetCookie(w, c)
}

func (s *Server) cookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		Expires:  expires,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   r.TLS != nil || s.secureCookies,
	}
}
