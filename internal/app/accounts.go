package app

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"
	"unicode"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// An account lets a person log in to the web pages with an email and a
// password (PRODUCT.md section 6). Admins make accounts and reset links;
// a link sets the password once. The audit log records each change under
// the subject account:ID with the account's person, but never the email
// (personal data lives in people alone, so that erasure reaches it) and
// never a password hash or a link's token.

// PasswordLinkTTL is how long a password link works.
const PasswordLinkTTL = 72 * time.Hour

// NewAccount describes an account to make.
type NewAccount struct {
	Email string
	// Person is whom the account acts as (user:…).
	Person org.Ref
	// Roles are granted besides member: hr, admin.
	Roles []org.Role
	// Password sets the password now; empty makes a link to set it.
	Password string
}

// PasswordLink is a one-time link that sets an account's password. Its
// token is shown once; only its hash is kept.
type PasswordLink struct {
	Token     string
	ExpiresAt time.Time
}

// URL is the link under the server's base URL.
func (l PasswordLink) URL(base string) string {
	return strings.TrimRight(base, "/") + "/password/" + l.Token
}

// CreateAccount makes an account for a person of the org who has not left.
// With a password it is set at once; without, the account gets a password
// link, returned (the zero link otherwise). Only admins make accounts. An
// email already in use is Invalid on the email field.
func (a *App) CreateAccount(ctx context.Context, actor org.Actor, na NewAccount) (org.Account, PasswordLink, error) {
	if err := require(actor, org.RoleAdmin); err != nil {
		return org.Account{}, PasswordLink{}, err
	}
	var p errs.Problems
	email, ok := normalEmail(na.Email)
	if !ok {
		p.Add("email", "%q is not an email address", na.Email)
	}
	if !na.Person.IsPerson() {
		p.Add("person", "%q is not a person (user:…)", na.Person)
	}
	roles, msg := accountRoles(na.Roles)
	if msg != "" {
		p.Add("role", "%s", msg)
	}
	if na.Password != "" {
		if err := checkPassword(na.Password); err != nil {
			e, _ := errs.As(err)
			p.Add("password", "%s", e.Fields["password"])
		}
	}
	if err := p.Err(); err != nil {
		return org.Account{}, PasswordLink{}, err
	}
	now := a.Now()
	acc := org.Account{ID: a.newID(), Email: email, Person: na.Person, Roles: roles, CreatedAt: now, UpdatedAt: now}
	if na.Password != "" {
		hash, err := a.passwords.hash(ctx, na.Password)
		if err != nil {
			return org.Account{}, PasswordLink{}, err
		}
		acc.PasswordHash, acc.PasswordSetAt = hash, now
	}
	var link PasswordLink
	err := a.db.Update(ctx, func(tx *store.Tx) error {
		person, err := tx.Person(na.Person)
		if errors.Is(err, errs.NotFound) {
			return errs.Field("person", "%s is not a person of the org; import the org first", na.Person)
		}
		if err != nil {
			return err
		}
		if !person.IsActiveAt(now) || !person.Erased.IsZero() {
			return errs.Field("person", "%s has left the organisation", na.Person)
		}
		if err := tx.CreateAccount(&acc); err != nil {
			return err
		}
		rec := accountRecord{ID: acc.ID, Person: acc.Person, Roles: acc.Roles, PasswordSet: na.Password != ""}
		if na.Password == "" {
			if link, err = a.newPasswordLink(tx, acc.ID, now); err != nil {
				return err
			}
			rec.LinkExpiresAt = link.ExpiresAt
		}
		return a.record(tx, actor, "account.create", "account:"+acc.ID, rec)
	})
	if err != nil {
		return org.Account{}, PasswordLink{}, err
	}
	return acc, link, nil
}

// accountRecord is the audit data of an account's changes: no email, no
// secret.
type accountRecord struct {
	ID            string     `json:"id"`
	Person        org.Ref    `json:"person"`
	Roles         []org.Role `json:"roles,omitempty"`
	PasswordSet   bool       `json:"password_set,omitempty"`
	LinkExpiresAt time.Time  `json:"link_expires_at,omitzero"`
	SessionsEnded int64      `json:"sessions_ended,omitempty"`
	// Issuer is the OpenID provider an identity of the account was
	// linked at or unlinked from; the subject it names is not recorded.
	Issuer string `json:"oidc_issuer,omitempty"`
	// Linked and Unlinked count the identities of Issuer that a change
	// linked or removed.
	Linked   int   `json:"identities_linked,omitempty"`
	Unlinked int64 `json:"identities_unlinked,omitempty"`
}

// normalEmail trims and lower-cases an email address, and reports whether
// it looks like one: something@something, without spaces or controls.
func normalEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(s) > 254 {
		return s, false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return s, false
		}
	}
	return s, true
}

// accountRoles keeps the roles an account may be granted (hr, admin),
// dropping member, which every account has; it explains a refusal.
func accountRoles(in []org.Role) ([]org.Role, string) {
	var out []org.Role
	for _, r := range in {
		switch r {
		case org.RoleMember:
		case org.RoleHR, org.RoleAdmin:
			out = append(out, r)
		default:
			return nil, "\"" + string(r) + "\" cannot be granted: use hr or admin (leader comes from leading a team)"
		}
	}
	return out, ""
}

// newPasswordLink stores a fresh link for the account, which replaces its
// unused ones.
func (a *App) newPasswordLink(tx *store.Tx, account string, now time.Time) (PasswordLink, error) {
	l := PasswordLink{Token: rand.Text(), ExpiresAt: now.Add(PasswordLinkTTL)}
	err := tx.CreatePasswordLink(store.PasswordLink{Hash: hashSecret(l.Token), Account: account, CreatedAt: now, ExpiresAt: l.ExpiresAt})
	return l, err
}

// ResetPassword makes a new password link for the account with the email;
// earlier unused links stop working. The current password keeps working
// until the link is used. Only admins reset; an unknown email is NotFound.
func (a *App) ResetPassword(ctx context.Context, actor org.Actor, email string) (PasswordLink, error) {
	email, _ = normalEmail(email)
	var link PasswordLink
	err := a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		acc, err := tx.AccountByEmail(email)
		if err != nil {
			return err
		}
		if link, err = a.newPasswordLink(tx, acc.ID, a.Now()); err != nil {
			return err
		}
		return a.record(tx, actor, "account.reset", "account:"+acc.ID, accountRecord{ID: acc.ID, Person: acc.Person, LinkExpiresAt: link.ExpiresAt})
	})
	return link, err
}

// SetAccountDisabled disables the account with the email, ending its
// sessions, or enables it again. Only admins do; an unknown email is
// NotFound.
func (a *App) SetAccountDisabled(ctx context.Context, actor org.Actor, email string, disabled bool) error {
	email, _ = normalEmail(email)
	return a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		acc, err := tx.AccountByEmail(email)
		if err != nil {
			return err
		}
		now := a.Now()
		rec := accountRecord{ID: acc.ID, Person: acc.Person}
		if !disabled {
			if err := tx.SetAccountDisabled(acc.ID, time.Time{}, now); err != nil {
				return err
			}
			return a.record(tx, actor, "account.enable", "account:"+acc.ID, rec)
		}
		if err := tx.SetAccountDisabled(acc.ID, now, now); err != nil {
			return err
		}
		if rec.SessionsEnded, err = tx.DeleteSessions(acc.ID); err != nil {
			return err
		}
		return a.record(tx, actor, "account.disable", "account:"+acc.ID, rec)
	})
}

// errBadLink is the answer for a password link that does not work, for
// whatever reason.
var errBadLink = errs.E(errs.NotFound, "This link does not work: it has expired or was used already. Ask an administrator for a new one.")

// PasswordLinkEmail returns the email of the account a password link is
// for, while the link works (not expired, not used, account enabled).
// Anything else is NotFound, without saying why.
func (a *App) PasswordLinkEmail(ctx context.Context, token string) (string, error) {
	var email string
	err := a.db.View(ctx, func(tx *store.Tx) error {
		l, acc, err := tx.PasswordLink(hashSecret(token))
		if err != nil || !linkWorks(l, acc, a.Now()) {
			return errBadLink
		}
		email = acc.Email
		return nil
	})
	return email, err
}

func linkWorks(l store.PasswordLink, acc org.Account, now time.Time) bool {
	return l.UsedAt.IsZero() && now.Before(l.ExpiresAt) && !acc.IsDisabled()
}

// SetPassword sets the password of the account a link is for and uses the
// link up, with every other link of the account. Every session of the
// account ends: whoever held the old password is logged out. A link that
// does not work is NotFound; a password outside the length rules is
// Invalid on the password field. The audit event names the account's
// person as its actor, since the link stands for them.
func (a *App) SetPassword(ctx context.Context, token, password string) error {
	if _, err := a.PasswordLinkEmail(ctx, token); err != nil {
		return err
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := a.passwords.hash(ctx, password)
	if err != nil {
		return err
	}
	return a.db.Update(ctx, func(tx *store.Tx) error {
		now := a.Now()
		l, acc, err := tx.PasswordLink(hashSecret(token))
		if err != nil || !linkWorks(l, acc, now) {
			return errBadLink
		}
		// Two submissions of one link may race here: only the one that
		// marks it used goes on.
		claimed, err := tx.ClaimPasswordLink(l.Hash, now)
		if err != nil {
			return err
		}
		if !claimed {
			return errBadLink
		}
		if err := tx.UsePasswordLinks(acc.ID, now); err != nil {
			return err
		}
		if err := tx.SetAccountPassword(acc.ID, hash, now); err != nil {
			return err
		}
		rec := accountRecord{ID: acc.ID, Person: acc.Person, PasswordSet: true}
		if rec.SessionsEnded, err = tx.DeleteSessions(acc.ID); err != nil {
			return err
		}
		self := org.Actor{Ref: acc.Person, Roles: []org.Role{org.RoleMember}}
		return a.record(tx, self, "account.password", "account:"+acc.ID, rec)
	})
}
