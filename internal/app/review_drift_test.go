package app_test

import (
	"slices"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// A change from outside the owning team is drift; a membership written
// later and backdated before the change makes it inside. While its
// verdict is stale the drift is already right, and the background jobs
// judge it again, from the server's copy of the org.
func TestJobsJudgeStaleChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		if _, err := a.RecordChange(ctx, apptest.Admin(), app.ChangeInput{Entity: org.MustRef("component:checkout-api"), Ref: "v2",
			Actor: org.MustRef("user:dee"), At: clock.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		drifted := func() bool {
			t.Helper()
			found, err := a.OwnershipDrift(ctx, apptest.Admin(), 0)
			if err != nil {
				t.Fatal(err)
			}
			return slices.ContainsFunc(found, func(f review.Finding) bool {
				return f.Kind == review.DeploysFromOutside && f.Entity == org.MustRef("component:checkout-api")
			})
		}
		stale := func() int {
			t.Helper()
			var n int
			if err := db.View(ctx, func(tx *store.Tx) (err error) { n, err = tx.StaleChanges(); return err }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if !drifted() || stale() != 0 {
			t.Fatalf("a change by platform's dee to payments' API: drift %v, %d stale verdicts; want drift, none stale", drifted(), stale())
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			tx.RecordAudit(audit.Entry{ID: "test-backdate", At: clock.Now(), Actor: "user:default/admin", Action: "test.edge"})
			return tx.OpenEdge(org.Edge{ID: "dee-pays", Relation: org.MemberOf, Subject: org.MustRef("user:dee"),
				Object: org.MustRef("group:payments"), Source: "test", From: clock.Now().AddDate(-1, 0, 0)}, clock.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		if drifted() || stale() == 0 {
			t.Fatalf("dee in payments since a year: drift %v, %d stale verdicts; want no drift while the verdict is stale", drifted(), stale())
		}
		// The jobs judge from the server's copy of the org, read again
		// since the membership.
		if err := a.LoadOrg(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.RunJobs(ctx, noDigest); err != nil {
			t.Fatal(err)
		}
		if drifted() || stale() != 0 {
			t.Fatalf("after the jobs: drift %v, %d stale verdicts; want no drift, none stale", drifted(), stale())
		}
	})
}
