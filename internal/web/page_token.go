package web

import (
	"net/http"
	"strconv"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// The tokens page, for administrators: every API token with who it acts
// as, its roles, its last use, expiry and revocation; a form to make one
// (its secret shown on the answer, once, and never again); and a Revoke
// button on each token in force. The same as `blameful token create`,
// `token list` and `token revoke`, and GET and DELETE /api/v1/tokens.

// tokensPage is the data of the tokens page.
type tokensPage struct {
	Tokens []tokenRow
	// Made is the token just made, with its secret; zero otherwise.
	Made struct {
		Name, Secret string
	}
	// Grantable are the roles the form offers.
	Grantable []org.Role
	Error     *errs.Error
	Values    map[string]string
	Now       time.Time
}

// tokenRow is a token as the page lists it.
type tokenRow struct {
	org.Token
	InForce bool
}

func (s *Server) pageTokens(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	return s.showTokens(w, r, actor, http.StatusOK, tokensPage{})
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, actor org.Actor, status int, data tokensPage) error {
	list, err := s.app.Tokens(r.Context(), actor)
	if err != nil {
		return err
	}
	data.Now = s.app.Now()
	for _, t := range list {
		data.Tokens = append(data.Tokens, tokenRow{Token: t, InForce: t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || data.Now.Before(t.ExpiresAt))})
	}
	data.Grantable = []org.Role{org.RoleMember, org.RoleHR, org.RoleAdmin, org.RoleIngest}
	if data.Values == nil {
		data.Values = map[string]string{}
	}
	if data.Made.Secret != "" {
		// The one page that holds a secret must not be kept anywhere.
		w.Header().Set("Cache-Control", "no-store")
	}
	return s.render(w, status, "tokens", view{Title: "API tokens", Actor: actor, Section: "tokens", Data: data})
}

// postToken makes a token from the form and shows its secret once.
func (s *Server) postToken(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	var p errs.Problems
	nt := app.NewToken{Name: formValue(r, "name")}
	if u := formValue(r, "user"); u != "" {
		ref, err := org.ParseRef(u, "user")
		if err != nil {
			p.Add("user", "%s", msg(err))
		}
		nt.User = ref
	}
	for _, role := range r.PostForm["role"] {
		nt.Roles = append(nt.Roles, org.Role(role))
	}
	if d := formValue(r, "days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3650 {
			p.Add("days", "%q is not a number of days from 1 to 3650 (leave it empty for a token that never expires)", d)
		}
		nt.TTL = time.Duration(n) * 24 * time.Hour
	}
	values := map[string]string{"name": nt.Name, "user": formValue(r, "user"), "days": formValue(r, "days")}
	for _, role := range nt.Roles {
		values["role-"+string(role)] = "on"
	}
	err := p.Err()
	var made org.Token
	var secret string
	if err == nil {
		made, secret, err = s.app.CreateToken(r.Context(), actor, nt)
	}
	if err != nil {
		ferr, ok := formError(err)
		if !ok {
			return err
		}
		return s.showTokens(w, r, actor, statusOf(ferr), tokensPage{Error: ferr, Values: values})
	}
	data := tokensPage{}
	data.Made.Name, data.Made.Secret = made.Name, secret
	return s.showTokens(w, r, actor, http.StatusOK, data)
}

// postRevokeToken revokes a token as DELETE /api/v1/tokens/{id} does and
// goes back to the list.
func (s *Server) postRevokeToken(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	if _, err := s.app.RevokeToken(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
	return nil
}
