package app_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

const goodPassword = "correct horse battery staple"

func mustAccount(t *testing.T, a *app.App, email, person, password string, roles ...org.Role) app.PasswordLink {
	t.Helper()
	_, link, err := a.CreateAccount(ctx, apptest.Admin(), app.NewAccount{Email: email, Person: org.MustRef(person), Roles: roles, Password: password})
	if err != nil {
		t.Fatalf("create account %s: %v", email, err)
	}
	return link
}

func mustLogIn(t *testing.T, a *app.App, email, password string) app.Session {
	t.Helper()
	s, err := a.LogIn(ctx, email, password)
	if err != nil {
		t.Fatalf("log in as %s: %v", email, err)
	}
	return s
}

// refused checks that a login fails with the one message for every cause.
func refused(t *testing.T, a *app.App, email, password, why string) {
	t.Helper()
	_, err := a.LogIn(ctx, email, password)
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.Unauthenticated || e.Message != "That email and password do not match." {
		t.Errorf("%s: got %v; want the one Unauthenticated answer", why, err)
	}
}

func sessionDenied(t *testing.T, a *app.App, token, why string) {
	t.Helper()
	if actor, err := a.SessionActor(ctx, token); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("%s: got %+v, %v; want Unauthenticated", why, actor, err)
	}
}

// TestAccountLogin: what a session acts as, and that every wrong part of a
// login gets the same answer.
func TestAccountLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		mustAccount(t, a, "Ada@Example.com", "user:ada", goodPassword)
		mustAccount(t, a, "lead@example.com", "user:pay-lead", goodPassword)
		mustAccount(t, a, "dee@example.com", "user:dee", goodPassword, org.RoleAdmin, org.RoleHR)
		pending := mustAccount(t, a, "bob@example.com", "user:bob", "")
		if pending.Token == "" {
			t.Fatal("an account without a password got no link")
		}

		for _, tc := range []struct {
			email string
			want  org.Actor
		}{
			{"ada@example.com", org.Actor{Ref: "user:default/ada", Roles: []org.Role{org.RoleMember}}},
			{"  ADA@example.COM ", org.Actor{Ref: "user:default/ada", Roles: []org.Role{org.RoleMember}}},
			{"lead@example.com", org.Actor{Ref: "user:default/pay-lead", Roles: []org.Role{org.RoleMember, org.RoleLeader}}},
			{"dee@example.com", org.Actor{Ref: "user:default/dee", Roles: []org.Role{org.RoleMember, org.RoleAdmin, org.RoleHR}}},
		} {
			s := mustLogIn(t, a, tc.email, goodPassword)
			got, err := a.SessionActor(ctx, s.Token)
			if err != nil || got.Ref != tc.want.Ref || !slices.Equal(got.Roles, tc.want.Roles) {
				t.Errorf("%s: session acts as %+v, %v; want %+v", tc.email, got, err, tc.want)
			}
		}
		refused(t, a, "ada@example.com", goodPassword+"!", "wrong password")
		refused(t, a, "nobody@example.com", goodPassword, "unknown email")
		refused(t, a, "bob@example.com", "", "no password set yet")
		refused(t, a, "ada@example.com", "", "empty password")
		sessionDenied(t, a, "", "no token")
		sessionDenied(t, a, "not-a-session", "unknown token")

		// The rules of an account.
		for _, tc := range []struct {
			name  string
			na    app.NewAccount
			field string
		}{
			{"taken email, other case", app.NewAccount{Email: "ADA@example.com", Person: "user:default/cy"}, "email"},
			{"not an email", app.NewAccount{Email: "ada", Person: "user:default/cy"}, "email"},
			{"not a person", app.NewAccount{Email: "x@example.com", Person: "group:default/payments"}, "person"},
			{"unknown person", app.NewAccount{Email: "x@example.com", Person: "user:default/nobody"}, "person"},
			{"leader is never granted", app.NewAccount{Email: "x@example.com", Person: "user:default/cy", Roles: []org.Role{org.RoleLeader}}, "role"},
			{"short password", app.NewAccount{Email: "x@example.com", Person: "user:default/cy", Password: "short"}, "password"},
		} {
			_, _, err := a.CreateAccount(ctx, apptest.Admin(), tc.na)
			if e, ok := errs.As(err); !ok || e.Fields[tc.field] == "" {
				t.Errorf("%s: got %v; want a problem with %s", tc.name, err, tc.field)
			}
		}
		if _, _, err := a.CreateAccount(ctx, apptest.Person("ada"), app.NewAccount{Email: "x@example.com", Person: "user:default/cy"}); !errors.Is(err, errs.Forbidden) {
			t.Errorf("a member made an account: %v", err)
		}
	})
}

// TestAccountSessionEnds: idle and absolute expiry, logging out here and
// everywhere, disabling, and a person leaving.
func TestAccountSessionEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		mustAccount(t, a, "ada@example.com", "user:ada", goodPassword)
		mustAccount(t, a, "cy@example.com", "user:cy", goodPassword)

		// Idle: a session used within the idle time goes on, one left
		// alone for it ends.
		used := mustLogIn(t, a, "ada@example.com", goodPassword)
		idle := mustLogIn(t, a, "ada@example.com", goodPassword)
		clock.Advance(app.SessionIdle - time.Minute)
		if _, err := a.SessionActor(ctx, used.Token); err != nil {
			t.Fatalf("session just inside the idle time: %v", err)
		}
		clock.Advance(time.Minute)
		sessionDenied(t, a, idle.Token, "idle session")
		if _, err := a.SessionActor(ctx, used.Token); err != nil {
			t.Fatalf("session in use: %v", err)
		}

		// Absolute: however busy, a session ends SessionMax after login.
		for clock.Now().Add(6 * time.Hour).Before(used.ExpiresAt) {
			clock.Advance(6 * time.Hour)
			if _, err := a.SessionActor(ctx, used.Token); err != nil {
				t.Fatalf("busy session at %s: %v", clock.Now(), err)
			}
		}
		clock.Set(used.ExpiresAt)
		sessionDenied(t, a, used.Token, "session past its absolute end")

		// Logging out ends this session only; everywhere ends them all.
		s1 := mustLogIn(t, a, "ada@example.com", goodPassword)
		s2 := mustLogIn(t, a, "ada@example.com", goodPassword)
		s3 := mustLogIn(t, a, "ada@example.com", goodPassword)
		other := mustLogIn(t, a, "cy@example.com", goodPassword)
		if err := a.LogOut(ctx, s1.Token, false); err != nil {
			t.Fatal(err)
		}
		sessionDenied(t, a, s1.Token, "logged out")
		if _, err := a.SessionActor(ctx, s2.Token); err != nil {
			t.Fatalf("another session of the account after one logged out: %v", err)
		}
		if err := a.LogOut(ctx, s2.Token, true); err != nil {
			t.Fatal(err)
		}
		sessionDenied(t, a, s2.Token, "logged out everywhere, the session asking")
		sessionDenied(t, a, s3.Token, "logged out everywhere, another session")
		if _, err := a.SessionActor(ctx, other.Token); err != nil {
			t.Fatalf("someone else's session after ada logged out everywhere: %v", err)
		}

		// Disabling ends the sessions and refuses logins; enabling lets
		// the account log in again.
		s4 := mustLogIn(t, a, "ada@example.com", goodPassword)
		if err := a.SetAccountDisabled(ctx, apptest.Admin(), "ada@example.com", true); err != nil {
			t.Fatal(err)
		}
		sessionDenied(t, a, s4.Token, "disabled account")
		refused(t, a, "ada@example.com", goodPassword, "disabled account")
		if err := a.SetAccountDisabled(ctx, apptest.Admin(), "ada@example.com", false); err != nil {
			t.Fatal(err)
		}
		mustLogIn(t, a, "ada@example.com", goodPassword)

		// Leaving: cy's session stops at the moment the org says she left,
		// and she cannot log in again.
		leftAt := clock.Now().Add(time.Minute)
		b, err := importer.ParseOrg("left.yaml", []byte("version: 1\npeople:\n  - {id: cy, name: Cy Young, left: "+leftAt.Format(time.RFC3339)+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Import(ctx, apptest.Admin(), b); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SessionActor(ctx, other.Token); err != nil {
			t.Fatalf("cy before her leaving date: %v", err)
		}
		clock.Set(leftAt)
		sessionDenied(t, a, other.Token, "session of a person who left")
		refused(t, a, "cy@example.com", goodPassword, "person who left")

		// Erasure removes the account with its email.
		if err := a.ErasePerson(ctx, apptest.Admin(), "user:default/ada", "asked to be forgotten"); err != nil {
			t.Fatal(err)
		}
		refused(t, a, "ada@example.com", goodPassword, "erased person")
		if _, err := a.ResetPassword(ctx, apptest.Admin(), "ada@example.com"); !errors.Is(err, errs.NotFound) {
			t.Errorf("reset of an erased person's account: %v", err)
		}
	})
}

// TestAccountPasswordLink: a link sets the password once, before it
// expires; a reset replaces earlier links and logs the account out.
func TestAccountPasswordLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		link := mustAccount(t, a, "bob@example.com", "user:bob", "")
		if email, err := a.PasswordLinkEmail(ctx, link.Token); err != nil || email != "bob@example.com" {
			t.Fatalf("the link's account: %q, %v", email, err)
		}
		if err := a.SetPassword(ctx, link.Token, "too short"); !errors.Is(err, errs.Invalid) {
			t.Fatalf("a short password: %v", err)
		}
		if err := a.SetPassword(ctx, link.Token, goodPassword); err != nil {
			t.Fatalf("set the password: %v", err)
		}
		s := mustLogIn(t, a, "bob@example.com", goodPassword)
		if err := a.SetPassword(ctx, link.Token, "another long password"); !errors.Is(err, errs.NotFound) {
			t.Fatalf("a used link worked again: %v", err)
		}
		if _, err := a.PasswordLinkEmail(ctx, link.Token); !errors.Is(err, errs.NotFound) {
			t.Fatalf("a used link still opens: %v", err)
		}

		// A reset: the old password works until the new link is used,
		// an earlier reset link stops working, and using the link ends
		// every session.
		first, err := a.ResetPassword(ctx, apptest.Admin(), "BOB@example.com")
		if err != nil {
			t.Fatal(err)
		}
		second, err := a.ResetPassword(ctx, apptest.Admin(), "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetPassword(ctx, first.Token, "a replaced link's password"); !errors.Is(err, errs.NotFound) {
			t.Fatalf("a replaced link worked: %v", err)
		}
		mustLogIn(t, a, "bob@example.com", goodPassword)
		if err := a.SetPassword(ctx, second.Token, "the new long password"); err != nil {
			t.Fatal(err)
		}
		sessionDenied(t, a, s.Token, "session from before the reset")
		refused(t, a, "bob@example.com", goodPassword, "old password after a reset")
		mustLogIn(t, a, "bob@example.com", "the new long password")

		// Expiry: a link works until PasswordLinkTTL has passed.
		late, err := a.ResetPassword(ctx, apptest.Admin(), "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(app.PasswordLinkTTL)
		if err := a.SetPassword(ctx, late.Token, "too late to set this"); !errors.Is(err, errs.NotFound) {
			t.Fatalf("an expired link worked: %v", err)
		}
		if _, err := a.ResetPassword(ctx, apptest.Person("bob"), "bob@example.com"); !errors.Is(err, errs.Forbidden) {
			t.Fatalf("a member made a reset link: %v", err)
		}

		// Every change was audited, with no email and no secret, and the
		// chain still verifies.
		var actions []string
		err = db.View(ctx, func(tx *store.Tx) error {
			return tx.AuditEvents(0, 10000, func(e audit.Event) error {
				if !strings.HasPrefix(e.Action, "account.") {
					return nil
				}
				actions = append(actions, e.Action)
				for _, secret := range []string{"bob@example.com", "argon2", link.Token, first.Token, second.Token, late.Token} {
					if strings.Contains(string(e.Data), secret) || strings.Contains(e.Subject, secret) {
						t.Errorf("audit event %s holds %q: %s", e.Action, secret, e.Data)
					}
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"account.create", "account.password", "account.reset", "account.reset", "account.password", "account.reset"}
		if !slices.Equal(actions, want) {
			t.Errorf("audited %v, want %v", actions, want)
		}
		v, err := a.VerifyAudit(ctx, apptest.Admin())
		if err != nil || !v.OK {
			t.Fatalf("audit chain: %+v %v", v, err)
		}
	})
}
