package org

import "time"

// Token is an API credential. Only a hash of its secret is kept; the secret
// is shown once, when the token is made.
type Token struct {
	ID   string
	Name string
	// Hash is the hex SHA-256 of the secret.
	Hash string
	// Actor is who the token acts as: a person, or a principal when the token
	// is not tied to one.
	Actor Ref
	// Roles are the roles granted explicitly; leader is derived, never
	// granted.
	Roles      []Role
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time // zero: in force
	LastUsedAt time.Time
}

// IsValidAt reports whether the token may be used at now.
func (t Token) IsValidAt(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}
