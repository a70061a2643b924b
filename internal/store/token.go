package store

import (
	"database/sql"
	"strings"
	"time"

	"blameful.dev/blameful/internal/org"
)

// CreateToken stores a token (its hash, never its secret).
func (tx *Tx) CreateToken(t *org.Token) error {
	roles := make([]string, len(t.Roles))
	for i, r := range t.Roles {
		roles[i] = string(r)
	}
	_, err := tx.exec("create token", `
INSERT INTO tokens (id, name, hash, actor, roles, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, t.Hash, string(t.Actor), strings.Join(roles, ","), tx.t(t.CreatedAt), tx.t(t.ExpiresAt))
	return err
}

// TokenByHash finds a token by the hash of its secret.
func (tx *Tx) TokenByHash(hash string) (org.Token, error) {
	var t org.Token
	err := tx.one("unknown token", `
SELECT id, name, hash, actor, roles, created_at, expires_at, revoked_at, last_used_at FROM tokens WHERE hash = $1`,
		[]any{hash}, func(rows *sql.Rows) error {
			var actor, roles string
			err := rows.Scan(&t.ID, &t.Name, &t.Hash, &actor, &roles, tm(&t.CreatedAt), tm(&t.ExpiresAt), tm(&t.RevokedAt), tm(&t.LastUsedAt))
			t.Actor = org.Ref(actor)
			for _, r := range strings.Split(roles, ",") {
				if r != "" {
					t.Roles = append(t.Roles, org.Role(r))
				}
			}
			return err
		})
	return t, err
}

// TouchToken records when a token was last used. It is bookkeeping, not an
// audited change.
func (tx *Tx) TouchToken(id string, at time.Time) error {
	_, err := tx.exec("touch token", `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, id, tx.t(at))
	return err
}
