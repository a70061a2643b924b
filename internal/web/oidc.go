package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
)

// Login through the organisation's OpenID provider: the authorization code
// flow with PKCE (S256), a state that ties the provider's answer to the
// browser that asked, and a nonce that ties the ID token to this login.
// The three are kept, until the answer comes back, in a short-lived
// HttpOnly cookie scoped to /auth/oidc/, so any instance of the server can
// finish a login another began. The provider is found by discovery on the
// first login (the server starts even when the provider is down) and its
// signing keys are fetched again whenever a token names a key not seen
// yet, so the provider may rotate them. The app decides whom the verified
// identity logs in (app.LogInIdentity).

// OIDCConfig is an OpenID provider to log in through.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; discovery reads
	// Issuer/.well-known/openid-configuration.
	Issuer       string
	ClientID     string
	ClientSecret string
}

// WithOIDC offers login through an OpenID provider besides passwords. The
// provider must accept BASE/auth/oidc/callback as a redirect URI, where
// BASE is the base URL (WithBaseURL, which must come first).
func WithOIDC(cfg OIDCConfig) Option {
	return func(s *Server) {
		s.oidc = &oidcLogin{cfg: cfg, redirect: strings.TrimRight(s.baseURL, "/") + oidcCallbackPath,
			client: &http.Client{Timeout: oidcTimeout}}
	}
}

const (
	oidcCallbackPath = "/auth/oidc/callback"
	// oidcCookie holds a login under way; it lasts oidcPending.
	oidcCookie  = "blameful_oidc"
	oidcPending = 10 * time.Minute
	// oidcTimeout bounds each request to the provider.
	oidcTimeout = 10 * time.Second
)

// oidcLogin is the server's side of logging in through the provider.
type oidcLogin struct {
	cfg      OIDCConfig
	redirect string
	client   *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

// Name is how the login page names the provider: its host.
func (o *oidcLogin) Name() string {
	if u, err := url.Parse(o.cfg.Issuer); err == nil && u.Host != "" {
		return u.Host
	}
	return o.cfg.Issuer
}

// discover returns the provider, reading its discovery document on first
// use; a provider that cannot be reached is Unavailable, and the next
// login tries again.
func (o *oidcLogin) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.context(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, fmt.Sprintf("The identity provider at %s cannot be reached. Try again soon, or log in with a password.", o.Name()))
	}
	o.provider = p
	return p, nil
}

// context makes the library's requests to the provider with o's client.
func (o *oidcLogin) context(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.client)
}

func (o *oidcLogin) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     o.cfg.ClientID,
		ClientSecret: o.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  o.redirect,
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// pending is a login under way, as its cookie keeps it.
type pending struct {
	State, Nonce, Verifier, Next string
}

func (p pending) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePending(s string) (pending, bool) {
	var p pending
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 4096 || json.Unmarshal(b, &p) != nil || p.State == "" || p.Nonce == "" || p.Verifier == "" {
		return pending{}, false
	}
	return p, true
}

func (s *Server) oidcCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     oidcCookie,
		Value:    value,
		Path:     "/auth/oidc/",
		MaxAge:   maxAge,
		HttpOnly: true,
		// Lax: the provider sends the browser back with a top-level GET,
		// which carries Lax cookies.
		SameSite: http.SameSiteLaxMode,
		Secure:   r.TLS != nil || s.secureCookies,
	}
}

// oidcStart sends the browser to the provider to log in.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return errs.E(errs.NotFound, "no such page")
	}
	next := safeNext(r.URL.Query().Get("next"))
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.Warn("oidc discovery failed", append(logAttrs(r), "err", err)...)
		return s.loginRefused(w, http.StatusServiceUnavailable, next, err)
	}
	pl := pending{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Next: next}
	http.SetCookie(w, s.oidcCookie(r, pl.encode(), int(oidcPending.Seconds())))
	to := s.oidc.oauth(p).AuthCodeURL(pl.State, oidc.Nonce(pl.Nonce), oauth2.S256ChallengeOption(pl.Verifier))
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// oidcCallback finishes a login the provider sent the browser back from:
// it checks the state, exchanges the code with the PKCE verifier, verifies
// the ID token (signature, issuer, audience, expiry) and its nonce, reads
// the email from the token or else from the userinfo endpoint, and asks
// the app whom it logs in. Every refusal shows the login page again.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return errs.E(errs.NotFound, "no such page")
	}
	// A login is answered once: the cookie goes whatever happens next.
	http.SetCookie(w, s.oidcCookie(r, "", -1))
	keys := []limitKey{{"address " + clientAddress(r), loginFailsPerAddress}}
	if wait := s.logins.wait(s.app.Now(), keys); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return s.loginRefused(w, http.StatusTooManyRequests, "/", errs.E(errs.Unauthenticated, "Too many failed attempts. Try again in %s.", minutes(secs)))
	}
	q := r.URL.Query()
	c, err := r.Cookie(oidcCookie)
	pl, ok := pending{}, false
	if err == nil {
		pl, ok = decodePending(c.Value)
	}
	if !ok || subtle.ConstantTimeCompare([]byte(pl.State), []byte(q.Get("state"))) != 1 {
		s.logins.fail(s.app.Now(), keys)
		s.log.Info("oidc login refused", append(logAttrs(r), "reason", "state")...)
		return s.loginRefused(w, http.StatusBadRequest, "/", errs.E(errs.Unauthenticated, "This login expired or was begun in another browser. Log in again."))
	}
	next := safeNext(pl.Next)
	if e := q.Get("error"); e != "" {
		s.log.Info("oidc login refused", append(logAttrs(r), "reason", "provider", "error", e)...)
		return s.loginRefused(w, http.StatusUnauthorized, next, errs.E(errs.Unauthenticated, "The identity provider did not log you in (%s).", clip(e, 80)))
	}
	id, err := s.oidc.identity(r.Context(), q.Get("code"), pl)
	if err == nil {
		var sess app.Session
		if sess, err = s.app.LogInIdentity(r.Context(), id); err == nil {
			s.logins.clear(keys[0])
			s.setSession(w, r, sess.Token, sess.ExpiresAt)
			s.log.Info("logged in", append(logAttrs(r), "actor_id", string(sess.Actor.Ref), "via", "oidc")...)
			http.Redirect(w, r, next, http.StatusSeeOther)
			return nil
		}
	}
	if e, ok := errs.As(err); ok && e.Kind == errs.Unauthenticated {
		s.logins.fail(s.app.Now(), keys)
		s.log.Info("oidc login refused", append(logAttrs(r), "reason", e.Message)...)
		return s.loginRefused(w, http.StatusUnauthorized, next, e)
	}
	if e, ok := errs.As(err); ok && e.Kind == errs.Unavailable {
		return s.loginRefused(w, http.StatusServiceUnavailable, next, e)
	}
	return err
}

// loginRefused answers the login page with err's message.
func (s *Server) loginRefused(w http.ResponseWriter, status int, next string, err error) error {
	msg := "The login failed."
	if e, ok := errs.As(err); ok {
		msg = e.Message
	}
	return s.render(w, status, "login", view{Title: "Log in", Data: s.loginData(loginPage{Next: next, Error: msg})})
}

// identity turns the provider's code into the identity it vouches for.
// Anything the provider or its token gets wrong is Unauthenticated, and
// logged for the operator; a provider that cannot be reached is
// Unavailable.
func (o *oidcLogin) identity(ctx context.Context, code string, pl pending) (app.Identity, error) {
	refused := func(what string, err error) error {
		return errs.Wrap(errs.Unauthenticated, fmt.Errorf("%s: %w", what, err), "The identity provider's answer could not be checked. Log in again.")
	}
	if code == "" {
		return app.Identity{}, refused("callback", errors.New("no code"))
	}
	p, err := o.discover(ctx)
	if err != nil {
		return app.Identity{}, err
	}
	ctx = o.context(ctx)
	tok, err := o.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(pl.Verifier))
	if err != nil {
		return app.Identity{}, refused("exchange code", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return app.Identity{}, refused("token response", errors.New("no id_token"))
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return app.Identity{}, refused("verify id token", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pl.Nonce)) != 1 {
		return app.Identity{}, refused("verify id token", errors.New("nonce differs"))
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return app.Identity{}, refused("verify at_hash", err)
		}
	}
	var claims emailClaims
	if err := idt.Claims(&claims); err != nil {
		return app.Identity{}, refused("read id token claims", err)
	}
	id := app.Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: claims.Email, EmailVerified: bool(claims.EmailVerified)}
	if id.Email == "" {
		// Many providers put the email in userinfo alone.
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return app.Identity{}, refused("read userinfo", err)
		}
		if ui.Subject != idt.Subject {
			return app.Identity{}, refused("read userinfo", errors.New("userinfo is about another subject"))
		}
		var uc emailClaims
		if err := ui.Claims(&uc); err != nil {
			return app.Identity{}, refused("read userinfo claims", err)
		}
		id.Email, id.EmailVerified = uc.Email, bool(uc.EmailVerified)
	}
	return id, nil
}

// emailClaims are the claims the app needs besides the subject.
type emailClaims struct {
	Email         string   `json:"email"`
	EmailVerified claimTru `json:"email_verified"`
}

// claimTru is email_verified, which some providers send as the string
// "true"; anything but true or "true" is false.
type claimTru bool

func (c *claimTru) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	*c = claimTru(s == "true" || s == `"true"`)
	return nil
}

// clip shortens s to at most n bytes, for a provider's words on a page.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
