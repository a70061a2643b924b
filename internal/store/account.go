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

// Accounts, sessions and password links are credentials, kept like tokens:
// secrets only as SHA-256 hashes, and outside the accountable tables. The
// app records their changes in the audit log itself. A write that can end
// a session (logging out, disabling an account, a new password) moves the
// credential epoch, as a token's revocation does, so that servers
// remembering sessions forget them.

// accountColumns are read in the order scanAccount scans them, from a
// table aliased a.
const accountColumns = `a.id, a.email, a.person, a.roles, a.password_hash, a.created_at, a.updated_at, a.password_set_at, a.disabled_at`

func accountDest(a *org.Account, person, roles *string) []any {
	return []any{&a.ID, &a.Email, person, roles, &a.PasswordHash, tm(&a.CreatedAt), tm(&a.UpdatedAt), tm(&a.PasswordSetAt), tm(&a.DisabledAt)}
}

// CreateAccount stores a new account. An email already taken is Conflict.
func (tx *Tx) CreateAccount(a *org.Account) error {
	_, err := tx.exec("create account", `
INSERT INTO accounts (id, email, person, roles, password_hash, created_at, updated_at, password_set_at, disabled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, a.Email, string(a.Person), joinRoles(a.Roles), a.PasswordHash, tx.t(a.CreatedAt), tx.t(a.UpdatedAt),
		tx.t(a.PasswordSetAt), tx.t(a.DisabledAt))
	if errors.Is(err, errs.Conflict) {
		return errs.Field("email", "there is already an account for %s", a.Email)
	}
	return err
}

// AccountByEmail returns the account with the (lower-cased) email; none is
// NotFound.
func (tx *Tx) AccountByEmail(email string) (org.Account, error) {
	var a org.Account
	var person, roles string
	err := tx.get("no account for "+email, `SELECT `+accountColumns+` FROM accounts a WHERE a.email = $1`,
		[]any{email}, accountDest(&a, &person, &roles)...)
	a.Person, a.Roles = org.Ref(person), splitRoles(roles)
	return a, err
}

// SetAccountPassword replaces an account's password hash.
func (tx *Tx) SetAccountPassword(id, hash string, at time.Time) error {
	tx.credentialsChanged()
	_, err := tx.exec("set password", `UPDATE accounts SET password_hash = $2, password_set_at = $3, updated_at = $3 WHERE id = $1`,
		id, hash, tx.t(at))
	return err
}

// SetAccountDisabled disables an account at at, or enables it again when
// at is zero.
func (tx *Tx) SetAccountDisabled(id string, at, now time.Time) error {
	tx.credentialsChanged()
	_, err := tx.exec("disable account", `UPDATE accounts SET disabled_at = $2, updated_at = $3 WHERE id = $1`,
		id, tx.t(at), tx.t(now))
	return err
}

// PasswordLink is a one-time link that sets an account's password. Only
// the hash of its token is kept.
type PasswordLink struct {
	Hash      string
	Account   string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero: not used
}

// CreatePasswordLink stores a new link for an account, and removes the
// account's links that were never used: only the newest link works.
func (tx *Tx) CreatePasswordLink(l PasswordLink) error {
	if _, err := tx.exec("remove unused password links", `DELETE FROM password_links WHERE account = $1 AND used_at IS NULL`, l.Account); err != nil {
		return err
	}
	_, err := tx.exec("create password link", `
INSERT INTO password_links (hash, account, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		l.Hash, l.Account, tx.t(l.CreatedAt), tx.t(l.ExpiresAt))
	return err
}

// PasswordLink returns the link with the token hash, and its account; an
// unknown hash is NotFound.
func (tx *Tx) PasswordLink(hash string) (PasswordLink, org.Account, error) {
	var l PasswordLink
	var a org.Account
	var person, roles string
	dest := append([]any{&l.Hash, &l.Account, tm(&l.CreatedAt), tm(&l.ExpiresAt), tm(&l.UsedAt)}, accountDest(&a, &person, &roles)...)
	err := tx.get("no such password link", `
SELECT l.hash, l.account, l.created_at, l.expires_at, l.used_at, `+accountColumns+`
FROM password_links l JOIN accounts a ON a.id = l.account
WHERE l.hash = $1`, []any{hash}, dest...)
	a.Person, a.Roles = org.Ref(person), splitRoles(roles)
	return l, a, err
}

// ClaimPasswordLink marks the link with the hash used at at, unless it
// was already: it reports whether this call did, so that of two requests
// racing with one link only one goes on.
func (tx *Tx) ClaimPasswordLink(hash string, at time.Time) (bool, error) {
	res, err := tx.exec("use password link", `UPDATE password_links SET used_at = $2 WHERE hash = $1 AND used_at IS NULL`, hash, tx.t(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UsePasswordLinks marks every unused link of an account used at at.
func (tx *Tx) UsePasswordLinks(account string, at time.Time) error {
	_, err := tx.exec("use password links", `UPDATE password_links SET used_at = $2 WHERE account = $1 AND used_at IS NULL`, account, tx.t(at))
	return err
}

// Session is one login in one browser. Only the hash of its token is kept.
type Session struct {
	Hash       string
	Account    string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end, whatever the activity.
	ExpiresAt time.Time
}

// CreateSession stores a new session.
func (tx *Tx) CreateSession(s Session) error {
	_, err := tx.exec("create session", `
INSERT INTO sessions (hash, account, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		s.Hash, s.Account, tx.t(s.CreatedAt), tx.t(s.LastSeenAt), tx.t(s.ExpiresAt))
	return err
}

// DeleteSession ends the session with the hash; an unknown one is no
// error. It returns the account the session was of, "" if none.
func (tx *Tx) DeleteSession(hash string) (string, error) {
	tx.credentialsChanged()
	var account string
	err := tx.each("end session", `DELETE FROM sessions WHERE hash = $1 RETURNING account`, []any{hash}, func(rows *sql.Rows) error {
		return rows.Scan(&account)
	})
	return account, err
}

// DeleteSessions ends every session of an account and says how many there
// were.
func (tx *Tx) DeleteSessions(account string) (int64, error) {
	tx.credentialsChanged()
	res, err := tx.exec("end sessions", `DELETE FROM sessions WHERE account = $1`, account)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteSessionsEndedBefore removes the sessions that ended before at,
// either way: bookkeeping that keeps the table small.
func (tx *Tx) DeleteSessionsEndedBefore(at, idleSince time.Time) error {
	_, err := tx.exec("remove ended sessions", `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, tx.t(at), tx.t(idleSince))
	return err
}

// TouchSession records that a session was used at at. It is bookkeeping,
// not an audited change.
func (tx *Tx) TouchSession(hash string, at time.Time) error {
	_, err := tx.exec("touch session", `UPDATE sessions SET last_seen_at = $2 WHERE hash = $1`, hash, tx.t(at))
	return err
}

// AccountCredential is what logging in or checking a session needs: the
// account, the session when there is one, and the person it acts as.
type AccountCredential struct {
	Account org.Account
	// Session is zero when the credential was read by email, to log in.
	Session Session
	Principal
}

// LoginCredential reads the account with the (lower-cased) email, its
// person and whether they lead a team at at, in one statement outside any
// transaction. An unknown email is NotFound.
func (db *DB) LoginCredential(ctx context.Context, email string, at time.Time) (AccountCredential, error) {
	var c AccountCredential
	var person, roles string
	var pr principalScan
	dest := append(accountDest(&c.Account, &person, &roles), pr.dest()...)
	err := db.readRow(ctx, `
SELECT `+accountColumns+`, `+principalColumns+`
FROM accounts a LEFT JOIN people p ON p.ref = a.person
WHERE a.email = $1`, []any{email, db.t(at)}, dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return AccountCredential{}, errs.E(errs.NotFound, "unknown account")
	}
	if err != nil {
		return AccountCredential{}, db.mapError(err, "read account")
	}
	c.Account.Person, c.Account.Roles, c.Principal = org.Ref(person), splitRoles(roles), pr.principal()
	return c, nil
}

// SessionCredential reads the session with the token hash, its account,
// the account's person and whether they lead a team at at, in one
// statement outside any transaction. An unknown hash is NotFound.
func (db *DB) SessionCredential(ctx context.Context, hash string, at time.Time) (AccountCredential, error) {
	var c AccountCredential
	var person, roles string
	var pr principalScan
	s := &c.Session
	dest := append([]any{&s.Hash, &s.Account, tm(&s.CreatedAt), tm(&s.LastSeenAt), tm(&s.ExpiresAt)}, accountDest(&c.Account, &person, &roles)...)
	err := db.readRow(ctx, `
SELECT s.hash, s.account, s.created_at, s.last_seen_at, s.expires_at, `+accountColumns+`, `+principalColumns+`
FROM sessions s JOIN accounts a ON a.id = s.account LEFT JOIN people p ON p.ref = a.person
WHERE s.hash = $1`, []any{hash, db.t(at)}, append(dest, pr.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return AccountCredential{}, errs.E(errs.NotFound, "unknown session")
	}
	if err != nil {
		return AccountCredential{}, db.mapError(err, "read session")
	}
	c.Account.Person, c.Account.Roles, c.Principal = org.Ref(person), splitRoles(roles), pr.principal()
	return c, nil
}

// joinRoles writes the roles column, a comma-separated list.
func joinRoles(roles []org.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}
