package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// These tests play someone with write access to the database who wants to
// change the record: each attack is raw SQL on the audit tables, and each
// must be reported at the event where the history stops being true.

// signingKey is the checkpoint key of these tests.
var signingKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// tampered is a database with a history, checkpoints taken along it, and
// an attacker's own connection to it.
type tampered struct {
	a      *app.App
	db     *store.DB
	engine store.Engine
	conn   *sql.DB
	// events is the chain as written: events[seq-1].
	events []audit.Event
	// first and last are checkpoints signed midway and at the end.
	first, last audit.SignedCheckpoint
}

// n is the number of events written.
func (x *tampered) n() int64 { return int64(len(x.events)) }

// newTampered runs fn per engine on a fresh database holding a few dozen
// real writes, with a checkpoint after the first half and one at the end.
func newTampered(t *testing.T, fn func(t *testing.T, x *tampered)) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			dsn := storetest.DSN(t, engine)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			x := &tampered{db: db, engine: engine, conn: attackerConn(t, dsn)}
			var clock *apptest.Clock
			x.a, clock = apptest.New(t, db)
			writeHistory(t, x.a, clock, 4)
			x.first = checkpoint(t, x.a)
			writeHistory(t, x.a, clock, 4)
			x.last = checkpoint(t, x.a)
			if err := db.View(ctx, func(tx *store.Tx) error {
				return tx.AuditEvents(0, 0, func(e audit.Event) error { x.events = append(x.events, e); return nil })
			}); err != nil {
				t.Fatal(err)
			}
			if x.last.Seq != x.n() || x.n()-x.first.Seq < 12 {
				t.Fatalf("history of %d events, checkpoints at %d and %d", x.n(), x.first.Seq, x.last.Seq)
			}
			fn(t, x)
		})
	}
}

// writeHistory declares incidents, each with a few timeline entries.
func writeHistory(t *testing.T, a *app.App, clock *apptest.Clock, incidents int) {
	t.Helper()
	for i := range incidents {
		in := declare(t, a, "component:checkout-api")
		for j := range 3 {
			clock.Advance(time.Minute)
			if _, err := a.AddEntry(ctx, apptest.Admin(), in.ID, app.EntryInput{
				OccurredAt: a.Now().Add(-time.Minute), Kind: incident.EntryAction, Text: fmt.Sprintf("step %d of incident %d", j, i),
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func checkpoint(t *testing.T, a *app.App) audit.SignedCheckpoint {
	t.Helper()
	s, err := a.Checkpoint(ctx, signingKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// attackerConn opens a connection of the attacker's own, behind the
// product's back.
func attackerConn(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	engine, target, err := store.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	driver := "pgx"
	if engine == store.SQLite {
		driver, target = "sqlite", "file:"+target+"?_pragma=busy_timeout(10000)"
	}
	conn, err := sql.Open(driver, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// try runs one statement written with $n placeholders.
func (x *tampered) try(q string, args ...any) error {
	if x.engine == store.SQLite {
		q = placeholder.ReplaceAllString(q, "?$1")
	}
	_, err := x.conn.Exec(q, args...)
	return err
}

func (x *tampered) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := x.try(q, args...); err != nil {
		t.Fatalf("attack %q: %v", q, err)
	}
}

// moveSeqs adds by to the seq of every event from seq from on, in two
// steps so that no intermediate row collides with another.
func (x *tampered) moveSeqs(t *testing.T, from, by int64) {
	x.exec(t, `UPDATE audit_events SET seq = -(seq + $1) WHERE seq >= $2`, by, from)
	x.exec(t, `UPDATE audit_events SET seq = -seq WHERE seq < 0`)
}

// dropUniqueness removes the primary key and unique constraints of the
// audit events, as an attacker who wants to insert would: PostgreSQL drops
// them, SQLite (which cannot) copies the table without them.
func (x *tampered) dropUniqueness(t *testing.T) {
	if x.engine == store.Postgres {
		x.exec(t, `ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey, DROP CONSTRAINT audit_events_id_key,
			DROP CONSTRAINT audit_events_prev_hash_key, DROP CONSTRAINT audit_events_hash_key`)
		return
	}
	x.exec(t, `CREATE TABLE audit_loose AS SELECT * FROM audit_events`)
	x.exec(t, `DROP TABLE audit_events`)
	x.exec(t, `ALTER TABLE audit_loose RENAME TO audit_events`)
}

// rewindHead makes the recorded head agree with the chain's last event.
func (x *tampered) rewindHead(t *testing.T, seq int64, hash string) {
	x.exec(t, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, hash)
}

// rehashFrom edits the event at seq with edit, then recomputes the hash of
// it and of every event after it, and the head: the chain then holds.
func (x *tampered) rehashFrom(t *testing.T, seq int64, edit func(*audit.Event)) {
	prev := x.events[seq-2].Hash
	for s := seq; s <= x.n(); s++ {
		e := x.events[s-1]
		if s == seq {
			edit(&e)
		}
		e.PrevHash = prev
		e.Hash = audit.HashOf(e)
		x.exec(t, `UPDATE audit_events SET actor = $1, data = $2, prev_hash = $3, hash = $4 WHERE seq = $5`,
			e.Actor, string(e.Data), e.PrevHash, e.Hash, s)
		prev = e.Hash
	}
	x.rewindHead(t, x.n(), prev)
}

// file is how the checkpoints reach verify: through their file format.
func file(t *testing.T, name string, cps ...audit.SignedCheckpoint) app.CheckpointFile {
	t.Helper()
	var b bytes.Buffer
	for _, cp := range cps {
		line, err := json.Marshal(cp)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	parsed, err := audit.ParseCheckpoints(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return app.CheckpointFile{Name: name, Checkpoints: parsed}
}

func (x *tampered) verify(t *testing.T, opts ...app.VerifyOption) app.Verification {
	t.Helper()
	v, err := x.a.VerifyAudit(ctx, apptest.Admin(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (x *tampered) withCheckpoints(t *testing.T) app.VerifyOption {
	return app.AgainstCheckpoints(signingKey.Public().(ed25519.PublicKey), file(t, "checkpoints.jsonl", x.last, x.first))
}

// wantBreak checks that v reports a break at seq whose reason says want.
func wantBreak(t *testing.T, v app.Verification, seq int64, want ...string) {
	t.Helper()
	if v.OK || v.Break == nil || v.Break.Seq != seq {
		t.Fatalf("got %+v (break %+v), want a break at event %d", v, v.Break, seq)
	}
	t.Logf("break at event %d: %s", v.Break.Seq, v.Break.Reason)
	for _, w := range want {
		if !strings.Contains(v.Break.Reason, w) {
			t.Errorf("the reason %q does not say %q", v.Break.Reason, w)
		}
	}
}

func TestUntouchedChainHasNoFalseAlarm(t *testing.T) {
	newTampered(t, func(t *testing.T, x *tampered) {
		if v := x.verify(t); !v.OK || v.Events != x.n() || v.Checkpoints != 0 {
			t.Fatalf("without checkpoints: %+v", v)
		}
		v := x.verify(t, x.withCheckpoints(t))
		if !v.OK || v.Events != x.n() || v.Checkpoints != 2 || v.Head.Hash != x.last.Hash {
			t.Fatalf("with checkpoints: %+v (break %+v)", v, v.Break)
		}
		// A checkpoint is not an event: taking one leaves the chain as it was.
		checkpoint(t, x.a)
		if v := x.verify(t, x.withCheckpoints(t)); !v.OK || v.Events != x.n() {
			t.Fatalf("after another checkpoint: %+v", v)
		}
	})
}

func TestForeignCheckpointsAreRefused(t *testing.T) {
	newTampered(t, func(t *testing.T, x *tampered) {
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
		forged := audit.Sign(x.last.Checkpoint, other)
		changed := x.last
		changed.Hash = x.events[0].Hash
		trusted := signingKey.Public().(ed25519.PublicKey)
		for name, cp := range map[string]audit.SignedCheckpoint{"another key": forged, "changed after signing": changed} {
			_, err := x.a.VerifyAudit(ctx, apptest.Admin(), app.AgainstCheckpoints(trusted, file(t, "ok.jsonl", x.first), file(t, "evil.jsonl", cp)))
			if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "evil.jsonl") {
				t.Errorf("%s: got %v, want an Invalid error naming evil.jsonl", name, err)
			}
		}
	})
}

func TestEveryAttackIsCaught(t *testing.T) {
	tests := []struct {
		name   string
		attack func(t *testing.T, x *tampered)
		// at is the event the break must be reported at.
		at func(x *tampered) int64
		// inside is whether the chain alone shows it; otherwise only a
		// checkpoint does, and verify without one sees nothing.
		inside bool
		reason func(x *tampered) []string
	}{{
		name: "edit a row's data",
		attack: func(t *testing.T, x *tampered) {
			x.exec(t, `UPDATE audit_events SET data = '{}' WHERE seq = $1`, x.mid())
		},
		at: (*tampered).mid, inside: true,
		reason: say("changed after it was written"),
	}, {
		name:   "delete a middle row",
		attack: func(t *testing.T, x *tampered) { x.exec(t, `DELETE FROM audit_events WHERE seq = $1`, x.mid()) },
		at:     (*tampered).mid, inside: true,
		reason: say("missing or out of order"),
	}, {
		name: "swap two rows",
		attack: func(t *testing.T, x *tampered) {
			x.exec(t, `UPDATE audit_events SET seq = -1 WHERE seq = $1`, x.mid())
			x.exec(t, `UPDATE audit_events SET seq = $1 WHERE seq = $2`, x.mid(), x.mid()+1)
			x.exec(t, `UPDATE audit_events SET seq = $1 WHERE seq = -1`, x.mid()+1)
		},
		at: (*tampered).mid, inside: true,
		reason: say("previous hash does not match"),
	}, {
		// The forged event links well to the one before it; the event it
		// pushed along no longer links to it.
		name: "insert a forged row",
		attack: func(t *testing.T, x *tampered) {
			k := x.mid()
			x.dropUniqueness(t)
			x.moveSeqs(t, k, 1)
			forged := audit.Link(audit.Head{Seq: k - 1, Hash: x.events[k-2].Hash}, x.events[k-1].Entry)
			forged.ID, forged.Data = "forged", []byte(`{"after":{"title":"nothing happened"}}`)
			forged.Hash = audit.HashOf(forged)
			x.exec(t, `INSERT INTO audit_events (seq, id, at, actor, action, subject, data, version, prev_hash, hash)
				SELECT $1, $2, at, actor, action, subject, $3, version, $4, $5 FROM audit_events WHERE seq = $6`,
				k, forged.ID, string(forged.Data), forged.PrevHash, forged.Hash, k+1)
			x.rewindHead(t, x.n()+1, x.events[x.n()-1].Hash)
		},
		at:     func(x *tampered) int64 { return x.mid() + 1 },
		inside: true,
		reason: say("previous hash does not match"),
	}, {
		name: "splice out a segment and renumber",
		attack: func(t *testing.T, x *tampered) {
			x.exec(t, `DELETE FROM audit_events WHERE seq BETWEEN $1 AND $2`, x.mid(), x.mid()+2)
			x.moveSeqs(t, x.mid()+3, -3)
			x.rewindHead(t, x.n()-3, x.events[x.n()-1].Hash)
		},
		at: (*tampered).mid, inside: true,
		reason: say("previous hash does not match"),
	}, {
		name: "truncate the tail and rewind the head",
		attack: func(t *testing.T, x *tampered) {
			x.exec(t, `DELETE FROM audit_events WHERE seq > $1`, x.mid())
			x.rewindHead(t, x.mid(), x.events[x.mid()-1].Hash)
		},
		at: func(x *tampered) int64 { return x.mid() + 1 },
		reason: func(x *tampered) []string {
			return []string{fmt.Sprintf("the chain has %d events but a signed checkpoint", x.mid()), fmt.Sprintf("vouches for %d: events were removed", x.n())}
		},
	}, {
		name: "edit, then rehash everything after",
		attack: func(t *testing.T, x *tampered) {
			x.rehashFrom(t, x.mid(), func(e *audit.Event) { e.Data = []byte(`{}`) })
		},
		at: (*tampered).n,
		reason: func(x *tampered) []string {
			return []string{fmt.Sprintf("history up to event %d was rewritten", x.n()),
				fmt.Sprintf("checkpoint of event %d", x.first.Seq), fmt.Sprintf("events %d to %d", x.first.Seq+1, x.n())}
		},
	}, {
		name: "edit before the first checkpoint, then rehash",
		attack: func(t *testing.T, x *tampered) {
			x.rehashFrom(t, 3, func(e *audit.Event) { e.Actor = "user:default/nobody" })
		},
		at: func(x *tampered) int64 { return x.first.Seq },
		reason: func(x *tampered) []string {
			return []string{fmt.Sprintf("no earlier checkpoint matches, so the change lies in events 1 to %d", x.first.Seq)}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			newTampered(t, func(t *testing.T, x *tampered) {
				tt.attack(t, x)
				wantBreak(t, x.verify(t, x.withCheckpoints(t)), tt.at(x), tt.reason(x)...)
				alone := x.verify(t)
				if tt.inside {
					wantBreak(t, alone, tt.at(x), tt.reason(x)...)
				} else if !alone.OK {
					t.Fatalf("without checkpoints the chain was expected to look whole (that is the attack), got %+v", alone.Break)
				}
			})
		})
	}
}

// mid is an event after the first checkpoint, well before the end.
func (x *tampered) mid() int64 { return x.first.Seq + (x.n()-x.first.Seq)/2 }

func say(s ...string) func(*tampered) []string { return func(*tampered) []string { return s } }

// TestChainCannotFork shows that the database itself refuses a second
// event claiming the same predecessor, on both engines.
func TestChainCannotFork(t *testing.T) {
	newTampered(t, func(t *testing.T, x *tampered) {
		k := x.mid()
		rival := audit.Link(audit.Head{Seq: k - 1, Hash: x.events[k-2].Hash}, x.events[k-1].Entry)
		rival.ID, rival.Data = "rival", []byte(`{}`)
		rival.Hash = audit.HashOf(rival)
		// At a new seq only prev_hash's constraint stands in the way; at
		// the seq of the event it rivals, the primary key does too.
		for seq, want := range map[int64]string{x.n() + 1: "prev_hash", k: "unique"} {
			err := x.try(`INSERT INTO audit_events (seq, id, at, actor, action, subject, data, version, prev_hash, hash)
				SELECT $1, $2, at, actor, action, subject, $3, version, $4, $5 FROM audit_events WHERE seq = $6`,
				seq, rival.ID, string(rival.Data), rival.PrevHash, rival.Hash, k)
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") || !strings.Contains(strings.ToLower(err.Error()), want) {
				t.Fatalf("a fork at seq %d: got %v, want a unique violation naming %s", seq, err, want)
			}
		}
		if v := x.verify(t, x.withCheckpoints(t)); !v.OK {
			t.Fatalf("after the refused fork: %+v", v.Break)
		}
	})
}

// TestBreakRaisesOneTamperingFlag is I6: verifying a broken chain with
// FlagBreak raises an open flag for the weekly review, once per break.
func TestBreakRaisesOneTamperingFlag(t *testing.T) {
	newTampered(t, func(t *testing.T, x *tampered) {
		if v := x.verify(t, app.FlagBreak()); !v.OK {
			t.Fatalf("untouched chain: %+v", v.Break)
		}
		x.exec(t, `UPDATE audit_events SET data = '{}' WHERE seq = $1`, x.mid())
		for range 2 {
			if v := x.verify(t, app.FlagBreak()); v.OK {
				t.Fatal("the edit was not caught")
			}
		}
		flags, err := x.a.IntegrityFlags(ctx, apptest.Admin(), "", integrity.Open)
		if err != nil {
			t.Fatal(err)
		}
		var i6 []app.FlagView
		for _, f := range flags {
			if f.Rule == integrity.I6 {
				i6 = append(i6, f)
			}
		}
		if len(i6) != 1 || i6[0].Key != fmt.Sprintf("I6:%d", x.mid()) || !strings.Contains(i6[0].Evidence[0].Detail, "changed after it was written") {
			t.Fatalf("I6 flags after two verifications: %+v", i6)
		}
	})
}

// TestVerifyCrossesBatches reads the chain a few events at a time, so the
// hand-over from one read to the next is crossed many times: an untouched
// chain holds, and an edit is found at its event whichever batch it is in.
func TestVerifyCrossesBatches(t *testing.T) {
	newTampered(t, func(t *testing.T, x *tampered) {
		for _, batch := range []int{1, 5, int(x.n()), int(x.n()) - 1} {
			a := app.New(x.db, app.WithVerifyBatch(batch))
			if v, err := a.VerifyAudit(ctx, apptest.Admin()); err != nil || !v.OK || v.Events != x.n() || v.Head.Hash != x.last.Hash {
				t.Fatalf("batch %d, untouched: %v %+v", batch, err, v)
			}
		}
		x.exec(t, `UPDATE audit_events SET data = '{}' WHERE seq = $1`, x.mid())
		for _, batch := range []int{1, 5, int(x.mid()) - 1, int(x.mid())} {
			v, err := app.New(x.db, app.WithVerifyBatch(batch)).VerifyAudit(ctx, apptest.Admin())
			if err != nil || v.OK || v.Break.Seq != x.mid() || v.Events != x.mid()-1 {
				t.Fatalf("batch %d, edited at %d: %v %+v %+v", batch, x.mid(), err, v, v.Break)
			}
		}
	})
}

// TestServerChecksTheChain: the server's periodic check raises I6 on its
// own, and stops when told.
func TestServerChecksTheChain(t *testing.T) {
	newTampered(t, func(t *testing.T, x *tampered) {
		x.exec(t, `DELETE FROM audit_events WHERE seq = $1`, x.mid())
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); x.a.RunAuditChecks(ctx, time.Hour) }()
		defer func() { cancel(); <-done }()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			flags, err := x.a.IntegrityFlags(ctx, apptest.Admin(), "", integrity.Open)
			if err != nil {
				t.Fatal(err)
			}
			if len(flags) == 1 && flags[0].Rule == integrity.I6 && flags[0].Key == fmt.Sprintf("I6:%d", x.mid()) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no I6 flag after 10s: %+v", flags)
			}
		}
	})
}
