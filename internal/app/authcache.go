package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// authCache remembers the tokens (or, in another cache, the web sessions)
// this server has authenticated, by the hash of their secret, so that a
// request is not a database read before it is anything else (it was 37%
// of an API read's CPU).
//
// What a credential authenticates as changes in three ways, each bounded:
//
//   - A write through blameful (a token revoked, a session ended, an
//     account disabled or given a new password, a person erased, saved or
//     leaving, a leads edge opened, closed or corrected) moves the stored
//     credential epoch in its own transaction. This server sees its own at
//     once (store.DB counts them) and reads the stored epoch at most once
//     per epochPoll, so a change made on another server reaches this one
//     within about a second. Either way every entry is forgotten.
//   - The token's or session's end and the person's leaving date are kept
//     with the entry, which ends at the earliest of them by the app's clock.
//   - Leadership that begins or ends on a date recorded in advance is not a
//     write at that moment: no entry outlives maxAuthAge, on the app's
//     clock or the wall clock, so it takes effect within that.
//
// Failures are never remembered: an unknown secret is read each time.
type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry
	// epoch is the credential epoch the entries were read under.
	epoch store.CredentialEpoch
	// polled is when the stored epoch was last read (wall clock), and
	// polling is set while one request reads it.
	polled  time.Time
	polling atomic.Bool
	db      *store.DB
}

type authEntry struct {
	actor   org.Actor
	tokenID string
	// at is when it was read, on the app's clock and the wall clock; until
	// is when it stops being true (the token's expiry or the person's
	// leaving), on the app's clock.
	at, wall, until time.Time
	lastUsed        time.Time
}

const (
	// epochPoll is how often a server reads the stored credential epoch.
	epochPoll = time.Second
	// maxAuthAge bounds how long an entry is believed.
	maxAuthAge = time.Minute
	// maxAuthEntries bounds the cache; when full it starts again.
	maxAuthEntries = 10000
)

func newAuthCache(db *store.DB) *authCache {
	return &authCache{db: db, entries: map[string]authEntry{}}
}

// get returns the entry for hash if it is still to be believed at now (the
// app's clock).
func (c *authCache) get(ctx context.Context, hash string, now time.Time) (authEntry, bool) {
	c.refresh(ctx)
	c.mu.Lock()
	e, ok := c.entries[hash]
	c.mu.Unlock()
	if !ok {
		return authEntry{}, false
	}
	if now.Before(e.at) || !now.Before(e.until) || now.Sub(e.at) >= maxAuthAge || time.Since(e.wall) >= maxAuthAge {
		return authEntry{}, false
	}
	return e, true
}

// snapshot is the credential epoch the cache stands on now; take it before
// reading a credential, and put what was read under it.
func (c *authCache) snapshot() store.CredentialEpoch {
	c.local()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// put remembers e under hash, provided the credential epoch has not moved
// since the snapshot taken before it was read.
func (c *authCache) put(hash string, e authEntry, before store.CredentialEpoch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != before || c.epoch.Local != c.localNow() {
		return // a credential changed while it was read
	}
	if len(c.entries) >= maxAuthEntries {
		clear(c.entries)
	}
	c.entries[hash] = e
}

// touched records that the token of hash was marked used at t.
func (c *authCache) touched(hash string, t time.Time) {
	c.mu.Lock()
	if e, ok := c.entries[hash]; ok {
		e.lastUsed = t
		c.entries[hash] = e
	}
	c.mu.Unlock()
}

// local forgets the entries if this server has changed a credential since
// they were read.
func (c *authCache) local() {
	n := c.db.LocalCredentialWrites()
	c.mu.Lock()
	defer c.mu.Unlock()
	if n != c.epoch.Local {
		clear(c.entries)
		c.epoch.Local = n
	}
}

// localNow is the store's local count now; c.mu is held.
func (c *authCache) localNow() uint64 { return c.db.LocalCredentialWrites() }

// refresh forgets every entry when a credential has changed: at once for
// this server's own changes, and when the stored epoch has moved, read at
// most once per epochPoll by one request while the others go on. When the
// read fails, the entries are forgotten too: a server that cannot see the
// epoch cannot vouch for them.
func (c *authCache) refresh(ctx context.Context) {
	c.local()
	c.mu.Lock()
	due := time.Since(c.polled) >= epochPoll
	c.mu.Unlock()
	if !due || !c.polling.CompareAndSwap(false, true) {
		return
	}
	defer c.polling.Store(false)
	e, err := c.db.CredentialEpoch(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		clear(c.entries)
		return
	}
	if e.Stored != c.epoch.Stored || e.Local != c.epoch.Local {
		clear(c.entries)
		c.epoch = e
	}
	c.polled = time.Now()
}
