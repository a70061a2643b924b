// Package web is blameful's HTTP boundary: the JSON API under /api/v1, its
// OpenAPI document, the web pages, inbound webhooks and health endpoints.
// routes.go lists every route. Handlers decode and check input, call the app
// with an explicit actor, and encode the answer; they never touch the store.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// Server serves blameful over HTTP.
type Server struct {
	app     *app.App
	log     *slog.Logger
	version string
	openapi []byte
	pages   map[string]*template.Template
	ready   atomic.Bool
	handler http.Handler
	metrics *metrics
	// logins counts failed logins (login_limit.go).
	logins *loginLimits
	// secureCookies marks session cookies Secure on every request, not
	// only those that came over TLS (WithBaseURL).
	secureCookies bool
	// baseURL is where people reach the server (WithBaseURL).
	baseURL string
	// oidc is login through an OpenID provider; nil when none is set up.
	oidc *oidcLogin
	// githubSecret verifies GitHub's webhook deliveries (hook_github.go);
	// empty when none is set up.
	githubSecret []byte
	// pagerdutySecrets verify PagerDuty's webhook signatures
	// (hook_alerts.go); empty when none is set up.
	pagerdutySecrets []string
	// hooks is each alert source's recent deliveries, for admins.
	hooks *hookStats
}

// New builds the server; MarkReady makes /healthz answer 200.
func New(a *app.App, log *slog.Logger, version string, opts ...Option) *Server {
	s := &Server{app: a, log: log, version: version, openapi: openAPIJSON(), pages: parsePages(pageFuncs), logins: newLoginLimits(), hooks: newHookStats()}
	for _, o := range opts {
		o(s)
	}
	s.metrics = newMetrics(a)
	s.handler = s.middleware(s.mux())
	return s
}

// MarkReady says the server may take traffic: migrations are done and any
// demo data is loaded.
func (s *Server) MarkReady() { s.ready.Store(true) }

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// apiHandler is a JSON handler for an authenticated actor. It returns an
// error only when it has not written a response.
type apiHandler func(w http.ResponseWriter, r *http.Request, actor org.Actor) error

// api authenticates the request's bearer token and runs h with its actor,
// turning a returned error into a JSON error body. What it answers is for
// that actor alone, so no cache may keep it.
func (s *Server) api(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		actor, err := s.authenticate(r)
		if err == nil && actor.IngestOnly() {
			err = errs.E(errs.Forbidden, "an ingest token can only deliver alerts to /hooks/")
		}
		if err == nil {
			err = h(w, r, actor)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// public runs a JSON handler that needs no actor.
func (s *Server) public(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (org.Actor, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" {
		return org.Actor{}, errs.E(errs.Unauthenticated, "authentication required: send Authorization: Bearer TOKEN (make one with blameful token create)")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return org.Actor{}, errs.E(errs.Unauthenticated, "the Authorization header must be: Bearer TOKEN")
	}
	return s.app.Authenticate(r.Context(), strings.TrimSpace(token))
}

type ctxKey int

const requestIDKey ctxKey = 1

// requestID returns the ID the middleware gave the request.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// middleware wraps every request: an ID, recovery from panics, security
// headers, and an access log line.
func (s *Server) middleware(next http.Handler) http.Handler {
	protect := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		// No request waits on the database for ever: past requestTimeout
		// the store gives up, and the caller gets a 503 to retry.
		ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), requestIDKey, id), requestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h := rec.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("handler panic", append(logAttrs(r), "panic", fmt.Sprint(p))...)
				if !rec.wrote {
					s.writeError(rec, r, fmt.Errorf("panic: %v", p))
				}
			}
			took := time.Since(start)
			s.metrics.observe(r, rec.status, took)
			s.log.Info("request", append(logAttrs(r), "status", rec.status, "duration_ms", took.Milliseconds())...)
		}()
		// Cross-origin protection matters for cookie sessions (pages); API
		// calls carry a bearer token that a foreign page cannot attach.
		if !strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasPrefix(r.URL.Path, "/hooks/") {
			if err := protect.Check(r); err != nil {
				s.writeError(rec, r, errs.E(errs.Forbidden, "cross-origin request refused"))
				return
			}
		}
		next.ServeHTTP(rec, r)
	})
}

// requestTimeout bounds a request's work. Imports of large catalogs are the
// slowest requests, and stay well inside it.
const requestTimeout = 60 * time.Second

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
