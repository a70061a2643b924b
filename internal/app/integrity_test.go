package app_test

import (
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// Each I rule gets a case where it fires and one where it must not.

// flagsOf returns the open and reviewed flags of one incident by rule.
func flagsOf(t *testing.T, a *app.App, id incident.ID) map[integrity.Rule][]app.FlagView {
	t.Helper()
	flags, err := a.IntegrityFlags(ctx, apptest.Admin(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[integrity.Rule][]app.FlagView{}
	for _, f := range flags {
		out[f.Rule] = append(out[f.Rule], f)
	}
	return out
}

func wantFlags(t *testing.T, a *app.App, id incident.ID, rule integrity.Rule, n int, detail string) []app.FlagView {
	t.Helper()
	got := flagsOf(t, a, id)[rule]
	if len(got) != n {
		t.Fatalf("%s: %d %s flag(s), want %d: %+v", id, len(got), rule, n, got)
	}
	for _, f := range got {
		if len(f.Evidence) == 0 || !strings.Contains(f.Evidence[0].Detail, detail) {
			t.Fatalf("%s evidence %+v does not say %q", rule, f.Evidence, detail)
		}
	}
	return got
}

func declareAt(t *testing.T, a *app.App, sev incident.Severity, detected time.Duration) incident.Incident {
	t.Helper()
	now := a.Now()
	in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "x", Severity: sev, StartedAt: now.Add(-detected - time.Minute),
		DetectedAt: now.Add(-detected), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func resolve(t *testing.T, a *app.App, id incident.ID) {
	t.Helper()
	st := incident.StatusResolved
	if _, err := a.UpdateIncident(ctx, apptest.Admin(), id, app.IncidentPatch{Status: &st}); err != nil {
		t.Fatal(err)
	}
}

func TestI1LateDeclaration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		late := declareAt(t, a, incident.SEV2, 2*time.Hour)
		f := wantFlags(t, a, late.ID, integrity.I1, 1, "was declared 2h0m0s after the first signal")
		if f[0].Suspect != ada.Ref {
			t.Fatalf("suspect %s, want the declarer", f[0].Suspect)
		}
		wantFlags(t, a, declareAt(t, a, incident.SEV2, 10*time.Minute).ID, integrity.I1, 0, "")
		wantFlags(t, a, declareAt(t, a, incident.SEV3, 2*time.Hour).ID, integrity.I1, 0, "") // not severe
		// An alert on the timeline is a signal too.
		quiet := declareAt(t, a, incident.SEV1, 5*time.Minute)
		if _, err := a.AddEntry(ctx, bob, quiet.ID, app.EntryInput{OccurredAt: a.Now().Add(-3 * time.Hour), Kind: incident.EntryAlert, Text: "disk 95%"}); err != nil {
			t.Fatal(err)
		}
		wantFlags(t, a, quiet.ID, integrity.I1, 1, "alert: disk 95%")
	})
}

func TestI2RewriteUnderReview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		in := declareAt(t, a, incident.SEV3, time.Minute)
		e, err := a.AddEntry(ctx, bob, in.ID, app.EntryInput{OccurredAt: a.Now(), Kind: incident.EntryAction, Text: "restarted the primary"})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if _, err := a.EditEntry(ctx, bob, in.ID, e.ID, app.EntryInput{OccurredAt: a.Now(), Kind: incident.EntryAction, Text: "restarted the replica"}); err != nil {
			t.Fatal(err)
		}
		wantFlags(t, a, in.ID, integrity.I2, 0, "") // a draft may be corrected freely
		if _, err := a.TransitionPostmortem(ctx, bob, in.ID, postmortem.InReview); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if err := a.DeleteEntry(ctx, bob, in.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		f := wantFlags(t, a, in.ID, integrity.I2, 1, `it said: "restarted the replica"`)
		if f[0].Suspect != bob.Ref {
			t.Fatalf("suspect %s, want the editor", f[0].Suspect)
		}
	})
}

func TestI3DowngradeAfterResolution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		in := declareAt(t, a, incident.SEV2, time.Minute)
		sev3, sev1 := incident.SEV3, incident.SEV1
		if _, err := a.UpdateIncident(ctx, bob, in.ID, app.IncidentPatch{Severity: &sev3}); err != nil {
			t.Fatal(err)
		}
		wantFlags(t, a, in.ID, integrity.I3, 0, "") // while open, a judgement call
		resolve(t, a, in.ID)
		if _, err := a.UpdateIncident(ctx, bob, in.ID, app.IncidentPatch{Severity: &sev1}); err != nil {
			t.Fatal(err)
		}
		wantFlags(t, a, in.ID, integrity.I3, 0, "") // raising it hides nothing
		sev4 := incident.SEV4
		if _, err := a.UpdateIncident(ctx, bob, in.ID, app.IncidentPatch{Severity: &sev4}); err != nil {
			t.Fatal(err)
		}
		wantFlags(t, a, in.ID, integrity.I3, 1, "lowered from SEV1 to SEV4 by user:default/bob after it was resolved")
	})
}

func TestI4LateDisclosure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		id := attributed(t, a, "component:checkout-api", "user:ada", incident.SEV3)
		in, err := a.Incident(ctx, apptest.Admin(), id)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		// A fact from before the incident is background, not disclosure.
		if _, err := a.AddEntry(ctx, bob, id, app.EntryInput{OccurredAt: in.StartedAt.Add(-time.Hour), Kind: incident.EntryObservation, Text: "deploy the day before"}); err != nil {
			t.Fatal(err)
		}
		wantFlags(t, a, id, integrity.I4, 0, "")
		if _, err := a.AddEntry(ctx, bob, id, app.EntryInput{OccurredAt: in.StartedAt.Add(5 * time.Minute), Kind: incident.EntryAction, Text: "I ran the migration by hand"}); err != nil {
			t.Fatal(err)
		}
		f := wantFlags(t, a, id, integrity.I4, 1, `after the attribution was decided`)
		if f[0].Suspect != bob.Ref {
			t.Fatalf("suspect %s, want the author", f[0].Suspect)
		}
	})
}

func TestI5MissingPostmortem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		old := declareAt(t, a, incident.SEV3, time.Minute)
		resolve(t, a, old.ID)
		clock.Advance(10 * 24 * time.Hour) // past 5 business days
		recent := declareAt(t, a, incident.SEV3, time.Minute)
		resolve(t, a, recent.ID)
		for i, want := range []int{1, 0} {
			n, err := a.SweepIntegrity(ctx)
			if err != nil || n != want {
				t.Fatalf("sweep %d raised %d (%v), want %d", i+1, n, err, want)
			}
		}
		wantFlags(t, a, old.ID, integrity.I5, 1, "was due on")
		wantFlags(t, a, recent.ID, integrity.I5, 0, "")
	})
}

func TestI7ReviewAndJ7(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		// Ada's fault, declared two hours late by Ada herself.
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "x", Severity: incident.SEV2, StartedAt: a.Now().Add(-3 * time.Hour),
			DetectedAt: a.Now().Add(-2 * time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.DecideAttribution(ctx, apptest.Admin(), in.ID, org.MustRef("user:ada"), "she ran the change"); err != nil {
			t.Fatal(err)
		}
		flag := wantFlags(t, a, in.ID, integrity.I1, 1, "")[0]

		_, err = a.ReviewFlag(ctx, ada, flag.ID, false, "", "it was fine")
		if errs.KindOf(err) != errs.Forbidden { // a member, and the suspect
			t.Fatalf("the suspect reviewing: %v", err)
		}
		_, err = a.ReviewFlag(ctx, payLead, flag.ID, false, "", " ")
		if errs.KindOf(err) != errs.Invalid {
			t.Fatalf("dismissing without a reason: %v", err)
		}
		if _, err := a.ReviewFlag(ctx, hr, flag.ID, true, org.MustRef("user:ada"), "Ada sat on the page for two hours and said so."); err != nil {
			t.Fatal(err)
		}
		v, err := a.Assessment(ctx, payLead, in.ID)
		if err != nil || !v.Factors.IntegrityViolation {
			t.Fatalf("confirmed flag must set integrity_violation: %v %+v", err, v.Factors)
		}
		judge(t, a, payLead, in.ID, accountability.NotExpect)
		if v, _ = a.Assessment(ctx, payLead, in.ID); v.Guidance.Level < accountability.Formal {
			t.Fatalf("guidance with an integrity violation: %+v", v.Guidance)
		}
		var hrMessages int
		if err := db.View(ctx, func(tx *store.Tx) error {
			msgs, err := tx.Outbox("integrity.confirmed", true, 10)
			hrMessages = len(msgs)
			return err
		}); err != nil || hrMessages != 1 {
			t.Fatalf("HR notified %d times (%v), want once", hrMessages, err)
		}

		// J7: the confirmed violation counts as a prior fault later on, even
		// though the incident itself was judged not hers to prevent.
		clock.Advance(24 * time.Hour)
		next := attributed(t, a, "component:checkout-api", "user:ada", incident.SEV3)
		if v, err := a.Assessment(ctx, payLead, next); err != nil || v.Factors.PriorFaults != 1 {
			t.Fatalf("prior faults after a confirmed violation: %v %d, want 1 (the violation)", err, v.Factors.PriorFaults)
		}

		// A dismissed flag sets nothing.
		other := declareAt(t, a, incident.SEV1, 3*time.Hour)
		if _, err := a.DecideAttribution(ctx, apptest.Admin(), other.ID, org.MustRef("user:bob"), "his deploy"); err != nil {
			t.Fatal(err)
		}
		f2 := wantFlags(t, a, other.ID, integrity.I1, 1, "")[0]
		if _, err := a.ReviewFlag(ctx, payLead, f2.ID, false, "", "the pager was broken that night"); err != nil {
			t.Fatal(err)
		}
		if v, err := a.Assessment(ctx, payLead, other.ID); err != nil || v.Factors.IntegrityViolation {
			t.Fatalf("a dismissed flag must not count: %v %+v", err, v.Factors)
		}
		if _, err := a.ReviewFlag(ctx, payLead, f2.ID, true, org.MustRef("user:bob"), "again"); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("reviewing twice: %v", err)
		}
	})
}

// TestWriteFailsWholeWithoutItsAuditEvent: when the audit event of a write
// cannot be stored, the write is not stored either, on both engines.
func TestWriteFailsWholeWithoutItsAuditEvent(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			a, _ := apptest.New(t, db)
			before, err := a.Incidents(ctx, apptest.Admin(), incident.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if engine == store.SQLite {
				storetest.Exec(t, dsn, `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit refused'); END`)
			} else {
				storetest.Exec(t, dsn, `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`)
				storetest.Exec(t, dsn, `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()`)
			}
			_, err = a.DeclareIncident(ctx, apptest.Admin(), app.IncidentInput{Title: "unrecorded", Severity: incident.SEV3, StartedAt: a.Now().Add(-time.Hour),
				Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
			if err == nil || !strings.Contains(err.Error(), "audit") {
				t.Fatalf("declaring with the audit log refusing: %v, want an error", err)
			}
			after, err := a.Incidents(ctx, apptest.Admin(), incident.Filter{})
			if err != nil || len(after) != len(before) {
				t.Fatalf("the incident was stored without its audit event: %v %d -> %d", err, len(before), len(after))
			}
		})
	}
}
