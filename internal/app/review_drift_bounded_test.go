package app_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestReviewListsDriftBounded: the weekly review reads in full only the
// drift findings it lists, and counts the rest. For every size of list,
// what it lists is the first findings of all drift, in the same order,
// and its total is all of them: CODEOWNERS findings, entities deploying
// from outside (judged in SQL, or stale and judged again in Go, one of
// those now inside), and alert labels naming nothing.
func TestReviewListsDriftBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		admin := apptest.Admin()
		catalog := "version: 1\nentities:\n" +
			"  - {id: component:web, owner: checkout, code: [github.com/acme/shop]}\n" +
			"  - {id: component:web-admin, owner: checkout, code: [github.com/acme/shop]}\n"
		for _, d := range []string{"d1", "d2", "d3", "d4", "d5", "d6"} {
			catalog += "  - {id: component:" + d + ", owner: payments}\n"
		}
		importPaymentsShop(t, a, catalog)
		for i, c := range []struct{ entity, actor string }{
			{"d1", "dee"}, {"d2", "dee"}, {"d3", "dee"}, // platform: outside payments
			{"d4", "cy"}, {"d4", "ada"}, // the later change from inside clears d4
			{"d5", "cy"},        // checkout: outside, and stale below
			{"d6", "plat-lead"}, // outside, then inside once plat-lead is in payments
		} {
			if _, err := a.RecordChange(ctx, admin, app.ChangeInput{Entity: org.MustRef("component:" + c.entity), Ref: "v1",
				Actor: org.MustRef("user:" + c.actor), At: clock.Now().Add(-time.Duration(20-i) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		// Memberships backdated a year make cy's and plat-lead's verdicts
		// stale: cy stays outside payments, plat-lead is now inside.
		err := db.Update(ctx, func(tx *store.Tx) error {
			tx.RecordAudit(audit.Entry{ID: "test-backdate", At: clock.Now(), Actor: "user:default/admin", Action: "test.edge"})
			year := clock.Now().AddDate(-1, 0, 0)
			if err := tx.OpenEdge(org.Edge{ID: "cy-ghosts", Relation: org.MemberOf, Subject: org.MustRef("user:cy"),
				Object: org.MustRef("group:ghosts"), Source: "test", From: year}, clock.Now()); err != nil {
				return err
			}
			return tx.OpenEdge(org.Edge{ID: "plat-pays", Relation: org.MemberOf, Subject: org.MustRef("user:plat-lead"),
				Object: org.MustRef("group:payments"), Source: "test", From: year}, clock.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range []string{"ghost-b", "checkout-api", "ghost-a", "ghost-c"} {
			g := group("g-"+svc, clock.Now().Add(-time.Hour), svc+"-1")
			g.Labels = map[string]string{"alertname": "Down", "service": svc}
			g.Alerts[0].Labels = g.Labels
			if _, err := a.IngestAlerts(ctx, sender, g); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Minute)

		all, err := a.OwnershipDrift(ctx, admin, 0)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, f := range all {
			kinds = append(kinds, string(f.Kind)+" "+string(f.Entity)+f.Label)
		}
		want := []string{
			"codeowners_disagrees component:default/web", "codeowners_disagrees component:default/web-admin",
			"deploys_from_outside component:default/d1", "deploys_from_outside component:default/d2",
			"deploys_from_outside component:default/d3", "deploys_from_outside component:default/d5",
			"unknown_alert_label service=ghost-a", "unknown_alert_label service=ghost-b", "unknown_alert_label service=ghost-c",
		}
		if diff := cmp.Diff(want, kinds); diff != "" {
			t.Fatalf("all drift (-want +got):\n%s", diff)
		}
		for limit := range len(all) + 2 {
			found, total, err := a.ReviewDrift(ctx, limit)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(all) {
				t.Errorf("a list of %d: total %d, want %d", limit, total, len(all))
			}
			if diff := cmp.Diff(all[:min(limit, len(all))], found); diff != "" {
				t.Errorf("a list of %d (-all drift +listed):\n%s", limit, diff)
			}
		}
		rv, err := a.WeeklyReview(ctx, apptest.Person("bob"), review.WeekOf(clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(all, rv.Drift); diff != "" || rv.DriftTotal != len(all) {
			t.Errorf("the review's drift, %d in all (-want +got):\n%s", rv.DriftTotal, diff)
		}
	})
}
