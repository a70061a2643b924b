// Package apptest builds an app over a real store for tests: a fixed,
// settable clock, deterministic IDs, and a small organisation in which each
// entity makes one attribution rule fire.
package apptest

import (
	"context"
	_ "embed"
	"fmt"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

//go:embed org.yaml
var orgFile []byte

// Start is the clock's initial time: a Friday afternoon.
var Start = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Admin is an administrator principal.
func Admin() org.Actor {
	return org.Actor{Ref: "token:default/test-admin", Roles: []org.Role{org.RoleMember, org.RoleAdmin}}
}

// Person acts as someone of the org with the given extra roles.
func Person(name string, roles ...org.Role) org.Actor {
	return org.Actor{Ref: org.MustRef("user:" + name), Roles: append([]org.Role{org.RoleMember}, roles...)}
}

// New returns an app over db with a fixed clock at Start and sequential
// IDs, with the test organisation imported.
func New(t testing.TB, db *store.DB) (*app.App, *Clock) {
	t.Helper()
	clock := &Clock{t: Start}
	var mu sync.Mutex
	n := 0
	ids := func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("00000000-0000-7000-8000-%012d", n)
	}
	a := app.New(db, app.WithClock(clock.Now), app.WithIDs(ids))
	t.Cleanup(a.Close) // before the database closes
	b, err := importer.ParseOrg("apptest/org.yaml", orgFile)
	if err != nil {
		t.Fatalf("test org: %v", err)
	}
	clock.Set(Start.AddDate(-1, 0, 0)) // the org has existed for a year
	if _, err := a.Import(context.Background(), Admin(), b); err != nil {
		t.Fatalf("import test org: %v", err)
	}
	clock.Set(Start)
	return a, clock
}
