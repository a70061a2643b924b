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
		p.Add("role", "an ingest token delivers alerts and nothing else: give it no other role and no --user")
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
// Unauthenticated, without saying which part failed.
func (a *App) Authenticate(ctx context.Context, secret string) (org.Actor, error) {
	denied := errs.E(errs.Unauthenticated, "invalid or expired token")
	if !strings.HasPrefix(secret, tokenPrefix) {
		return org.Actor{}, denied
	}
	now := a.Now()
	// One statement reads the token, its person and whether they lead a
	// team now; nothing is cached, so revocation, expiry and leaving take
	// effect on the next request.
	c, err := a.db.Credential(ctx, hashSecret(secret), now)
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
	id := t.ID
	touch := now.Sub(t.LastUsedAt) > time.Hour
	actor := org.Actor{Ref: t.Actor, Roles: t.Roles}
	if t.Actor.IsPerson() {
		var ok bool
		if actor, ok = personActor(t.Actor, t.Roles, c.Principal, now); !ok {
			return org.Actor{}, denied // the person left: their tokens stop working
		}
	}
	if touch {
		// Last use is bookkeeping kept at an hour's grain, so reads stay
		// reads; it is not audited. It never holds a request up for long:
		// when the database is busy, it waits for the next use.
		tctx, cancel := context.WithTimeout(ctx, touchTimeout)
		_ = a.db.Update(tctx, func(tx *store.Tx) error { return tx.TouchToken(id, now) })
		cancel()
	}
	return actor, nil
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
