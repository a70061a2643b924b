// Package app holds blameful's use cases. It is the only package that
// writes: every change validates its input with the domain packages, opens
// one transaction, loads what it needs, checks the actor's authority, applies
// the pure domain transition, saves, and appends its audit event in the same
// transaction, so a write and its record land together or not at all.
//
// The actor is always an explicit argument. The clock and the ID source are
// injected, so tests are deterministic.
package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/policy"
	"blameful.dev/blameful/internal/store"
)

// App runs the use cases against one database.
type App struct {
	db    *store.DB
	cfg   policy.Policy
	now   func() time.Time
	newID func() string
	log   *slog.Logger
	// passwords hashes and checks login passwords, a few at a time.
	passwords *hasher
	// verifyBatch overrides how many audit events one read of VerifyAudit
	// takes (tests of the hand-over between reads).
	verifyBatch int
	// mapping turns alert labels into a severity and an entity.
	mapping ingest.Mapping
	// ingest commits alert deliveries in groups (ingest_commit.go).
	ingest *committer
	// tokens remembers authenticated tokens (authcache.go).
	tokens *authCache
	// sessions remembers the web sessions this server has checked, as
	// tokens does the API tokens.
	sessions *authCache
	// orgs is this server's copy of the org and catalog (orgsnap.go).
	orgs *orgCache
}

// Option adjusts an App at construction.
type Option func(*App)

// WithClock replaces the wall clock (tests, the demo loader).
func WithClock(now func() time.Time) Option { return func(a *App) { a.now = now } }

// WithIDs replaces the UUIDv7 source (tests).
func WithIDs(next func() string) Option { return func(a *App) { a.newID = next } }

// WithLogger sets the logger for background work.
func WithLogger(l *slog.Logger) Option { return func(a *App) { a.log = l } }

// WithPolicy sets the rules' numbers (the policy file).
func WithPolicy(p policy.Policy) Option { return func(a *App) { a.cfg = p } }

// New returns an App over db.
func New(db *store.DB, opts ...Option) *App {
	a := &App{db: db, cfg: policy.Default(), mapping: ingest.DefaultMapping(), ingest: &committer{}, now: time.Now, log: slog.New(slog.DiscardHandler), passwords: newHasher()}
	for _, o := range opts {
		o(a)
	}
	if a.newID == nil {
		a.newID = uuidV7(a.now)
	}
	a.tokens, a.sessions = newAuthCache(db), newAuthCache(db)
	a.orgs = &orgCache{db: db, log: func(err error) { a.log.Warn("reading the org into memory", "err", err) }}
	return a
}

// Ready reports whether the app can serve: its database answers and holds
// the schema this binary knows. A failure is Unavailable, and its message
// says why (cannot connect, did not answer in time, busy, schema too old
// or too new) in words fit for a readiness probe's reader. It reads only.
func (a *App) Ready(ctx context.Context) error { return a.db.Ready(ctx) }

// Now returns the app's current time in UTC, at the microsecond precision
// the databases keep.
func (a *App) Now() time.Time { return a.now().UTC().Truncate(time.Microsecond) }

// write runs fn in a read-write transaction after checking that the actor
// holds one of roles (none: any authenticated actor).
func (a *App) write(ctx context.Context, actor org.Actor, roles []org.Role, fn func(*store.Tx) error) error {
	if err := require(actor, roles...); err != nil {
		return err
	}
	return a.db.Update(ctx, fn)
}

// read runs fn in a read-only transaction for an authenticated actor.
func (a *App) read(ctx context.Context, actor org.Actor, fn func(*store.Tx) error) error {
	if err := require(actor); err != nil {
		return err
	}
	return a.db.View(ctx, fn)
}

// require checks that the actor is authenticated and holds one of roles.
func require(actor org.Actor, roles ...org.Role) error {
	if actor.Ref.IsZero() {
		return errs.E(errs.Unauthenticated, "authentication required")
	}
	if actor.IngestOnly() && !slices.Contains(roles, org.RoleIngest) {
		return errs.E(errs.Forbidden, "an ingest token can only deliver alerts to /hooks/")
	}
	if len(roles) == 0 || actor.HasAny(roles...) {
		return nil
	}
	names := ""
	for i, r := range roles {
		if i > 0 {
			names += " or "
		}
		names += string(r)
	}
	return errs.E(errs.Forbidden, "this needs the %s role", names)
}

// record appends the audit event for a write inside its transaction. data
// is marshalled to JSON once, and those exact bytes are hashed and kept.
func (a *App) record(tx *store.Tx, actor org.Actor, action, subject string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, subject, err)
	}
	tx.RecordAudit(audit.Entry{ID: a.newID(), At: a.Now(), Actor: string(actor.Ref), Action: action, Subject: subject, Data: b})
	return nil
}

// unchanged reports whether a write would leave a record as it was: the
// same audit record before and after. Such a write is not made, so it
// records no event and moves no updated_at.
func unchanged[T any](before, after *T) bool {
	b, berr := json.Marshal(before)
	a, aerr := json.Marshal(after)
	return berr == nil && aerr == nil && bytes.Equal(a, b)
}

// change is the usual audit payload: the state before and after.
type change[T any] struct {
	Before *T `json:"before,omitempty"`
	After  *T `json:"after,omitempty"`
}

// uuidV7 returns a source of time-ordered UUIDs (RFC 9562 version 7):
// 48 bits of Unix milliseconds, then random bits. Within one millisecond a
// counter keeps them increasing.
func uuidV7(now func() time.Time) func() string {
	var mu sync.Mutex
	var lastMS int64
	var seq uint16
	return func() string {
		mu.Lock()
		ms := now().UnixMilli()
		if ms <= lastMS {
			ms = lastMS
			seq++
		} else {
			lastMS, seq = ms, 0
		}
		s := seq
		mu.Unlock()
		var b [16]byte
		binary.BigEndian.PutUint64(b[0:8], uint64(ms)<<16)
		_, _ = rand.Read(b[8:])
		b[6] = 0x70 | byte(s>>8)&0x0f
		b[7] = byte(s)
		b[8] = 0x80 | b[8]&0x3f
		h := hex.EncodeToString(b[:])
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
}

// At returns a copy of the app whose clock is now. The demo loader uses it
// to write a year of history as it would have happened, each write at its
// own moment.
func (a *App) At(now func() time.Time) *App {
	c := *a
	c.now = now
	return &c
}
