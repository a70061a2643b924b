package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// An identity is an OpenID provider's name for whoever logs in: its
// issuer and the subject it gives them. Linked to an account, it logs
// that account in. Like accounts, identities are credentials and live
// outside the accountable tables.

// Identity links a provider's subject to an account.
type Identity struct {
	Issuer    string
	Subject   string
	Account   string
	CreatedAt time.Time
}

// LinkIdentity stores a link from an issuer's subject to an account. A
// subject already linked is Conflict.
func (tx *Tx) LinkIdentity(id Identity) error {
	_, err := tx.exec("link identity", `
INSERT INTO oidc_identities (issuer, subject, account, created_at) VALUES ($1, $2, $3, $4)`,
		id.Issuer, id.Subject, id.Account, tx.t(id.CreatedAt))
	if errors.Is(err, errs.Conflict) {
		return errs.Field("subject", "that subject of %s is already linked to an account", id.Issuer)
	}
	return err
}

// IdentitiesOf returns the identities linked to an account, oldest first.
func (tx *Tx) IdentitiesOf(account string) ([]Identity, error) {
	var out []Identity
	return out, tx.each("list identities", `
SELECT issuer, subject, account, created_at FROM oidc_identities WHERE account = $1 ORDER BY created_at, issuer, subject`,
		[]any{account}, func(rows *sql.Rows) error {
			var id Identity
			err := rows.Scan(&id.Issuer, &id.Subject, &id.Account, tm(&id.CreatedAt))
			out = append(out, id)
			return err
		})
}

// UnlinkIdentities removes every identity of an account from one issuer
// and says how many there were.
func (tx *Tx) UnlinkIdentities(account, issuer string) (int64, error) {
	res, err := tx.exec("unlink identities", `DELETE FROM oidc_identities WHERE account = $1 AND issuer = $2`, account, issuer)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PeopleWithEmail returns the people whose email is the given one,
// whatever its case, sorted by reference; erased people have no email and
// never match.
func (tx *Tx) PeopleWithEmail(email string) ([]org.Person, error) {
	var out []org.Person
	return out, tx.each("find people by email", `SELECT `+personColumns+` FROM people WHERE lower(email) = lower($1) AND email <> '' ORDER BY ref`,
		[]any{email}, func(rows *sql.Rows) error {
			p, err := scanPerson(rows)
			out = append(out, p)
			return err
		})
}

// IdentityCredential reads the account linked to the issuer's subject, its
// person and whether they lead a team at at, in one statement outside any
// transaction, as LoginCredential does for an email. A subject linked to
// nothing is NotFound.
func (db *DB) IdentityCredential(ctx context.Context, issuer, subject string, at time.Time) (AccountCredential, error) {
	var c AccountCredential
	var person, roles string
	var pr principalScan
	dest := append(accountDest(&c.Account, &person, &roles), pr.dest()...)
	err := db.readRow(ctx, `
SELECT `+accountColumns+`, `+principalColumns+`
FROM oidc_identities i JOIN accounts a ON a.id = i.account LEFT JOIN people p ON p.ref = a.person
WHERE i.issuer = $3 AND i.subject = $1`, []any{subject, db.t(at), issuer}, dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return AccountCredential{}, errs.E(errs.NotFound, "unknown identity")
	}
	if err != nil {
		return AccountCredential{}, db.mapError(err, "read identity")
	}
	c.Account.Person, c.Account.Roles, c.Principal = org.Ref(person), splitRoles(roles), pr.principal()
	return c, nil
}
