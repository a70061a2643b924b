package demo

import (
	"context"
	"crypto/rand"
	"fmt"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
)

// Login is a demo account and the password it got at load, which is
// printed once and kept nowhere else.
type Login struct {
	// Role says who this is, in words: "an engineer", "a leader", "an
	// admin".
	Role     string
	Email    string
	Person   org.Ref
	Password string
}

// demoAccounts are the people of Larkspur who get an account: an engineer
// in SRE, the leader of Commerce (leader comes from leading the team, not
// from the account), and an admin in Identity.
var demoAccounts = []struct {
	role, id string
	grant    []org.Role
}{
	{"an engineer", "ana.costa", nil},
	{"a leader", "tomas.rivera", nil},
	{"an admin", "arjun.patel", []org.Role{org.RoleAdmin}},
}

// LoginEmails are the emails of the demo's accounts.
func LoginEmails() []string {
	out := make([]string, len(demoAccounts))
	for i, d := range demoAccounts {
		out[i] = d.id + "@larkspur.example"
	}
	return out
}

// createLogins makes the demo's accounts, each with a fresh random
// password.
func createLogins(ctx context.Context, a *app.App) ([]Login, error) {
	emails := LoginEmails()
	out := make([]Login, len(demoAccounts))
	for i, d := range demoAccounts {
		l := Login{Role: d.role, Email: emails[i], Person: org.MustRef("user:" + d.id), Password: rand.Text()}
		na := app.NewAccount{Email: l.Email, Person: l.Person, Roles: d.grant, Password: l.Password}
		if _, _, err := a.CreateAccount(ctx, org.System("demo"), na); err != nil {
			return nil, fmt.Errorf("demo account %s: %w", l.Email, err)
		}
		out[i] = l
	}
	return out, nil
}
