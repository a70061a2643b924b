package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
)

// retryAfter is the Retry-After of every 503, in seconds: long enough for
// the connection pool to reconnect or a lock to clear, short enough that a
// blip costs a client little.
const retryAfter = "5"

// healthz answers 200 once the server is ready (migrated, demo loaded), 503
// before.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeText(w, http.StatusServiceUnavailable, "starting")
		return
	}
	writeText(w, http.StatusOK, "ok")
}

// readyz also checks the database: 200 "ready", or 503 with Retry-After and
// a plain-text line saying why not ("not ready: cannot connect to the
// database").
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeText(w, http.StatusServiceUnavailable, "not ready: starting")
		return
	}
	// A probe that waits longer than this is itself the answer.
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.app.Ready(ctx); err != nil {
		s.log.Warn("not ready", append(logAttrs(r), "err", err)...)
		why := "the database check failed"
		if e, ok := errs.As(err); ok && e.Kind != errs.Internal {
			why = e.Message
		}
		writeText(w, http.StatusServiceUnavailable, "not ready: "+why)
		return
	}
	writeText(w, http.StatusOK, "ready")
}

// isPage reports whether r is for a page rather than the JSON API or a
// webhook, so that an error answers in text a person can read.
func isPage(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasPrefix(r.URL.Path, "/hooks/")
}

// writeText sends one line of plain text with status; a 503 says when to
// try again.
func writeText(w http.ResponseWriter, status int, line string) {
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, line+"\n")
}

// apiNotFound answers unknown API paths in JSON.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	return errs.E(errs.NotFound, "no route %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path)
}
