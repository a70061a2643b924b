package web

import (
	"net/http"
	"time"

	"blameful.dev/blameful/internal/org"
)

// tokenJSON is a token as the API shows it: never its secret or hash.
type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Actor      org.Ref    `json:"actor"`
	Roles      []org.Role `json:"roles"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func toTokenJSON(t org.Token) tokenJSON {
	opt := func(at time.Time) *time.Time {
		if at.IsZero() {
			return nil
		}
		return &at
	}
	return tokenJSON{ID: t.ID, Name: t.Name, Actor: t.Actor, Roles: t.Roles, CreatedAt: t.CreatedAt,
		ExpiresAt: opt(t.ExpiresAt), RevokedAt: opt(t.RevokedAt), LastUsedAt: opt(t.LastUsedAt)}
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	list, err := s.app.Tokens(r.Context(), actor)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(list))
	for i, t := range list {
		out[i] = toTokenJSON(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	t, err := s.app.RevokeToken(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTokenJSON(t))
	return nil
}
