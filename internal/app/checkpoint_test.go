package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

func TestCheckpointIsRecordedAndQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		declare(t, a, "component:checkout-api")
		s := checkpoint(t, a)
		var head audit.Head
		var queued []store.OutboxMessage
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			if head, err = tx.AuditHead(); err != nil {
				return err
			}
			queued, err = tx.Outbox(app.OutboxCheckpoint, false, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if s.Seq != head.Seq || s.Hash != head.Hash || !s.At.Equal(a.Now()) {
			t.Fatalf("checkpoint %+v of head %+v", s.Checkpoint, head)
		}
		if len(queued) != 1 || queued[0].Recipient != "checkpoint" {
			t.Fatalf("outbox: %+v", queued)
		}
		got, err := audit.ParseCheckpoints(queued[0].Payload)
		if err != nil || len(got) != 1 || got[0].Verify(signingKey.Public().(ed25519.PublicKey)) != nil || got[0].Seq != head.Seq {
			t.Fatalf("queued payload %s: %v", queued[0].Payload, err)
		}
	})
}

func TestCheckpointOfAnEmptyChainIsRefused(t *testing.T) {
	a := app.New(storetest.Open(t, store.SQLite))
	if _, err := a.Checkpoint(ctx, signingKey); !errors.Is(err, errs.Conflict) {
		t.Fatalf("got %v, want Conflict", err)
	}
}

// addEntries writes n timeline entries, one audit event each.
func addEntries(t *testing.T, a *app.App, id incident.ID, n int) {
	t.Helper()
	for range n {
		if _, err := a.AddEntry(ctx, apptest.Admin(), id, app.EntryInput{OccurredAt: a.Now(), Kind: incident.EntryObservation, Text: "still down"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEmitterSchedule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		in := declare(t, a, "component:checkout-api")
		e := &app.CheckpointEmitter{App: a, Key: signingKey, Every: 5, Interval: 10 * time.Minute}
		steps := []struct {
			name string
			do   func()
			want bool
		}{
			{"the first checkpoint is due at once", func() {}, true},
			{"nothing new", func() { clock.Advance(time.Minute) }, false},
			{"a few events, too soon", func() { addEntries(t, a, in.ID, 2); clock.Advance(8 * time.Minute) }, false},
			{"a few events, the interval passed", func() { clock.Advance(time.Minute) }, true},
			{"Every events, too soon", func() { addEntries(t, a, in.ID, 4) }, false},
			{"Every events", func() { addEntries(t, a, in.ID, 1) }, true},
			{"the interval passed, nothing new", func() { clock.Advance(time.Hour) }, false},
			{"one event after a quiet hour", func() { addEntries(t, a, in.ID, 1) }, true},
		}
		for _, st := range steps {
			st.do()
			s, ok, err := e.Tick(ctx)
			if err != nil || ok != st.want {
				t.Fatalf("%s: emitted %v (%v), want %v", st.name, ok, err, st.want)
			}
			if ok && !s.At.Equal(a.Now()) {
				t.Fatalf("%s: checkpoint at %v, clock at %v", st.name, s.At, a.Now())
			}
		}
	})
}

// logged is a slog handler that keeps the checkpoint lines and tells a
// channel about each.
type logged struct {
	slog.Handler
	buf  *bytes.Buffer
	seen chan struct{}
}

func newLogged() *logged {
	buf := new(bytes.Buffer)
	return &logged{Handler: slog.NewJSONHandler(buf, nil), buf: buf, seen: make(chan struct{}, 16)}
}

func (l *logged) Handle(ctx context.Context, r slog.Record) error {
	err := l.Handler.Handle(ctx, r)
	l.seen <- struct{}{}
	return err
}

// TestEmitterRunsUntilCancelled drives Run with manual ticks: it emits at
// once, then on a tick that finds a checkpoint due, and returns when its
// context ends. The log lines alone then verify the chain, as a copy kept
// outside the database would.
func TestEmitterRunsUntilCancelled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		in := declare(t, a, "component:checkout-api")
		log := newLogged()
		ticks := make(chan time.Time)
		e := &app.CheckpointEmitter{App: a, Key: signingKey, Every: 3, Ticks: ticks, Log: slog.New(log)}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { e.Run(runCtx); close(done) }()

		<-log.seen // the first checkpoint, at start
		ticks <- clock.Now()
		addEntries(t, a, in.ID, 3)
		ticks <- clock.Now() // Run has finished the pass before, which found nothing due
		<-log.seen
		cancel()
		<-done

		var cps []audit.SignedCheckpoint
		for line := range strings.SplitSeq(strings.TrimSpace(log.buf.String()), "\n") {
			var rec struct {
				Msg        string          `json:"msg"`
				Checkpoint json.RawMessage `json:"checkpoint"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Msg != "audit checkpoint" {
				t.Fatalf("log line %q: %v", line, err)
			}
			got, err := audit.ParseCheckpoints(rec.Checkpoint)
			if err != nil {
				t.Fatal(err)
			}
			cps = append(cps, got...)
		}
		if len(cps) != 2 || cps[1].Seq != cps[0].Seq+3 {
			t.Fatalf("checkpoints logged: %+v", cps)
		}
		v, err := a.VerifyAudit(ctx, apptest.Admin(), app.AgainstCheckpoints(signingKey.Public().(ed25519.PublicKey),
			app.CheckpointFile{Name: "serve.log", Checkpoints: cps}))
		if err != nil || !v.OK || v.Checkpoints != 2 {
			t.Fatalf("verify against the log: %+v %v", v, err)
		}
	})
}
