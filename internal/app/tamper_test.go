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
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/accountability"
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

func (x *tampered) verify(t *testing.T, opts ...app.VerifyOption) audit.Outcome {
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
func wantBreak(t *testing.T, v audit.Outcome, seq int64, want ...string) {
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
		// Every row written so far is vouched for: the org's import and
		// each incident, entry and postmortem.
		if v := x.verify(t); !v.OK || v.Events != x.n() || v.Checkpoints != 0 || !v.RowsChecked || v.Units < int64(len(x.lastRecorded(t))) {
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
		// checkpoint does, and verify without one sees nothing in the
		// chain.
		inside bool
		// byRows is whether the rows show it when the chain alone does
		// not: they outlive the events that recorded them.
		byRows bool
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
			x.exec(t, `INSERT INTO audit_events (seq, id, at, actor, action, subject, data, version, prev_hash, hash, states)
				SELECT $1, $2, at, actor, action, subject, $3, version, $4, $5, states FROM audit_events WHERE seq = $6`,
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
		at:     func(x *tampered) int64 { return x.mid() + 1 },
		byRows: true,
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
				switch {
				case tt.inside:
					wantBreak(t, alone, tt.at(x), tt.reason(x)...)
				case alone.Break != nil:
					t.Fatalf("without checkpoints the chain was expected to look whole (that is the attack), got %+v", alone.Break)
				case tt.byRows:
					x.wantRemovedEvents(t, alone, tt.at(x))
				case !alone.OK:
					t.Fatalf("without checkpoints nothing was expected to show, got %+v", alone)
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
// own, records what it found with the flag, and stops when told.
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
				// The run landed in the flag's transaction.
				if st := status(t, x.a, apptest.Admin()); st.Last == nil || st.Last.Break == nil || st.Last.Break.Seq != x.mid() ||
					st.Last.By != "system:default/audit-verify" {
					t.Fatalf("the scheduled check recorded %+v", st.Last)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no I6 flag after 10s: %+v", flags)
			}
		}
	})
}

// lastRecorded returns, for every unit the chain's events recorded, the
// last event that did, as "table key".
func (x *tampered) lastRecorded(t *testing.T) map[string]int64 {
	t.Helper()
	last := map[string]int64{}
	for _, e := range x.events {
		states, err := audit.ParseStates(e.States)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			last[s.Table+" "+s.Key] = e.Seq
		}
	}
	return last
}

// rowFindings lists v's row findings as "problem table key", sorted.
func rowFindings(t *testing.T, v audit.Outcome) []string {
	t.Helper()
	if int64(len(v.RowFindings)) != v.RowFindingCount {
		t.Fatalf("%d findings listed of %d", len(v.RowFindings), v.RowFindingCount)
	}
	var out []string
	for _, f := range v.RowFindings {
		out = append(out, string(f.Problem)+" "+f.Table+" "+f.Key)
		if !strings.HasPrefix(f.String(), f.Table+" "+f.Key+": ") {
			t.Errorf("%q does not start by naming its row", f)
		}
	}
	slices.Sort(out)
	return out
}

// wantRemovedEvents checks that v, over a chain cut short before event
// from, names every unit last recorded by a removed event as recorded
// beyond the chain's end, and nothing else.
func (x *tampered) wantRemovedEvents(t *testing.T, v audit.Outcome, from int64) {
	t.Helper()
	var want []string
	for unit, seq := range x.lastRecorded(t) {
		if seq >= from {
			want = append(want, string(audit.RowBeyondChain)+" "+unit)
		}
	}
	slices.Sort(want)
	if v.OK || v.Break != nil || !v.RowsChecked || len(want) == 0 {
		t.Fatalf("got %+v, want the rows to show %d units", v, len(want))
	}
	if got := rowFindings(t, v); !slices.Equal(got, want) {
		t.Fatalf("row findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("%d rows, e.g. %s", v.RowFindingCount, v.RowFindings[0])
}

// decided adds an incident whose attribution, assessment and decision are
// decided: the private record an administrator might want to soften.
func (x *tampered) decided(t *testing.T) (incident.ID, string) {
	t.Helper()
	id := attributed(t, x.a, "component:checkout-api", "user:ada", incident.SEV3)
	judge(t, x.a, payLead, id, accountability.Partially)
	v, err := x.a.DecideAssessment(ctx, payLead, id, accountability.Conversation, "")
	if err != nil {
		t.Fatal(err)
	}
	return id, v.Decision.ID
}

// query reads one value with the attacker's connection.
func (x *tampered) query(t *testing.T, q string, args ...any) string {
	t.Helper()
	if x.engine == store.SQLite {
		q = placeholder.ReplaceAllString(q, "?$1")
	}
	var v string
	if err := x.conn.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// TestRowTamperingIsNamed plays an administrator who leaves the audit log
// alone and changes the rows it vouches for, on both engines. Each change
// is found and named, and only it.
func TestRowTamperingIsNamed(t *testing.T) {
	tests := []struct {
		name   string
		attack func(t *testing.T, x *tampered, id incident.ID, decision string) []string
	}{{
		name: "edit an incident's title",
		attack: func(t *testing.T, x *tampered, id incident.ID, _ string) []string {
			x.exec(t, `UPDATE incidents SET title = 'A small blip' WHERE id = $1`, string(id))
			return []string{"changed incidents " + string(id)}
		},
	}, {
		name: "lower a severity",
		attack: func(t *testing.T, x *tampered, id incident.ID, _ string) []string {
			x.exec(t, `UPDATE incidents SET severity = 'SEV4' WHERE id = $1`, string(id))
			return []string{"changed incidents " + string(id)}
		},
	}, {
		name: "soften a decided level",
		attack: func(t *testing.T, x *tampered, _ incident.ID, decision string) []string {
			x.exec(t, `UPDATE assessment_decisions SET level = CASE WHEN level = 0 THEN 1 ELSE 0 END WHERE id = $1`, decision)
			return []string{"changed assessment_decisions " + decision}
		},
	}, {
		name: "move an ownership period",
		attack: func(t *testing.T, x *tampered, _ incident.ID, _ string) []string {
			edge := x.query(t, `SELECT id FROM edges WHERE relation = 'owned_by' AND subject = $1`, "component:default/checkout-api")
			x.exec(t, `UPDATE edges SET valid_from = $1 WHERE id = $2`, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), edge)
			return []string{"changed edges " + edge}
		},
	}, {
		name: "delete a decision",
		attack: func(t *testing.T, x *tampered, _ incident.ID, decision string) []string {
			x.exec(t, `DELETE FROM assessment_decisions WHERE id = $1`, decision)
			return []string{"missing assessment_decisions " + decision}
		},
	}, {
		name: "insert an incident",
		attack: func(t *testing.T, x *tampered, id incident.ID, _ string) []string {
			x.exec(t, `INSERT INTO incidents (id, title, severity, status, summary, impact, source, started_at, detected_at, declared_at,
				mitigated_at, resolved_at, created_by, created_at, updated_at, attribution)
				SELECT 'INC-2026-9999', title, severity, status, summary, impact, source, started_at, detected_at, declared_at,
				mitigated_at, resolved_at, created_by, created_at, updated_at, NULL FROM incidents WHERE id = $1`, string(id))
			return []string{"unrecorded incidents INC-2026-9999"}
		},
	}, {
		name: "put back a failed entity the product removed",
		attack: func(t *testing.T, x *tampered, id incident.ID, _ string) []string {
			x.exec(t, `DELETE FROM incident_entities WHERE incident = $1`, string(id))
			return []string{"missing incident_entities " + string(id)}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			newTampered(t, func(t *testing.T, x *tampered) {
				id, decision := x.decided(t)
				if v := x.verify(t); !v.OK || !v.RowsChecked || v.Units == 0 {
					t.Fatalf("before the attack: %+v", v)
				}
				want := tt.attack(t, x, id, decision)
				v := x.verify(t, app.FlagBreak())
				if v.OK || v.Break != nil || !v.RowsChecked {
					t.Fatalf("got %+v, want row findings and no break", v)
				}
				if got := rowFindings(t, v); !slices.Equal(got, want) {
					t.Fatalf("row findings %v, want %v", got, want)
				}
				t.Logf("%s", v.RowFindings[0])
				x.wantRowFlag(t, v)
			})
		})
	}
}

// wantRowFlag checks that verifying with FlagBreak raised one I6 flag
// naming the first row found, and that verifying again raises no other.
func (x *tampered) wantRowFlag(t *testing.T, v audit.Outcome) {
	t.Helper()
	if again := x.verify(t, app.FlagBreak()); again.RowFindingCount != v.RowFindingCount {
		t.Fatalf("verifying again: %+v", again)
	}
	flags, err := x.a.IntegrityFlags(ctx, apptest.Admin(), "", integrity.Open)
	if err != nil {
		t.Fatal(err)
	}
	first := v.RowFindings[0]
	if len(flags) != 1 || flags[0].Rule != integrity.I6 || flags[0].Key != "I6:row:"+first.Table+" "+first.Key ||
		flags[0].Evidence[0].Detail != first.String() {
		t.Fatalf("flags: %+v", flags)
	}
}

// TestEmptiedChainIsNotWhole: deleting every event and resetting the head
// leaves a chain that holds, of no events, over rows that still exist.
// That is a failure naming the rows, whether or not the row index goes too.
func TestEmptiedChainIsNotWhole(t *testing.T) {
	for _, index := range []bool{false, true} {
		t.Run(fmt.Sprintf("index emptied too: %v", index), func(t *testing.T) {
			t.Parallel()
			newTampered(t, func(t *testing.T, x *tampered) {
				x.exec(t, `DELETE FROM audit_events`)
				x.rewindHead(t, 0, audit.Genesis)
				problem := audit.RowBeyondChain
				if index {
					x.exec(t, `DELETE FROM audit_rows`)
					problem = audit.RowUnrecorded
				}
				v := x.verify(t)
				if v.OK || v.Break != nil || v.Events != 0 || !v.RowsChecked || v.RowFindingCount != v.Units || v.Units < int64(len(x.lastRecorded(t))) {
					t.Fatalf("got %+v", v)
				}
				for _, f := range v.RowFindings {
					if f.Problem != problem {
						t.Fatalf("%s, want %s", f, problem)
					}
				}
				t.Logf("%d rows, e.g. %s", v.RowFindingCount, v.RowFindings[0])
			})
		})
	}
}

// TestRowIndexIsHeldToTheChain: the row index only says where to look; an
// edit to it is a break at the event whose states it no longer holds.
func TestRowIndexIsHeldToTheChain(t *testing.T) {
	tests := []struct {
		name   string
		attack func(t *testing.T, x *tampered, id incident.ID) int64
		reason string
	}{{
		// The edit matches the row, which an attacker also edits: the row
		// check alone would see nothing.
		name: "rehash a row's latest state",
		attack: func(t *testing.T, x *tampered, id incident.ID) int64 {
			seq := x.lastRecorded(t)["incidents "+string(id)]
			x.exec(t, `UPDATE audit_rows SET hash = $1 WHERE tbl = 'incidents' AND key = $2 AND seq = $3`, audit.Genesis, string(id), seq)
			return seq
		},
		reason: "recorded incidents INC-",
	}, {
		name: "drop a row's latest state",
		attack: func(t *testing.T, x *tampered, id incident.ID) int64 {
			seq := x.lastRecorded(t)["incidents "+string(id)]
			x.exec(t, `DELETE FROM audit_rows WHERE tbl = 'incidents' AND key = $1 AND seq = $2`, string(id), seq)
			return seq
		},
		reason: "the index lacks it",
	}, {
		name: "add a state no event recorded",
		attack: func(t *testing.T, x *tampered, id incident.ID) int64 {
			x.exec(t, `INSERT INTO audit_rows (seq, tbl, key, hash) VALUES (3, 'incidents', 'INC-2026-9999', $1)`, audit.Genesis)
			return 3
		},
		reason: "which the event did not record",
	}, {
		name: "add a state before the first event",
		attack: func(t *testing.T, x *tampered, id incident.ID) int64 {
			x.exec(t, `INSERT INTO audit_rows (seq, tbl, key, hash) VALUES (-5, 'incidents', 'INC-2026-9999', $1)`, audit.Genesis)
			return 1
		},
		reason: "for event -5, which cannot exist",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			newTampered(t, func(t *testing.T, x *tampered) {
				seq := tt.attack(t, x, incident.ID(x.query(t, `SELECT id FROM incidents ORDER BY id LIMIT 1`)))
				wantBreak(t, x.verify(t), seq, tt.reason)
			})
		})
	}
}
