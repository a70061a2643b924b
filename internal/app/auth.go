package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// tokenPrefix marks blameful secrets, so a leaked one is recognisable in a
// log or a repository scan.
const tokenPrefix = "bf_"

// NewToken describes a token to make.
type NewToken struct {
	Name string
	// User is the person the token acts as; zero makes a service token that
	// acts as "token:default/NAME".
	User  org.Ref
	Roles []org.Role
	// TTL is how long the token lasts; zero never expires.
	TTL time.Duration
}

// CreateToken makes an API token and returns its secret, which is shown
// once and stored only as a hash. Only admins make tokens.
func (a *App) CreateToken(ctx context.Context, actor org.Actor, nt NewToken) (org.Token, string, error) {
	var p errs.Problems
	name := strings.TrimSpace(nt.Name)
	switch {
	case name == "" && !nt.User.IsZero():
		name = nt.User.Name()
	case name == "" && len(nt.Roles) > 0:
		name = string(nt.Roles[len(nt.Roles)-1])
	case name == "":
		name = "token"
	}
	if _, err := org.ParseRef("token:"+name, ""); err != nil {
		p.Add("name", "%q is not a valid token name (letters, digits, - _ .)", nt.Name)
	}
	if !nt.User.IsZero() && !nt.User.IsPerson() {
		p.Add("user", "%s is not a person (user:…)", nt.User)
	}
	for _, r := range nt.Roles {
		if !r.IsGrantable() {
			p.Add("role", "%q cannot be granted: use member, hr, admin or ingest (leader comes from leading a team)", r)
		}
	}
	if nt.User.IsZero() && len(nt.Roles) == 0 {
		p.Add("role", "a token not tied to a person needs a role")
	}
	ingest := slices.Contains(nt.Roles, org.RoleIngest)
	if ingest && (len(slices.Compact(slices.Clone(nt.Roles))) > 1 || !nt.User.IsZero()) {
		p.Add("role", "an ingest token delivers alerts and nothing else: give it no other role and no person to act as")
	}
	if err := p.Err(); err != nil {
		return org.Token{}, "", err
	}
	secret := newSecret()
	t := org.Token{ID: a.newID(), Name: name, Hash: hashSecret(secret), Actor: nt.User, Roles: withMember(nt.Roles), CreatedAt: a.Now()}
	if ingest {
		t.Roles = []org.Role{org.RoleIngest}
	}
	if t.Actor.IsZero() {
		t.Actor = org.Ref("token:default/" + strings.ToLower(name))
	}
	if nt.TTL > 0 {
		t.ExpiresAt = t.CreatedAt.Add(nt.TTL)
	}
	err := a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		if !nt.User.IsZero() {
			if _, err := tx.Person(nt.User); err != nil {
				return errs.Field("user", "%s is not a person of the org; import the org first", nt.User)
			}
		}
		if err := tx.CreateToken(&t); err != nil {
			return err
		}
		return a.record(tx, actor, "token.create", "token:"+t.ID, tokenRecord{ID: t.ID, Name: t.Name, Actor: string(t.Actor), Roles: t.Roles, ExpiresAt: t.ExpiresAt})
	})
	if err != nil {
		return org.Token{}, "", err
	}
	return t, secret, nil
}

type tokenRecord struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Actor     string     `json:"actor"`
	Roles     []org.Role `json:"roles"`
	ExpiresAt time.Time  `json:"expires_at,omitzero"`
}

func withMember(roles []org.Role) []org.Role {
	out := []org.Role{org.RoleMember}
	for _, r := range roles {
		if r != org.RoleMember {
			out = append(out, r)
		}
	}
	return out
}

// Authenticate turns a bearer secret into the actor it acts as, with the
// leader role added when the person leads a team now. Any failure is
// Unauthenticated, without saying which part failed. What a token
// authenticated as is remembered for a while (authCache says how long, and
// what makes it forget); everything else reads one statement: the token,
// its person and whether they lead a team now.
func (a *App) Authenticate(ctx context.Context, secret string) (org.Actor, error) {
	denied := errs.E(errs.Unauthenticated, "invalid or expired token")
	if !strings.HasPrefix(secret, tokenPrefix) {
		return org.Actor{}, denied
	}
	now := a.Now()
	hash := hashSecret(secret)
	if e, ok := a.tokens.get(ctx, hash, now); ok {
		if now.Sub(e.lastUsed) > time.Hour {
			a.touchToken(ctx, e.tokenID, now)
			a.tokens.touched(hash, now)
		}
		return e.actor, nil
	}
	before := a.tokens.snapshot()
	c, err := a.db.Credential(ctx, hash, now)
	if errors.Is(err, errs.NotFound) {
		return org.Actor{}, denied
	}
	if err != nil {
		return org.Actor{}, err
	}
	t := c.Token
	if !t.IsValidAt(now) {
		return org.Actor{}, denied
	}
	actor := org.Actor{Ref: t.Actor, Roles: t.Roles}
	until := t.ExpiresAt
	if t.Actor.IsPerson() {
		var ok bool
		if actor, ok = personActor(t.Actor, t.Roles, c.Principal, now); !ok {
			return org.Actor{}, denied // the person left: their tokens stop working
		}
		if left := c.Principal.Person.Left; !left.IsZero() && (until.IsZero() || left.Before(until)) {
			until = left
		}
	}
	if until.IsZero() {
		until = now.Add(maxAuthAge)
	}
	lastUsed := t.LastUsedAt
	if now.Sub(lastUsed) > time.Hour {
		a.touchToken(ctx, t.ID, now)
		lastUsed = now
	}
	a.tokens.put(hash, authEntry{actor: actor, tokenID: t.ID, at: now, wall: time.Now(), until: until, lastUsed: lastUsed}, before)
	return actor, nil
}

// touchToken records a token's last use. It is bookkeeping kept at an
// hour's grain, so reads stay reads; it is not audited. It never holds a
// request up for long: when the database is busy, it waits for the next
// use.
func (a *App) touchToken(ctx context.Context, id string, now time.Time) {
	tctx, cancel := context.WithTimeout(ctx, touchTimeout)
	_ = a.db.Update(tctx, func(tx *store.Tx) error { return tx.TouchToken(id, now) })
	cancel()
}

// personActor is the actor of a credential that acts as the person ref
// with the granted roles: the leader role is added when they lead a team
// at now, and there is none (false) when the org has no such person or
// they have left by now. API tokens and web sessions both become actors
// through it, so a person has the same authority either way.
func personActor(ref org.Ref, granted []org.Role, p store.Principal, now time.Time) (org.Actor, bool) {
	if p.Person == nil || !p.Person.IsActiveAt(now) {
		return org.Actor{}, false
	}
	roles := slices.Clone(granted)
	if p.Leads {
		roles = append(roles, org.RoleLeader)
	}
	return org.Actor{Ref: ref, Roles: roles}, true
}

// touchTimeout bounds the wait to record a token's last use.
const touchTimeout = 250 * time.Millisecond

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Tokens lists the API tokens, newest first, without their hashes. Only
// admins see them.
func (a *App) Tokens(ctx context.Context, actor org.Actor) ([]org.Token, error) {
	if err := require(actor, org.RoleAdmin); err != nil {
		return nil, err
	}
	var out []org.Token
	err := a.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Tokens()
		return err
	})
	for i := range out {
		out[i].Hash = ""
	}
	return out, err
}

// RevokeToken revokes the token with the given id, or the only unrevoked
// token of that name. Every server refuses it from then on: this one at
// once, the others within about a second (authCache). Revoking a revoked
// token is a conflict that changes nothing. Only admins revoke.
func (a *App) RevokeToken(ctx context.Context, actor org.Actor, idOrName string) (org.Token, error) {
	key := strings.TrimSpace(idOrName)
	if key == "" {
		return org.Token{}, errs.Field("token", "name the token to revoke, by id or name")
	}
	var t org.Token
	err := a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		var err error
		if t, err = findToken(tx, key); err != nil {
			return err
		}
		revoked, err := tx.RevokeToken(t.ID, a.Now())
		if err != nil {
			return err
		}
		if !revoked {
			return errs.E(errs.Conflict, "token %s (%s) is already revoked", t.Name, t.ID)
		}
		t.RevokedAt = a.Now()
		return a.record(tx, actor, "token.revoke", "token:"+t.ID, tokenRecord{ID: t.ID, Name: t.Name, Actor: string(t.Actor), Roles: t.Roles, ExpiresAt: t.ExpiresAt})
	})
	t.Hash = ""
	return t, err
}

// findToken is the token with id key, or else the one unrevoked token
// named key.
func findToken(tx *store.Tx, key string) (org.Token, error) {
	t, err := tx.Token(key)
	if !errors.Is(err, errs.NotFound) {
		return t, err
	}
	all, err := tx.Tokens()
	if err != nil {
		return org.Token{}, err
	}
	var found []org.Token
	for _, t := range all {
		if t.Name == key && t.RevokedAt.IsZero() {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return org.Token{}, errs.E(errs.NotFound, "no token with id or name %q in force", key)
	case 1:
		return found[0], nil
	}
	return org.Token{}, errs.E(errs.Conflict, "%d tokens in force are named %q: revoke one by its id (blameful token list)", len(found), key)
}
