package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/rule"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// declareText declares an incident that started ago before the clock.
func declareText(t *testing.T, a *app.App, title, summary string, ago time.Duration, alerts recurrence.Alerts, entities ...string) incident.Incident {
	t.Helper()
	in := app.IncidentInput{Title: title, Summary: summary, Severity: incident.SEV3, StartedAt: a.Now().Add(-ago), Alerts: alerts}
	for i, e := range entities {
		in.Entities = append(in.Entities, incident.FailedEntity{Ref: org.MustRef(e), Origin: i == 0})
	}
	inc, err := a.DeclareIncident(ctx, apptest.Admin(), in)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// TestRecurrenceCandidates (F6): earlier incidents of the 365 days before
// that share a failed entity, a fingerprint or words come back best first
// with reasons; a later one, one older than 365 days, and one sharing only
// a generic label do not; the text index follows edits of the title and of
// the postmortem's mechanism.
func TestRecurrenceCandidates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		day := 24 * time.Hour
		sameEntity := declareText(t, a, "Checkout API connection pool exhausted", "orders could not be placed", 40*day,
			recurrence.Alerts{Fingerprints: []string{"fp-pool"}}, "component:checkout-api")
		tooOld := declareText(t, a, "Checkout API connection pool exhausted", "orders could not be placed", 400*day,
			recurrence.Alerts{}, "component:checkout-api")
		generic := declareText(t, a, "Stripe webhooks delayed", "", 30*day,
			recurrence.Alerts{Labels: map[string]string{"severity": "critical"}}, "provider:stripe")
		textOnly := declareText(t, a, "Search index rebuild stuck", "the connection pool was exhausted by the rebuild job", 20*day,
			recurrence.Alerts{}, "component:search")
		subject := declareText(t, a, "Checkout connection pool exhausted again", "orders failing at checkout", 2*day,
			recurrence.Alerts{Fingerprints: []string{"fp-pool"}, Labels: map[string]string{"severity": "critical"}}, "component:checkout-api")
		laterOne := declareText(t, a, "Checkout API connection pool exhausted", "", time.Hour, recurrence.Alerts{}, "component:checkout-api")

		got, err := a.RecurrenceCandidates(ctx, apptest.Person("cy"), subject.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []incident.ID
		for _, c := range got {
			ids = append(ids, c.Incident)
		}
		if len(got) == 0 || got[0].Incident != sameEntity.ID {
			t.Fatalf("candidates %v, want %s first", ids, sameEntity.ID)
		}
		for _, no := range []incident.ID{tooOld.ID, generic.ID, laterOne.ID, subject.ID} {
			if slices.Contains(ids, no) {
				t.Errorf("candidates %v include %s", ids, no)
			}
		}
		if !slices.Contains(ids, textOnly.ID) {
			t.Errorf("candidates %v miss the text-only match %s", ids, textOnly.ID)
		}
		reasons := strings.Join(got[0].Reasons, "; ")
		for _, want := range []string{"same failed entity component:default/checkout-api (origin of both)", "shared alert fingerprint fp-pool", "similar text"} {
			if !strings.Contains(reasons, want) {
				t.Errorf("reasons %q lack %q", reasons, want)
			}
		}
		if got[0].Score <= 0 || got[0].Score > 1 {
			t.Errorf("score %v", got[0].Score)
		}

		// The text index follows a new title and a postmortem mechanism.
		clock.Advance(time.Minute)
		title := "Ledger export stalled"
		if _, err := a.UpdateIncident(ctx, apptest.Admin(), generic.ID, app.IncidentPatch{Title: &title}); err != nil {
			t.Fatal(err)
		}
		mech := "the export job exhausted the connection pool to the ledger database"
		if _, err := a.EditPostmortem(ctx, apptest.Admin(), generic.ID, app.PostmortemDoc{Mechanism: &mech}); err != nil {
			t.Fatal(err)
		}
		lookup := declareText(t, a, "Ledger export stalled, pool exhausted", "", time.Hour, recurrence.Alerts{}, "resource:orders-db")
		got, err = a.RecurrenceCandidates(ctx, apptest.Person("cy"), lookup.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].Incident != generic.ID {
			t.Fatalf("after the edits, candidates %+v, want %s first", got, generic.ID)
		}

		// Alert signals come back with the incident and are replaced by a patch.
		fps, labels := []string{"b", "a", "a"}, map[string]string{"alertname": "PoolExhausted"}
		if _, err := a.UpdateIncident(ctx, apptest.Admin(), lookup.ID, app.IncidentPatch{AlertFingerprints: &fps, AlertLabels: &labels}); err != nil {
			t.Fatal(err)
		}
		d, err := a.IncidentDetail(ctx, apptest.Person("cy"), lookup.ID)
		al := d.Alerts
		if err != nil || !slices.Equal(al.Fingerprints, []string{"a", "b"}) || al.Labels["alertname"] != "PoolExhausted" {
			t.Fatalf("alerts %+v %v", al, err)
		}
		bad := map[string]string{"9bad": "x"}
		if _, err := a.UpdateIncident(ctx, apptest.Admin(), lookup.ID, app.IncidentPatch{AlertLabels: &bad}); errs.KindOf(err) != errs.Invalid ||
			!strings.Contains(err.Error(), "alert_labels") {
			t.Fatalf("a bad label: %v", err)
		}
	})
}

// TestRecurrenceF7A7: confirming a recurrence of an incident whose
// follow-up was still open when it started records a missed follow-up
// against its owner (F7), and A7 names that owner; a follow-up closed
// before the start is not missed; dismissing withdraws it (A7 no longer
// fires) and keeps it on record; refusals name F6.
func TestRecurrenceF7A7(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		day := 24 * time.Hour
		earlier := declareText(t, a, "Checkout API connection pool exhausted", "", 60*day, recurrence.Alerts{}, "component:checkout-api")
		clock.Set(earlier.StartedAt.Add(2 * day))
		open, err := a.CreateFollowUp(ctx, apptest.Admin(), app.FollowUpInput{Incident: earlier.ID, Title: "Raise the pool size",
			Owner: org.MustRef("user:bob"), Due: earlier.StartedAt.Add(20 * day).Truncate(day)})
		if err != nil {
			t.Fatal(err)
		}
		closed, err := a.CreateFollowUp(ctx, apptest.Admin(), app.FollowUpInput{Incident: earlier.ID, Title: "Alert on pool use",
			Owner: org.MustRef("user:ada"), Due: earlier.StartedAt.Add(10 * day).Truncate(day)})
		if err != nil {
			t.Fatal(err)
		}
		done := followup.Done
		if _, err := a.UpdateFollowUp(ctx, apptest.Admin(), closed.ID, app.FollowUpPatch{Status: &done}); err != nil {
			t.Fatal(err)
		}
		clock.Set(apptest.Start)
		later := declareText(t, a, "Checkout pool exhausted again", "", 2*day, recurrence.Alerts{}, "component:checkout-api")

		// Not yet confirmed: A7 does not fire.
		if v, err := a.Attribution(ctx, apptest.Person("ada"), later.ID); err != nil || v.Suggestion.Rule == blame.A7 {
			t.Fatalf("before confirming: %v %v", v.Suggestion.Rule, err)
		}
		// Refusals: F6 window, an unknown incident, itself.
		unrelatedLater := declareText(t, a, "x", "", time.Hour, recurrence.Alerts{}, "component:search")
		for _, c := range []struct {
			later, earlier incident.ID
		}{{later.ID, unrelatedLater.ID}, {later.ID, later.ID}, {later.ID, "INC-2019-0001"}} {
			_, _, err := a.DecideRecurrence(ctx, apptest.Person("cy"), c.later, c.earlier, true, "")
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Rule != rule.F6 || e.Fields["earlier"] == "" {
				t.Errorf("%s of %s: %v, want Invalid F6 on earlier", c.later, c.earlier, err)
			}
		}
		if links, err := a.Recurrences(ctx, apptest.Person("cy"), later.ID); err != nil || len(links.Links) != 0 {
			t.Fatalf("a refusal wrote: %+v %v", links, err)
		}

		l, missed, err := a.DecideRecurrence(ctx, apptest.Person("cy"), later.ID, earlier.ID, true, "same pool")
		if err != nil {
			t.Fatal(err)
		}
		if l.State != recurrence.Confirmed || len(missed) != 1 || missed[0].FollowUp != string(open.ID) || missed[0].Owner != org.MustRef("user:bob") {
			t.Fatalf("confirm: %+v %+v", l, missed)
		}
		// Confirming again records nothing twice.
		if _, missed, err = a.DecideRecurrence(ctx, apptest.Person("cy"), later.ID, earlier.ID, true, "same pool"); err != nil || len(missed) != 1 {
			t.Fatalf("confirm again: %+v %v", missed, err)
		}
		v, err := a.Attribution(ctx, apptest.Person("ada"), later.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Suggestion.Rule != blame.A7 || v.Suggestion.Party != org.MustRef("user:bob") ||
			len(v.Suggestion.Evidence) == 0 || !strings.Contains(v.Suggestion.Evidence[0].Detail, string(open.ID)) {
			t.Fatalf("after confirming: %s by %s, %+v", v.Suggestion.Party, v.Suggestion.Rule, v.Suggestion.Evidence)
		}
		// Both directions see the link and its missed follow-up.
		for _, id := range []incident.ID{later.ID, earlier.ID} {
			links, err := a.Recurrences(ctx, apptest.Person("dee"), id)
			if err != nil || len(links.Links) != 1 || len(links.Missed) != 1 {
				t.Fatalf("links of %s: %+v %v", id, links, err)
			}
		}
		// The owner's leader's ledger counts it (J6).
		ledger, err := a.Ledger(ctx, apptest.Person("pay-lead", org.RoleLeader), org.MustRef("user:pay-lead"))
		if err != nil || ledger.MissedTotal != 1 {
			t.Fatalf("ledger: %d %v", ledger.MissedTotal, err)
		}
		// The candidate shows the decision.
		cands, err := a.RecurrenceCandidates(ctx, apptest.Person("cy"), later.ID)
		if err != nil || len(cands) == 0 || cands[0].Decision == nil || cands[0].Decision.State != recurrence.Confirmed {
			t.Fatalf("candidates after confirming: %+v %v", cands, err)
		}

		// Dismissing withdraws the missed follow-up and A7 stops firing.
		clock.Advance(time.Hour)
		if _, _, err := a.DecideRecurrence(ctx, apptest.Person("cy"), later.ID, earlier.ID, false, ""); err != nil {
			t.Fatal(err)
		}
		if v, err := a.Attribution(ctx, apptest.Person("ada"), later.ID); err != nil || v.Suggestion.Rule == blame.A7 {
			t.Fatalf("after dismissing: %v %v", v.Suggestion.Rule, err)
		}
		links, err := a.Recurrences(ctx, apptest.Person("cy"), later.ID)
		if err != nil || len(links.Missed) != 1 || links.Missed[0].IsActive() || links.Links[0].State != recurrence.Dismissed {
			t.Fatalf("after dismissing: %+v %v", links, err)
		}
		if ledger, err := a.Ledger(ctx, apptest.Person("pay-lead", org.RoleLeader), org.MustRef("user:pay-lead")); err != nil || ledger.MissedTotal != 0 {
			t.Fatalf("ledger after dismissing: %d %v", ledger.MissedTotal, err)
		}
		// Confirming again restores it.
		if _, missed, err := a.DecideRecurrence(ctx, apptest.Person("cy"), later.ID, earlier.ID, true, ""); err != nil || len(missed) != 1 {
			t.Fatalf("confirm after dismissal: %+v %v", missed, err)
		}
		if v, err := a.Attribution(ctx, apptest.Person("ada"), later.ID); err != nil || v.Suggestion.Rule != blame.A7 {
			t.Fatalf("after confirming again: %v %v", v.Suggestion.Rule, err)
		}
		// Everything above checks clean in the audit log.
		if rep, err := a.VerifyAudit(ctx, apptest.Admin()); err != nil || !rep.OK {
			t.Fatalf("audit: %+v %v", rep, err)
		}
	})
}
