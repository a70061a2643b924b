package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
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

// TouchToken records when a token was last used. It is bookkeeping, not an
// audited change.
func (tx *Tx) TouchToken(id string, at time.Time) error {
	_, err := tx.exec("touch token", `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, id, tx.t(at))
	return err
}

// Credential is what authenticating a token needs: the token, the person it
// acts as, and whether that actor leads a team.
type Credential struct {
	Token org.Token
	// Person is the person the token acts as, nil when the org has none by
	// that reference (as for service tokens).
	Person *org.Person
	// Leads reports a leads edge of the token's actor in effect at the
	// moment asked.
	Leads bool
}

// Credential reads the token with the given hash, its person and whether
// they lead a team at at, in one statement and outside any transaction (a
// single statement reads one consistent state by itself). An unknown hash
// is NotFound.
func (db *DB) Credential(ctx context.Context, hash string, at time.Time) (Credential, error) {
	var c Credential
	var actor, roles, pref, pname, pemail, phandle string
	var p org.Person
	var leads int
	err := db.read.QueryRowContext(ctx, db.bind(`
SELECT t.id, t.name, t.hash, t.actor, t.roles, t.created_at, t.expires_at, t.revoked_at, t.last_used_at,
    p.ref, p.name, p.email, p.handle, p.left_at, p.erased_at,
    CASE WHEN EXISTS (
        SELECT 1 FROM edges e
        WHERE e.subject = t.actor AND e.relation = 'leads'
          AND (e.valid_from IS NULL OR e.valid_from <= $2) AND (e.valid_to IS NULL OR e.valid_to > $2)
    ) THEN 1 ELSE 0 END
FROM tokens t LEFT JOIN people p ON p.ref = t.actor
WHERE t.hash = $1`), hash, db.t(at)).Scan(
		&c.Token.ID, &c.Token.Name, &c.Token.Hash, &actor, &roles,
		tm(&c.Token.CreatedAt), tm(&c.Token.ExpiresAt), tm(&c.Token.RevokedAt), tm(&c.Token.LastUsedAt),
		str(&pref), str(&pname), str(&pemail), str(&phandle), tm(&p.Left), tm(&p.Erased), &leads)
	if errors.Is(err, sql.ErrNoRows) {
		return Credential{}, errs.E(errs.NotFound, "unknown token")
	}
	if err != nil {
		return Credential{}, db.mapError(err, "read token")
	}
	c.Token.Actor, c.Token.Roles = org.Ref(actor), splitRoles(roles)
	if pref != "" {
		p.Ref, p.Name, p.Email, p.Handle = org.Ref(pref), pname, pemail, phandle
		c.Person = &p
	}
	c.Leads = leads == 1
	return c, nil
}

// splitRoles reads the roles column, a comma-separated list.
func splitRoles(s string) []org.Role {
	var out []org.Role
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			out = append(out, org.Role(r))
		}
	}
	return out
}
