package web

import (
	"net/http"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// sessionActor returns the actor of the request's session cookie.
func (s *Server) sessionActor(r *http.Request) (org.Actor, error) {
	return org.Actor{}, errs.E(errs.Unauthenticated, "sign in to see this page")
}
