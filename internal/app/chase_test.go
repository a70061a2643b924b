package app_test

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var noDigest = app.Jobs{NoDigest: true}

// followUpDue creates a follow-up of a fresh incident, owned by owner and
// due days from the clock's day.
func followUpDue(t *testing.T, a *app.App, owner string, days int) followup.FollowUp {
	t.Helper()
	in := declare(t, a, "component:checkout-api")
	f, err := a.CreateFollowUp(ctx, apptest.Admin(), app.FollowUpInput{Incident: in.ID, Title: "Alert on pool saturation",
		Owner: org.MustRef(owner), Due: followup.Day(a.Now()).AddDate(0, 0, days)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// outbox returns the queued messages of a kind as recipient → payloads.
func outbox(t *testing.T, db *store.DB, kind string) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	err := db.View(ctx, func(tx *store.Tx) error {
		ms, err := tx.Outbox(kind, true, 0)
		for _, m := range ms {
			var p map[string]any
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				return err
			}
			out[m.Recipient] = append(out[m.Recipient], p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// F4: a follow-up is reminded to its owner 3 days before it is due and on
// the day, escalated to the owner's leader the day after, and to the next
// leader up 14 days overdue; each step once, whatever how often the jobs
// run. A follow-up due later, or done, is not chased.
func TestF4RemindersAndEscalations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		ada := followUpDue(t, a, "user:ada", 3)
		team := followUpDue(t, a, "group:payments", 3)
		later := followUpDue(t, a, "user:bob", 10)
		done := followUpDue(t, a, "user:cy", 3)
		status := followup.Done
		if _, err := a.UpdateFollowUp(ctx, apptest.Admin(), done.ID, app.FollowUpPatch{Status: &status}); err != nil {
			t.Fatal(err)
		}
		run := func(wantRem, wantEsc int) {
			t.Helper()
			rep, err := a.RunJobs(ctx, noDigest)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Reminders != wantRem || rep.Escalations != wantEsc {
				t.Fatalf("%s: %d reminders, %d escalations; want %d, %d", clock.Now().Format(time.DateOnly), rep.Reminders, rep.Escalations, wantRem, wantEsc)
			}
		}
		run(2, 0) // ada's and the team's, 3 days before
		run(0, 0) // the same day again: nothing new
		clock.Advance(24 * time.Hour)
		run(0, 0) // still before the due date: reminded already
		clock.Advance(2 * 24 * time.Hour)
		run(2, 0) // the due date
		clock.Advance(24 * time.Hour)
		run(0, 2) // overdue: to the leaders
		clock.Advance(13 * 24 * time.Hour)
		// 14 days overdue: to the next leaders up. Bob's, due 10 days after
		// the start, passed its reminders while nobody ran the jobs: it gets
		// the step it is at, an escalation, not the ones it missed.
		run(0, 3)

		d, err := a.FollowUpDetail(ctx, apptest.Admin(), ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range d.Notices {
			got = append(got, string(n.Kind)+" "+string(n.Recipient))
		}
		want := []string{"reminder_before user:default/ada", "reminder_due user:default/ada",
			"escalation user:default/pay-lead", "escalation_up user:default/vp"}
		if len(got) != len(want) {
			t.Fatalf("ada's notices %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("ada's notices %v, want %v", got, want)
			}
		}
		// A team's follow-up escalates above the team: its own leader was
		// reminded with the team.
		td, _ := a.FollowUpDetail(ctx, apptest.Admin(), team.ID)
		if n := td.Notices; len(n) != 4 || n[2].Recipient != "user:default/vp" || n[3].Recipient != "user:default/cto" {
			t.Fatalf("the team's notices: %+v", n)
		}
		if dd, _ := a.FollowUpDetail(ctx, apptest.Admin(), done.ID); len(dd.Notices) != 0 {
			t.Fatalf("a done follow-up was chased: %+v", dd.Notices)
		}
		bd, _ := a.FollowUpDetail(ctx, apptest.Admin(), later.ID)
		if len(bd.Notices) != 1 || bd.Notices[0].Kind != followup.Escalation || bd.Notices[0].Recipient != "user:default/pay-lead" {
			t.Fatalf("bob's notices: %+v", bd.Notices)
		}
		// Every notice is in the outbox, addressed as recorded.
		rem, esc := outbox(t, db, app.OutboxReminder), outbox(t, db, app.OutboxEscalation)
		if len(rem["user:default/ada"]) != 2 || len(esc["user:default/pay-lead"]) != 2 || len(esc["user:default/vp"]) != 2 {
			t.Fatalf("outbox: reminders %v, escalations %v", rem, esc)
		}
		if p := esc["user:default/pay-lead"][0]; p["followup"] != string(ada.ID) || p["step"] != "escalation" {
			t.Fatalf("escalation payload %v", p)
		}
		// Moving the due date starts the chase again.
		newDue := followup.Day(clock.Now()).AddDate(0, 0, 2)
		if _, err := a.UpdateFollowUp(ctx, apptest.Admin(), ada.ID, app.FollowUpPatch{Due: &newDue}); err != nil {
			t.Fatal(err)
		}
		run(1, 0)
		if v, err := a.VerifyAudit(ctx, apptest.Admin()); err != nil || !v.OK {
			t.Fatalf("audit after chasing: %+v %v", v, err)
		}
	})
}

func ruleOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Rule
	}
	return ""
}

// F3: a wont_do waits for the owner's leader, who approves or refuses (with
// a reason); nobody else decides, not the owner, not a peer. A leader who
// marks it wont_do decides at once. Done while waiting withdraws the
// request.
func TestF3WontDoNeedsTheLeader(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		f := followUpDue(t, a, "user:ada", 20)
		wont := followup.WontDo
		reason := "the pool is being replaced next quarter"
		patch := app.FollowUpPatch{Status: &wont, Reason: &reason}
		empty := ""
		if _, err := a.UpdateFollowUp(ctx, apptest.Person("ada"), f.ID, app.FollowUpPatch{Status: &wont, Reason: &empty}); ruleOf(err) != "F3" {
			t.Fatalf("wont_do without a reason: %v", err)
		}
		got, err := a.UpdateFollowUp(ctx, apptest.Person("ada"), f.ID, patch)
		if err != nil || got.Status != followup.Open {
			t.Fatalf("request: %+v %v", got, err)
		}
		d, _ := a.FollowUpDetail(ctx, apptest.Admin(), f.ID)
		if d.Pending == nil || d.Pending.Approver != "user:default/pay-lead" || d.Pending.Reason != reason {
			t.Fatalf("pending request: %+v", d.Pending)
		}
		if p := outbox(t, db, app.OutboxApproval)["user:default/pay-lead"]; len(p) != 1 || p[0]["followup"] != string(f.ID) {
			t.Fatalf("approval request not queued to the leader: %v", p)
		}
		if _, err := a.UpdateFollowUp(ctx, apptest.Person("ada"), f.ID, patch); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("second request while one waits: %v", err)
		}
		for _, who := range []string{"ada", "bob", "co-lead"} {
			if _, err := a.DecideWontDo(ctx, apptest.Person(who), f.ID, true, ""); errs.KindOf(err) != errs.Forbidden || ruleOf(err) != "F3" {
				t.Fatalf("%s approved: %v", who, err)
			}
		}
		if _, err := a.DecideWontDo(ctx, apptest.Person("pay-lead"), f.ID, false, ""); ruleOf(err) != "F3" {
			t.Fatalf("refusal without a reason: %v", err)
		}
		d, err = a.DecideWontDo(ctx, apptest.Person("pay-lead"), f.ID, false, "the replacement may slip; keep the alert")
		if err != nil || d.Status != followup.Open || d.Pending != nil || d.Requests[0].Outcome != followup.Refused {
			t.Fatalf("refused: %+v %v", d, err)
		}
		if p := outbox(t, db, app.OutboxDecided)["user:default/ada"]; len(p) != 1 || p[0]["outcome"] != "refused" {
			t.Fatalf("the requester was not told: %v", p)
		}
		// Asked again, a leader further up approves.
		if _, err := a.UpdateFollowUp(ctx, apptest.Person("ada"), f.ID, patch); err != nil {
			t.Fatal(err)
		}
		d, err = a.DecideWontDo(ctx, apptest.Person("vp"), f.ID, true, "")
		if err != nil || d.Status != followup.WontDo || d.Reason != reason || d.ClosedAt.IsZero() {
			t.Fatalf("approved: %+v %v", d.FollowUp, err)
		}
		if _, err := a.DecideWontDo(ctx, apptest.Person("vp"), f.ID, true, ""); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("nothing waits any more: %v", err)
		}

		// The leader who asks decides at once.
		g := followUpDue(t, a, "user:bob", 20)
		got, err = a.UpdateFollowUp(ctx, apptest.Person("pay-lead"), g.ID, patch)
		if err != nil || got.Status != followup.WontDo {
			t.Fatalf("leader's own wont_do: %+v %v", got, err)
		}
		// A team's follow-up waits for the leader above the team's leader.
		h := followUpDue(t, a, "group:payments", 20)
		if _, err := a.UpdateFollowUp(ctx, apptest.Person("pay-lead"), h.ID, patch); err != nil {
			t.Fatal(err)
		}
		hd, _ := a.FollowUpDetail(ctx, apptest.Admin(), h.ID)
		if hd.Status != followup.Open || hd.Pending == nil || hd.Pending.Approver != "user:default/vp" {
			t.Fatalf("team follow-up: %+v pending %+v", hd.FollowUp, hd.Pending)
		}
		appr, err := a.WontDoApprovals(ctx, apptest.Person("vp"))
		if err != nil || len(appr) != 1 || appr[0].FollowUp.ID != h.ID {
			t.Fatalf("vp's approvals: %+v %v", appr, err)
		}
		if appr, _ := a.WontDoApprovals(ctx, apptest.Person("ada")); len(appr) != 0 {
			t.Fatalf("ada sees approvals: %+v", appr)
		}
		// Done while waiting: the request is withdrawn.
		done := followup.Done
		if _, err := a.UpdateFollowUp(ctx, apptest.Person("pay-lead"), h.ID, app.FollowUpPatch{Status: &done}); err != nil {
			t.Fatal(err)
		}
		hd, _ = a.FollowUpDetail(ctx, apptest.Admin(), h.ID)
		if hd.Pending != nil || hd.Requests[0].Outcome != followup.Withdrawn {
			t.Fatalf("withdrawn: %+v", hd.Requests)
		}
		if v, err := a.VerifyAudit(ctx, apptest.Admin()); err != nil || !v.OK {
			t.Fatalf("audit: %+v %v", v, err)
		}
	})
}

// A4 opens one clarify-ownership follow-up per entity while it is open: a
// second incident on the same unowned entity adds none; once it is closed,
// the next incident opens a new one.
func TestOneClarificationPerEntity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		first := declare(t, a, "component:orphan")
		declare(t, a, "component:orphan")
		open, err := a.FollowUps(ctx, apptest.Admin(), followup.Filter{Rule: "A4", Status: followup.Open})
		if err != nil || len(open) != 1 || open[0].Incident != first.ID {
			t.Fatalf("clarifications: %+v %v", open, err)
		}
		done := followup.Done
		if _, err := a.UpdateFollowUp(ctx, apptest.Person("co-lead"), open[0].ID, app.FollowUpPatch{Status: &done}); err != nil {
			t.Fatal(err)
		}
		third := declare(t, a, "component:orphan")
		open, _ = a.FollowUps(ctx, apptest.Admin(), followup.Filter{Rule: "A4", Status: followup.Open})
		if len(open) != 1 || open[0].Incident != third.ID {
			t.Fatalf("after closing, a new clarification: %+v", open)
		}
		// Another entity gets its own.
		declare(t, a, "component:legacy")
		if open, _ = a.FollowUps(ctx, apptest.Admin(), followup.Filter{Rule: "A4", Status: followup.Open}); len(open) != 2 {
			t.Fatalf("two entities, two clarifications: %+v", open)
		}
	})
}

// Two servers on one database run the jobs at the same moment: every step
// is taken once, the digest is queued once.
func TestJobsRunOnceAcrossServers(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			db1 := openMigrated(t, dsn)
			db2 := openMigrated(t, dsn)
			a1, clock := apptest.New(t, db1)
			a2 := app.New(db2, app.WithClock(clock.Now))
			const n = 30
			for range n {
				followUpDue(t, a1, "user:ada", 0)
			}
			for round := range 3 {
				var wg sync.WaitGroup
				reps := make([]app.JobReport, 2)
				errc := make(chan error, 2)
				for i, a := range []*app.App{a1, a2} {
					wg.Go(func() {
						rep, err := a.RunJobs(ctx, app.Jobs{})
						if err != nil && !errors.Is(err, errs.Unavailable) {
							errc <- err
						}
						reps[i] = rep
					})
				}
				wg.Wait()
				close(errc)
				for err := range errc {
					t.Fatal(err)
				}
				total := reps[0].Reminders + reps[1].Reminders
				if round == 0 && total != n {
					t.Fatalf("%d reminders across two servers, want %d (%+v)", total, n, reps)
				}
				if round > 0 && total != 0 {
					t.Fatalf("round %d sent %d more", round, total)
				}
			}
			if got := len(outbox(t, db1, app.OutboxReminder)["user:default/ada"]); got != n {
				t.Fatalf("%d reminders queued, want %d", got, n)
			}
			digests := outbox(t, db1, app.OutboxDigest)["channel"]
			if len(digests) != 1 {
				t.Fatalf("%d digests queued, want 1", len(digests))
			}
			// The week before the clock's, laid out as review week --format
			// slack prints it.
			if blocks, _ := digests[0]["blocks"].([]any); digests[0]["week"] != "2026-W46" || len(blocks) < 3 {
				t.Fatalf("digest payload: %v", digests[0])
			}
			if v, err := a1.VerifyAudit(ctx, apptest.Admin()); err != nil || !v.OK {
				t.Fatalf("audit: %+v %v", v, err)
			}
		})
	}
}

func openMigrated(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// The digest goes out once a week, after its time, about the week before.
func TestDigestTime(t *testing.T) {
	j, err := app.ParseDigestTime("Mon 09:00")
	if err != nil || j.String() != "Mon 09:00" {
		t.Fatalf("%+v %v", j, err)
	}
	for _, bad := range []string{"", "Funday 09:00", "Mon 25:00", "Mon"} {
		if _, err := app.ParseDigestTime(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if j, _ := app.ParseDigestTime("off"); !j.NoDigest {
		t.Fatal("off")
	}
}

// The weekly review counts the week's follow-through: the reminders sent,
// the escalations with their leaders, and the changes made inside a freeze
// (A6); a week with none shows zeros.
func TestReviewFollowThrough(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		followUpDue(t, a, "user:ada", 3) // due Monday the 23rd
		if _, err := a.RunJobs(ctx, noDigest); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateFreeze(ctx, apptest.Admin(), app.FreezeInput{Start: clock.Now().Add(-time.Hour), End: clock.Now().Add(5 * 24 * time.Hour),
			Everything: true, Reason: "Black Friday"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.RecordChange(ctx, apptest.Admin(), app.ChangeInput{Entity: org.MustRef("component:checkout-api"), Ref: "v2",
			Actor: org.MustRef("user:bob")}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(4 * 24 * time.Hour) // Tuesday: overdue
		if _, err := a.RunJobs(ctx, noDigest); err != nil {
			t.Fatal(err)
		}
		w47, err := a.WeeklyReview(ctx, apptest.Person("dee"), weekOf(apptest.Start))
		if err != nil {
			t.Fatal(err)
		}
		ft := w47.FollowThrough
		if ft.Reminders != 1 || ft.EscalationsTotal != 0 || ft.FreezeBreaksTotal != 1 || ft.FreezeBreaks[0].Actor != "user:default/bob" {
			t.Fatalf("week 47: %+v", ft)
		}
		w48, _ := a.WeeklyReview(ctx, apptest.Person("dee"), weekOf(clock.Now()))
		if ft := w48.FollowThrough; ft.Reminders != 0 || ft.EscalationsTotal != 1 || ft.Escalations[0].Recipient != "user:default/pay-lead" || ft.FreezeBreaksTotal != 0 {
			t.Fatalf("week 48: %+v", ft)
		}
		if w46, _ := a.WeeklyReview(ctx, apptest.Person("dee"), weekOf(apptest.Start).Add(-1)); !w46.FollowThrough.IsEmpty() {
			t.Fatalf("week 46: %+v", w46.FollowThrough)
		}
	})
}
