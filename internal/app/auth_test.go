package app_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

func mustToken(t *testing.T, a *app.App, nt app.NewToken) string {
	t.Helper()
	_, secret, err := a.CreateToken(ctx, apptest.Admin(), nt)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func denied(t *testing.T, a *app.App, secret, why string) {
	t.Helper()
	if actor, err := a.Authenticate(ctx, secret); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("%s: got %+v, %v; want Unauthenticated", why, actor, err)
	}
}

// TestAuthenticate covers what a token acts as, and that revocation, expiry
// and a person leaving take effect on the very next request.
func TestAuthenticate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)

		ada := mustToken(t, a, app.NewToken{User: "user:default/ada"})
		lead := mustToken(t, a, app.NewToken{User: "user:default/pay-lead"})
		svc := mustToken(t, a, app.NewToken{Name: "ci", Roles: []org.Role{org.RoleAdmin}})
		short := mustToken(t, a, app.NewToken{User: "user:default/bob", TTL: time.Hour})

		got, err := a.Authenticate(ctx, ada)
		if err != nil || got.Ref != "user:default/ada" || !slices.Equal(got.Roles, []org.Role{org.RoleMember}) {
			t.Fatalf("ada: %+v, %v", got, err)
		}
		got, err = a.Authenticate(ctx, lead)
		if err != nil || got.Ref != "user:default/pay-lead" || !slices.Equal(got.Roles, []org.Role{org.RoleMember, org.RoleLeader}) {
			t.Fatalf("leader: %+v, %v", got, err)
		}
		got, err = a.Authenticate(ctx, svc)
		if err != nil || got.Ref != "token:default/ci" || !slices.Equal(got.Roles, []org.Role{org.RoleMember, org.RoleAdmin}) {
			t.Fatalf("service token: %+v, %v", got, err)
		}
		denied(t, a, "bf_not-a-real-token", "unknown token")
		denied(t, a, "not-even-prefixed", "no prefix")
		denied(t, a, ada+"x", "altered secret")

		// Expiry: valid until the last instant before ExpiresAt.
		if _, err := a.Authenticate(ctx, short); err != nil {
			t.Fatalf("fresh short token: %v", err)
		}
		clock.Advance(time.Hour - time.Microsecond)
		if _, err := a.Authenticate(ctx, short); err != nil {
			t.Fatalf("short token just before expiry: %v", err)
		}
		clock.Advance(time.Microsecond)
		denied(t, a, short, "expired token")

		// Revocation (erasing a person revokes their tokens): the next
		// request is refused, right after one that succeeded.
		cy := mustToken(t, a, app.NewToken{User: "user:default/cy"})
		if _, err := a.Authenticate(ctx, cy); err != nil {
			t.Fatalf("cy before erasure: %v", err)
		}
		if err := a.ErasePerson(ctx, apptest.Admin(), "user:default/cy", "asked to be forgotten"); err != nil {
			t.Fatal(err)
		}
		denied(t, a, cy, "revoked token")

		// Leaving: an import that records the day ada left stops her token
		// from that moment, even though it is neither revoked nor expired.
		if _, err := a.Authenticate(ctx, ada); err != nil {
			t.Fatalf("ada before leaving: %v", err)
		}
		leftAt := clock.Now().Add(time.Minute)
		b, err := importer.ParseOrg("left.yaml", []byte("version: 1\npeople:\n  - {id: ada, name: Ada Lovelace, email: ada@example.com, left: "+
			leftAt.Format(time.RFC3339)+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Import(ctx, apptest.Admin(), b); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, ada); err != nil {
			t.Fatalf("ada before her leaving date: %v", err)
		}
		clock.Set(leftAt)
		denied(t, a, ada, "token of a person who left")

	})
}
