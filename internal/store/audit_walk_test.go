package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// WalkAudit reads PostgreSQL through its own decoding, so it must yield
// exactly what AuditEvents does, field for field, on both engines.
func TestWalkAuditMatchesAuditEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		datas := []string{`{"b":1,"a":[1, 2]}`, ``, `{"text":"naïve \u00e9 ✓"}`, `{}`}
		for i := range 7 {
			err := db.Update(ctx, func(tx *store.Tx) error {
				tx.RecordAudit(audit.Entry{ID: fmt.Sprint("ev-", i), At: now.Add(time.Duration(i) * 1234567 * time.Nanosecond),
					Actor: "user:default/ada", Action: "incident.update", Subject: fmt.Sprint("INC-2026-000", i%3), Data: []byte(datas[i%len(datas)])})
				if i%2 == 0 { // and some record row states
					return tx.SaveTeam(org.Team{Ref: org.MustRef(fmt.Sprint("group:team-", i%4))}, now)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var want []audit.Event
		if err := db.View(ctx, func(tx *store.Tx) error {
			return tx.AuditEvents(0, 0, func(e audit.Event) error { want = append(want, e); return nil })
		}); err != nil || len(want) != 7 || len(want[0].States) == 0 || len(want[1].States) != 0 {
			t.Fatalf("%d events, %v", len(want), err)
		}
		for _, tc := range []struct {
			after int64
			limit int
		}{{0, 0}, {0, 3}, {2, 2}, {5, 0}, {7, 0}} {
			var got []audit.Event
			err := db.WalkAudit(ctx, tc.after, tc.limit, func(e *audit.Event) error {
				c := *e
				c.Data, c.States = bytes.Clone(e.Data), bytes.Clone(e.States)
				// The strings, too, are the reader's until fn returns.
				c.ID, c.Actor, c.Action, c.Subject = strings.Clone(e.ID), strings.Clone(e.Actor), strings.Clone(e.Action), strings.Clone(e.Subject)
				c.PrevHash, c.Hash = strings.Clone(e.PrevHash), strings.Clone(e.Hash)
				got = append(got, c)
				return nil
			})
			end := len(want)
			if tc.limit > 0 {
				end = min(end, int(tc.after)+tc.limit)
			}
			exp := want[tc.after:end]
			if err != nil || len(got) != len(exp) {
				t.Fatalf("after %d, limit %d: %d events, %v; want %d", tc.after, tc.limit, len(got), err, len(exp))
			}
			for i := range exp {
				g, w := got[i], exp[i]
				if !g.At.Equal(w.At) || g.At.Location() != w.At.Location() || !bytes.Equal(g.Data, w.Data) || !bytes.Equal(g.States, w.States) ||
					g.Seq != w.Seq || g.ID != w.ID || g.Actor != w.Actor || g.Action != w.Action || g.Subject != w.Subject ||
					g.Version != w.Version || g.PrevHash != w.PrevHash || g.Hash != w.Hash {
					t.Fatalf("event %d: got %+v, want %+v", w.Seq, g, w)
				}
				if audit.HashOf(got[i]) != exp[i].Hash {
					t.Fatalf("event %d does not hash to its hash", exp[i].Seq)
				}
			}
		}
		// A reader's spans, as verifying reads them side by side.
		r, err := db.AuditReader()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, sp := range [][2]int64{{0, 7}, {0, 3}, {2, 4}, {5, 9}, {7, 7}} {
			var got []audit.Event
			err := r.WalkSpan(ctx, sp[0], sp[1], func(e *audit.Event) error {
				c := *e
				c.Data, c.States = bytes.Clone(e.Data), bytes.Clone(e.States)
				// The strings, too, are the reader's until fn returns.
				c.ID, c.Actor, c.Action, c.Subject = strings.Clone(e.ID), strings.Clone(e.Actor), strings.Clone(e.Action), strings.Clone(e.Subject)
				c.PrevHash, c.Hash = strings.Clone(e.PrevHash), strings.Clone(e.Hash)
				got = append(got, c)
				return nil
			})
			exp := want[sp[0]:min(sp[1], int64(len(want)))]
			if err != nil || len(got) != len(exp) {
				t.Fatalf("span %v: %d events, %v; want %d", sp, len(got), err, len(exp))
			}
			for i := range exp {
				g, w := got[i], exp[i]
				if !g.At.Equal(w.At) || g.At.Location() != w.At.Location() || !bytes.Equal(g.Data, w.Data) || !bytes.Equal(g.States, w.States) ||
					g.Seq != w.Seq || g.ID != w.ID || g.Actor != w.Actor || g.Action != w.Action || g.Subject != w.Subject ||
					g.Version != w.Version || g.PrevHash != w.PrevHash || g.Hash != w.Hash {
					t.Fatalf("span %v, event %d: got %+v, want %+v", sp, w.Seq, g, w)
				}
			}
		}
		// An error from fn stops the walk and comes back.
		stop := errors.New("stop")
		n := 0
		if err := db.WalkAudit(ctx, 0, 0, func(*audit.Event) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
			t.Fatalf("stopping: %v after %d events", err, n)
		}
		// The connection is usable afterwards.
		if err := db.WalkAudit(ctx, 0, 0, func(*audit.Event) error { n++; return nil }); err != nil || n != 8 {
			t.Fatalf("after stopping: %v, %d events", err, n)
		}
	})
}
