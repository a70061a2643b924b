package app_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// status reads the audit log's standing as actor.
func status(t *testing.T, a *app.App, actor org.Actor) app.AuditStatus {
	t.Helper()
	st, err := a.AuditStatus(ctx, actor)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAuditRunsAreRecorded: a verification asked to be recorded is what
// the audit status shows afterwards, with who asked and when; the status
// also shows the last checkpoint and the events written since.
func TestAuditRunsAreRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		ada := apptest.Person("ada")
		st := status(t, a, ada)
		if st.Last != nil || st.Checkpoint != nil || st.Head.Seq == 0 {
			t.Fatalf("before any verification: %+v", st)
		}

		declare(t, a, "component:checkout-api")
		v, err := a.VerifyAudit(ctx, ada, app.Record())
		if err != nil || !v.OK {
			t.Fatalf("verify: %v %+v", err, v)
		}
		st = status(t, a, ada)
		want := audit.Run{At: apptest.Start, By: "user:default/ada", Outcome: v}
		if st.Last == nil {
			t.Fatal("the verification was not recorded")
		}
		got := *st.Last
		got.ID = ""
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("recorded\n%+v\nwant\n%+v", got, want)
		}
		if !st.Last.OK || !st.Last.RowsChecked || st.Last.Units == 0 || st.Last.Head != st.Head {
			t.Errorf("recorded %+v, head now %+v", st.Last, st.Head)
		}

		cp := checkpoint(t, a)
		clock.Advance(time.Hour)
		declare(t, a, "component:checkout-api")
		st = status(t, a, ada)
		if st.Checkpoint == nil || st.Checkpoint.Seq != cp.Seq || st.Checkpoint.Hash != cp.Hash || st.Checkpoint.KeyID != cp.KeyID {
			t.Errorf("checkpoint %+v, want %+v", st.Checkpoint, cp)
		}
		if st.Head.Seq <= st.Last.Head.Seq {
			t.Errorf("head %d after a write, last verified %d", st.Head.Seq, st.Last.Head.Seq)
		}

		// Verifying without Record (the API) leaves the last run alone.
		if _, err := a.VerifyAudit(ctx, ada); err != nil {
			t.Fatal(err)
		}
		if again := status(t, a, ada); again.Last.ID != st.Last.ID {
			t.Errorf("an unrecorded verification replaced the last run: %+v", again.Last)
		}
		// The newest run is the last, whoever asked.
		if _, err := a.VerifyAudit(ctx, org.System("audit-verify"), app.Record()); err != nil {
			t.Fatal(err)
		}
		st = status(t, a, ada)
		if st.Last.By != "system:default/audit-verify" || !st.Last.At.Equal(apptest.Start.Add(time.Hour)) || st.Last.Head != st.Head {
			t.Errorf("after the scheduled run: %+v", st.Last)
		}
	})
}

// TestAuditStatusRefusesTheUnauthenticated: nobody unauthenticated
// verifies or reads the standing, and a refused verification records
// nothing.
func TestAuditStatusRefusesTheUnauthenticated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		nobody := org.Actor{}
		if app.CanVerifyAudit(nobody) || !app.CanVerifyAudit(apptest.Person("ada")) {
			t.Error("CanVerifyAudit: want the unauthenticated refused and a member admitted")
		}
		if _, err := a.AuditStatus(ctx, nobody); !errors.Is(err, errs.Unauthenticated) {
			t.Errorf("status: %v, want Unauthenticated", err)
		}
		if _, err := a.VerifyAudit(ctx, nobody, app.Record()); !errors.Is(err, errs.Unauthenticated) {
			t.Errorf("verify: %v, want Unauthenticated", err)
		}
		if st := status(t, a, apptest.Admin()); st.Last != nil {
			t.Errorf("a refused verification was recorded: %+v", st.Last)
		}
	})
}

// TestBrokenRunsAreRecordedWithTheirFlag: a verification that finds a
// break, or rows changed behind the chain's back, keeps the break's
// reason or the rows, and raises its I6 flag with it.
func TestBrokenRunsAreRecordedWithTheirFlag(t *testing.T) {
	newTampered(t, func(t *testing.T, x *tampered) {
		x.exec(t, `UPDATE incidents SET title = 'nothing happened' WHERE id = (SELECT MIN(id) FROM incidents)`)
		v := x.verify(t, app.FlagBreak(), app.Record())
		st := status(t, x.a, apptest.Admin())
		if v.OK || st.Last == nil || st.Last.OK || st.Last.Break != nil || st.Last.RowFindingCount != 1 ||
			len(st.Last.RowFindings) != 1 || st.Last.RowFindings[0] != v.RowFindings[0] {
			t.Fatalf("rows changed: verified %+v, recorded %+v", v, st.Last)
		}
		if f := st.Last.RowFindings[0]; f.Table != "incidents" || f.Problem != audit.RowChanged {
			t.Errorf("finding %+v", f)
		}

		x.exec(t, `DELETE FROM audit_events WHERE seq = $1`, x.mid())
		v = x.verify(t, app.FlagBreak(), app.Record())
		st = status(t, x.a, apptest.Admin())
		if st.Last == nil || st.Last.OK || st.Last.Break == nil || *st.Last.Break != *v.Break || st.Last.Break.Seq != x.mid() ||
			st.Last.RowsChecked || st.Last.Events != x.mid()-1 {
			t.Fatalf("a removed event: verified %+v, recorded %+v", v, st.Last)
		}
		flags, err := x.a.IntegrityFlags(ctx, apptest.Admin(), "", integrity.Open)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, f := range flags {
			keys[f.Key] = f.Rule == integrity.I6
		}
		if !keys[fmt.Sprintf("I6:%d", x.mid())] || len(flags) != 2 {
			t.Errorf("flags %+v, want I6 for the rows and for event %d", flags, x.mid())
		}
	})
}
