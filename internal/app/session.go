package app

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// A session is a login in one browser: a random token in a cookie, kept in
// the database only as its SHA-256. It ends when idle for SessionIdle, at
// the latest SessionMax after the login, when its account is disabled or
// its person leaves, and on logging out. A server reads the session, the
// account and the person in one statement, and remembers what it read as
// it remembers API tokens (authCache): for at most a minute, and until a
// session ends, an account is disabled or given a new password, or the
// person changes, through this server (at once) or another (within about
// a second).
const (
	SessionIdle = 12 * time.Hour
	SessionMax  = 7 * 24 * time.Hour
	// sessionTouchEvery is the grain of a session's last use: recording
	// it more often would make every page view a write.
	sessionTouchEvery = time.Minute
)

// Session is a new login: the token for the cookie, shown once.
type Session struct {
	Token string
	// ExpiresAt is the session's absolute end.
	ExpiresAt time.Time
	Actor     org.Actor
}

// errBadLogin is every failed login's answer, whichever part was wrong.
var errBadLogin = errs.E(errs.Unauthenticated, "That email and password do not match.")

// LogIn checks an email and password and starts a session. Every failure
// is the same Unauthenticated error: an unknown email, a wrong password,
// an account without a password yet, a disabled account and a person who
// has left all look alike, and take the same time, since the password is
// hashed whether or not there is an account to check it against. A busy
// server is Unavailable.
func (a *App) LogIn(ctx context.Context, email, password string) (Session, error) {
	email, _ = normalEmail(email)
	now := a.Now()
	c, err := a.db.LoginCredential(ctx, email, now)
	if err != nil && !errors.Is(err, errs.NotFound) {
		return Session{}, err
	}
	// With no account, c is zero and its empty hash matches nothing.
	ok, verr := a.passwords.verify(ctx, c.Account.PasswordHash, password)
	if verr != nil {
		return Session{}, verr
	}
	if err != nil || !ok {
		return Session{}, errBadLogin
	}
	actor, ok := accountActor(c, now)
	if !ok {
		return Session{}, errBadLogin
	}
	return a.startSession(ctx, c.Account.ID, actor, now)
}

// startSession stores a new session of the account, acting as actor.
func (a *App) startSession(ctx context.Context, account string, actor org.Actor, now time.Time) (Session, error) {
	s := Session{Token: rand.Text(), ExpiresAt: now.Add(SessionMax), Actor: actor}
	err := a.db.Update(ctx, func(tx *store.Tx) error {
		// Ended sessions are removed as others begin, so the table holds
		// about one row per browser logged in.
		if err := tx.DeleteSessionsEndedBefore(now, now.Add(-SessionIdle)); err != nil {
			return err
		}
		return tx.CreateSession(store.Session{Hash: hashSecret(s.Token), Account: account, CreatedAt: now, LastSeenAt: now, ExpiresAt: s.ExpiresAt})
	})
	if err != nil {
		return Session{}, err
	}
	return s, nil
}

// accountActor is the actor of an account: its person with member, the
// roles it grants, and leader when the person leads a team now; false
// when the account is disabled or the person is not in the org.
func accountActor(c store.AccountCredential, now time.Time) (org.Actor, bool) {
	if c.Account.IsDisabled() {
		return org.Actor{}, false
	}
	return personActor(c.Account.Person, withMember(c.Account.Roles), c.Principal, now)
}

// SessionActor returns the actor of the session with the token. A session
// that is unknown, idle for SessionIdle, older than SessionMax, of a
// disabled account or of a person who has left is Unauthenticated.
func (a *App) SessionActor(ctx context.Context, token string) (org.Actor, error) {
	denied := errs.E(errs.Unauthenticated, "log in to see this page")
	if token == "" {
		return org.Actor{}, denied
	}
	now := a.Now()
	hash := hashSecret(token)
	if e, ok := a.sessions.get(ctx, hash, now); ok {
		if now.Sub(e.lastUsed) >= sessionTouchEvery {
			a.touchSession(ctx, hash, now)
			a.sessions.touched(hash, now)
		}
		return e.actor, nil
	}
	before := a.sessions.snapshot()
	c, err := a.db.SessionCredential(ctx, hash, now)
	if errors.Is(err, errs.NotFound) {
		return org.Actor{}, denied
	}
	if err != nil {
		return org.Actor{}, err
	}
	s := c.Session
	if !now.Before(s.ExpiresAt) || !now.Before(s.LastSeenAt.Add(SessionIdle)) {
		return org.Actor{}, denied
	}
	actor, ok := accountActor(c, now)
	if !ok {
		return org.Actor{}, denied
	}
	if now.Sub(s.LastSeenAt) >= sessionTouchEvery {
		a.touchSession(ctx, hash, now)
		s.LastSeenAt = now
	}
	// The entry ends at the first of the session's ends it can foresee.
	until := s.LastSeenAt.Add(SessionIdle)
	for _, end := range []time.Time{s.ExpiresAt, c.Principal.Person.Left} {
		if !end.IsZero() && end.Before(until) {
			until = end
		}
	}
	a.sessions.put(hash, authEntry{actor: actor, at: now, wall: time.Now(), until: until, lastUsed: s.LastSeenAt}, before)
	return actor, nil
}

// touchSession records a session's last use. As for tokens, it is
// bookkeeping, not audited, and never a reason to hold the request up
// when the database is busy: a touch missed only brings the idle end a
// little closer.
func (a *App) touchSession(ctx context.Context, hash string, now time.Time) {
	tctx, cancel := context.WithTimeout(ctx, touchTimeout)
	_ = a.db.Update(tctx, func(tx *store.Tx) error { return tx.TouchSession(hash, now) })
	cancel()
}

// LogOut ends the session with the token, or with everywhere every session
// of its account. An unknown token is no error: there is nothing to end.
func (a *App) LogOut(ctx context.Context, token string, everywhere bool) error {
	if token == "" {
		return nil
	}
	return a.db.Update(ctx, func(tx *store.Tx) error {
		account, err := tx.DeleteSession(hashSecret(token))
		if err != nil || !everywhere || account == "" {
			return err
		}
		_, err = tx.DeleteSessions(account)
		return err
	})
}
