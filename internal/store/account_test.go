package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestAccountsSessionsLinks: accounts round-trip with their person and
// leadership, emails are unique, sessions and links come and go, and an
// erasure takes the account and everything under it.
func TestAccountsSessionsLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acc := org.Account{ID: "acc-1", Email: "ada@example.com", Person: ref("user:ada"), Roles: []org.Role{org.RoleAdmin},
			PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", CreatedAt: now, UpdatedAt: now, PasswordSetAt: now}
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			if err := tx.SavePerson(org.Person{Ref: ref("user:ada"), Name: "Ada", Email: "ada@example.com"}, now); err != nil {
				return err
			}
			if err := tx.OpenEdge(org.Edge{ID: "e1", Relation: org.Leads, Subject: ref("user:ada"), Object: ref("group:payments"), Source: "org"}, now); err != nil {
				return err
			}
			if err := tx.CreateAccount(&acc); err != nil {
				return err
			}
			if err := tx.CreateSession(store.Session{Hash: "s1", Account: acc.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				return err
			}
			return tx.CreateSession(store.Session{Hash: "s2", Account: acc.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			again := acc
			again.ID = "acc-2"
			return tx.CreateAccount(&again)
		})
		if e, ok := errs.As(err); !ok || e.Fields["email"] == "" {
			t.Errorf("a second account with the email: %v", err)
		}

		c, err := db.LoginCredential(ctx, "ada@example.com", now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(acc, c.Account); diff != "" || c.Person == nil || c.Person.Name != "Ada" || !c.Leads {
			t.Errorf("login credential (-want +got):\n%s\nperson %+v leads %v", diff, c.Person, c.Leads)
		}
		if _, err := db.LoginCredential(ctx, "nobody@example.com", now); !errors.Is(err, errs.NotFound) {
			t.Errorf("unknown email: %v", err)
		}
		later := now.Add(time.Minute)
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.TouchSession("s1", later) }); err != nil {
			t.Fatal(err)
		}
		c, err = db.SessionCredential(ctx, "s1", now)
		if err != nil || c.Session.Account != acc.ID || !c.Session.LastSeenAt.Equal(later) || c.Account.Email != acc.Email || !c.Leads {
			t.Fatalf("session credential: %+v %v", c, err)
		}

		// Ending one session names its account; ending the account's ends
		// the rest.
		err = db.Update(ctx, func(tx *store.Tx) error {
			account, err := tx.DeleteSession("s1")
			if err != nil || account != acc.ID {
				t.Errorf("end s1: %q %v", account, err)
			}
			if account, err := tx.DeleteSession("s1"); err != nil || account != "" {
				t.Errorf("end s1 again: %q %v", account, err)
			}
			n, err := tx.DeleteSessions(acc.ID)
			if err != nil || n != 1 {
				t.Errorf("end the rest: %d %v", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SessionCredential(ctx, "s2", now); !errors.Is(err, errs.NotFound) {
			t.Errorf("a session after its account's were ended: %v", err)
		}

		// A link is claimed once, even by racing transactions; a new link
		// removes the unused ones.
		link := store.PasswordLink{Hash: "l1", Account: acc.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.CreatePasswordLink(link) }); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		claims := 0
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				_ = db.Update(ctx, func(tx *store.Tx) error {
					ok, err := tx.ClaimPasswordLink("l1", now)
					if ok {
						mu.Lock()
						claims++
						mu.Unlock()
					}
					return err
				})
			})
		}
		wg.Wait()
		if claims != 1 {
			t.Errorf("the link was claimed %d times", claims)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.CreatePasswordLink(store.PasswordLink{Hash: "l2", Account: acc.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				return err
			}
			if err := tx.CreatePasswordLink(store.PasswordLink{Hash: "l3", Account: acc.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				return err
			}
			if _, _, err := tx.PasswordLink("l2"); !errors.Is(err, errs.NotFound) {
				t.Errorf("a replaced link: %v", err)
			}
			l, a, err := tx.PasswordLink("l1")
			if err != nil || l.UsedAt.IsZero() || a.Email != acc.Email {
				t.Errorf("the used link stays, marked: %+v %v", l, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// The export shows the account without its password hash; erasure
		// removes it.
		err = db.Update(ctx, func(tx *store.Tx) error {
			out, err := tx.ExportPerson(ref("user:ada"))
			if err != nil {
				return err
			}
			rows := out["accounts"]
			if len(rows) != 1 || rows[0]["email"] != "ada@example.com" || rows[0]["password_hash"] != nil {
				t.Errorf("exported accounts: %v", rows)
			}
			recorded(tx)
			return tx.ErasePerson(ref("user:ada"), now)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.LoginCredential(ctx, "ada@example.com", now); !errors.Is(err, errs.NotFound) {
			t.Errorf("an erased person's account: %v", err)
		}
	})
}
