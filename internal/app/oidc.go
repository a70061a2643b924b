package app

import (
	"context"
	"errors"
	"net/url"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// Logging in through the organisation's OpenID provider (PRODUCT.md
// section 6). The web layer speaks the protocol and hands over an
// Identity whose ID token it has verified; this file decides whom it logs
// in. An identity (issuer and subject) logs in the account it is linked
// to. An identity linked to nothing is linked on its first login only when
// the provider says it has verified the email: to the account with that
// email, or else to a new account, with no role beyond member, of the one
// person of the org who has that email. An unverified email links nothing:
// anyone may type any address into some providers, so it proves nothing.
// An administrator can link any identity explicitly (LinkIdentity).

// Identity is whoever the provider vouched for in a verified ID token.
type Identity struct {
	// Issuer and Subject name them; a subject is unique and stable within
	// its issuer.
	Issuer  string
	Subject string
	// Email is as the provider gave it; EmailVerified says whether the
	// provider has verified that it is theirs.
	Email         string
	EmailVerified bool
}

// LogInIdentity starts a session for the account an identity is linked
// to, linking it first when its verified email allows (see above). A
// refusal is Unauthenticated with a message for the person, who has
// proved to the provider who they are, saying what an administrator can
// do about it.
func (a *App) LogInIdentity(ctx context.Context, id Identity) (Session, error) {
	if id.Issuer == "" || id.Subject == "" {
		return Session{}, errs.E(errs.Unauthenticated, "The identity provider did not say who you are.")
	}
	now := a.Now()
	c, err := a.db.IdentityCredential(ctx, id.Issuer, id.Subject, now)
	if errors.Is(err, errs.NotFound) {
		if err = a.linkOnFirstLogin(ctx, id); err != nil {
			return Session{}, err
		}
		c, err = a.db.IdentityCredential(ctx, id.Issuer, id.Subject, now)
	}
	if err != nil {
		return Session{}, err
	}
	actor, ok := accountActor(c, now)
	if !ok {
		return Session{}, errs.E(errs.Unauthenticated, "Your account cannot log in: it is disabled, or its person has left the organisation. Ask an administrator.")
	}
	return a.startSession(ctx, c.Account.ID, actor, now)
}

// linkOnFirstLogin links an identity seen for the first time, by its
// verified email, to an account: the one with that email, or a new one
// for the one person with it.
func (a *App) linkOnFirstLogin(ctx context.Context, id Identity) error {
	email, ok := normalEmail(id.Email)
	if !id.EmailVerified || !ok {
		return errs.E(errs.Unauthenticated, "Your identity provider has not verified your email address, so blameful cannot tell who you are. Ask an administrator to link your login to your account (blameful user link).")
	}
	now := a.Now()
	return a.db.Update(ctx, func(tx *store.Tx) error {
		acc, err := tx.AccountByEmail(email)
		switch {
		case err == nil:
			if acc.IsDisabled() {
				return errs.E(errs.Unauthenticated, "Your account is disabled. Ask an administrator.")
			}
			linked, err := tx.IdentitiesOf(acc.ID)
			if err != nil {
				return err
			}
			for _, l := range linked {
				if l.Issuer == id.Issuer {
					// The account already logs in as another subject of
					// this provider: a second one with the same email is
					// not taken on trust.
					return errs.E(errs.Unauthenticated, "Your account is linked to another login of this identity provider. Ask an administrator to link this one.")
				}
			}
		case errors.Is(err, errs.NotFound):
			if acc, err = a.accountForPerson(tx, email, now); err != nil {
				return err
			}
		default:
			return err
		}
		if err := tx.LinkIdentity(store.Identity{Issuer: id.Issuer, Subject: id.Subject, Account: acc.ID, CreatedAt: now}); err != nil {
			return err
		}
		self := org.Actor{Ref: acc.Person, Roles: []org.Role{org.RoleMember}}
		return a.record(tx, self, "account.link", "account:"+acc.ID, accountRecord{ID: acc.ID, Person: acc.Person, Issuer: id.Issuer, Linked: 1})
	})
}

// accountForPerson makes an account, with no role beyond member and no
// password, for the one person of the org who has the email and has not
// left, recording it as made by that person.
func (a *App) accountForPerson(tx *store.Tx, email string, now time.Time) (org.Account, error) {
	people, err := tx.PeopleWithEmail(email)
	if err != nil {
		return org.Account{}, err
	}
	var found []org.Person
	for _, p := range people {
		if p.IsActiveAt(now) && p.Erased.IsZero() {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return org.Account{}, errs.E(errs.Unauthenticated, "No one in the organisation has the email address your identity provider gave. Ask an administrator for an account.")
	case 1:
	default:
		return org.Account{}, errs.E(errs.Unauthenticated, "More than one person in the organisation has your email address. Ask an administrator to link your login to your account.")
	}
	acc := org.Account{ID: a.newID(), Email: email, Person: found[0].Ref, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateAccount(&acc); err != nil {
		return org.Account{}, err
	}
	self := org.Actor{Ref: acc.Person, Roles: []org.Role{org.RoleMember}}
	return acc, a.record(tx, self, "account.create", "account:"+acc.ID, accountRecord{ID: acc.ID, Person: acc.Person})
}

// LinkIdentity links a provider's subject to the account with the email:
// the explicit mapping, for an identity whose email the provider does not
// verify or does not share. Only admins link. An unknown email is
// NotFound; a subject linked already is Invalid.
func (a *App) LinkIdentity(ctx context.Context, actor org.Actor, email, issuer, subject string) error {
	var p errs.Problems
	checkIssuer(&p, issuer)
	freetext.Add(&p, "subject", subject, freetext.Ref)
	if subject == "" {
		p.Add("subject", "the subject is required: the provider's id for the person (the sub claim)")
	}
	if err := p.Err(); err != nil {
		return err
	}
	email, _ = normalEmail(email)
	return a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		acc, err := tx.AccountByEmail(email)
		if err != nil {
			return err
		}
		if err := tx.LinkIdentity(store.Identity{Issuer: issuer, Subject: subject, Account: acc.ID, CreatedAt: a.Now()}); err != nil {
			return err
		}
		return a.record(tx, actor, "account.link", "account:"+acc.ID, accountRecord{ID: acc.ID, Person: acc.Person, Issuer: issuer, Linked: 1})
	})
}

// UnlinkIdentities removes every identity of the provider linked to the
// account with the email, ending the account's sessions. Only admins
// unlink; an unknown email is NotFound.
func (a *App) UnlinkIdentities(ctx context.Context, actor org.Actor, email, issuer string) (int64, error) {
	var p errs.Problems
	checkIssuer(&p, issuer)
	if err := p.Err(); err != nil {
		return 0, err
	}
	email, _ = normalEmail(email)
	var n int64
	err := a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		acc, err := tx.AccountByEmail(email)
		if err != nil {
			return err
		}
		if n, err = tx.UnlinkIdentities(acc.ID, issuer); err != nil || n == 0 {
			return err
		}
		rec := accountRecord{ID: acc.ID, Person: acc.Person, Issuer: issuer, Unlinked: n}
		if rec.SessionsEnded, err = tx.DeleteSessions(acc.ID); err != nil {
			return err
		}
		return a.record(tx, actor, "account.unlink", "account:"+acc.ID, rec)
	})
	return n, err
}

// checkIssuer adds a problem unless issuer is an http or https URL, as an
// OpenID provider's issuer is.
func checkIssuer(p *errs.Problems, issuer string) {
	freetext.Add(p, "issuer", issuer, freetext.URL)
	u, err := url.Parse(issuer)
	if issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.Add("issuer", "%q is not an issuer URL such as https://login.example.com/", issuer)
	}
}
