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
	_, err := tx.exec("create token", `
INSERT INTO tokens (id, name, hash, actor, roles, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, t.Hash, string(t.Actor), joinRoles(t.Roles), tx.t(t.CreatedAt), tx.t(t.ExpiresAt))
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
	Principal
}

// Principal is the person a credential acts as, as of the moment asked.
type Principal struct {
	// Person is nil when the org has no person by the credential's
	// reference (as for service tokens).
	Person *org.Person
	// Leads reports a leads edge of the person in effect at the moment
	// asked.
	Leads bool
}

// principalColumns select a credential's Principal: the person joined as
// p, and whether they lead a team at $2. Tokens, logins and sessions read
// it the same way, so each becomes an actor by the same rule.
const principalColumns = `p.ref, p.name, p.email, p.handle, p.left_at, p.erased_at,
    CASE WHEN EXISTS (
        SELECT 1 FROM edges e
        WHERE e.subject = p.ref AND e.relation = 'leads'
          AND (e.valid_from IS NULL OR e.valid_from <= $2) AND (e.valid_to IS NULL OR e.valid_to > $2)
    ) THEN 1 ELSE 0 END`

// principalScan receives principalColumns.
type principalScan struct {
	ref, name, email, handle string
	p                        org.Person
	leads                    int
}

func (s *principalScan) dest() []any {
	return []any{str(&s.ref), str(&s.name), str(&s.email), str(&s.handle), tm(&s.p.Left), tm(&s.p.Erased), &s.leads}
}

func (s *principalScan) principal() Principal {
	out := Principal{Leads: s.leads == 1}
	if s.ref != "" {
		p := s.p
		p.Ref, p.Name, p.Email, p.Handle = org.Ref(s.ref), s.name, s.email, s.handle
		out.Person = &p
	}
	return out
}

// Credential reads the token with the given hash, its person and whether
// they lead a team at at, in one statement and outside any transaction (a
// single statement reads one consistent state by itself). An unknown hash
// is NotFound.
func (db *DB) Credential(ctx context.Context, hash string, at time.Time) (Credential, error) {
	var c Credential
	var actor, roles string
	var pr principalScan
	err := db.readRow(ctx, `
SELECT t.id, t.name, t.hash, t.actor, t.roles, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, `+principalColumns+`
FROM tokens t LEFT JOIN people p ON p.ref = t.actor
WHERE t.hash = $1`, []any{hash, db.t(at)}, append([]any{
		&c.Token.ID, &c.Token.Name, &c.Token.Hash, &actor, &roles,
		tm(&c.Token.CreatedAt), tm(&c.Token.ExpiresAt), tm(&c.Token.RevokedAt), tm(&c.Token.LastUsedAt)}, pr.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Credential{}, errs.E(errs.NotFound, "unknown token")
	}
	if err != nil {
		return Credential{}, db.mapError(err, "read token")
	}
	c.Token.Actor, c.Token.Roles, c.Principal = org.Ref(actor), splitRoles(roles), pr.principal()
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

// credentialsChanged notes that this transaction writes something that can
// change what a token or a session authenticates as, so that its commit
// moves the credential epoch.
func (tx *Tx) credentialsChanged() { tx.credentials = true }

func (tx *Tx) moveCredentialEpoch() error {
	_, err := tx.exec("move the credential epoch", `UPDATE credential_epoch SET epoch = epoch + 1 WHERE id = 1`)
	return err
}

// CredentialEpoch is where credentials stand: Stored moves with every
// committed change, by any server, that can change what a token
// authenticates as; Local counts those committed through this DB, so this
// server sees its own at once, without reading. A server that remembers
// authenticated tokens forgets them when either has moved.
type CredentialEpoch struct {
	Stored int64
	Local  uint64
}

// LocalCredentialWrites is CredentialEpoch's Local, without reading.
func (db *DB) LocalCredentialWrites() uint64 { return db.credentialWrites.Load() }

// CredentialEpoch reads the stored epoch, with the local count taken
// before it.
func (db *DB) CredentialEpoch(ctx context.Context) (CredentialEpoch, error) {
	e := CredentialEpoch{Local: db.credentialWrites.Load()}
	err := db.readRow(ctx, `SELECT epoch FROM credential_epoch WHERE id = 1`, nil, &e.Stored)
	if err != nil {
		return CredentialEpoch{}, db.mapError(err, "read the credential epoch")
	}
	return e, nil
}

// Tokens returns every token, newest first (hashes included; secrets are
// never stored).
func (tx *Tx) Tokens() ([]org.Token, error) {
	var out []org.Token
	err := tx.each("list tokens", `
SELECT id, name, hash, actor, roles, created_at, expires_at, revoked_at, last_used_at
FROM tokens ORDER BY created_at DESC, id`, nil, func(rows *sql.Rows) error {
		t, err := scanToken(rows)
		out = append(out, t)
		return err
	})
	return out, err
}

// Token returns one token by its id.
func (tx *Tx) Token(id string) (org.Token, error) {
	var t org.Token
	err := tx.one("no token "+id, `
SELECT id, name, hash, actor, roles, created_at, expires_at, revoked_at, last_used_at
FROM tokens WHERE id = $1`, []any{id}, func(rows *sql.Rows) error {
		var err error
		t, err = scanToken(rows)
		return err
	})
	return t, err
}

func scanToken(rows *sql.Rows) (org.Token, error) {
	var t org.Token
	var actor, roles string
	err := rows.Scan(&t.ID, &t.Name, &t.Hash, &actor, &roles,
		tm(&t.CreatedAt), tm(&t.ExpiresAt), tm(&t.RevokedAt), tm(&t.LastUsedAt))
	t.Actor, t.Roles = org.Ref(actor), splitRoles(roles)
	return t, err
}

// RevokeToken revokes a token at at. It reports whether the token was
// still unrevoked; a token already revoked keeps its first revocation.
func (tx *Tx) RevokeToken(id string, at time.Time) (bool, error) {
	tx.credentialsChanged()
	res, err := tx.exec("revoke token", `UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, tx.t(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, tx.mapError(err, "revoke token")
}
