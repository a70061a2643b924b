package web

import (
	"context"
	"net/http"
	"time"

	"blameful.dev/blameful/internal/errs"
)

// healthz answers 200 once the server is ready (migrated, demo loaded), 503
// before.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz also checks that the database answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if !s.ready.Load() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	if err := s.app.DB().Ping(ctx); err != nil {
		s.log.Warn("readiness: database unreachable", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}

// apiNotFound answers unknown API paths in JSON.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	return errs.E(errs.NotFound, "no route %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path)
}
