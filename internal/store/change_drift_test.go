package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestChangeDriftOverTime: whether each change was made from inside its
// entity's owner (change_drift), as recording a change judges it and as
// every way of writing an edge it depends on makes it stale: a membership
// opened backdated, one closed before the change, a team moved out from
// under the owner, an ownership given to an entity that had none. After
// each write, every verdict is either stale or right, the drift the review
// reads from the suspect changes alone is the drift of every change, and
// judging again gives the right verdicts.
func TestChangeDriftOverTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		early := now.AddDate(0, -6, 0)
		day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
		edge := func(id string, rel org.Relation, subj, obj string, from time.Time) org.Edge {
			return org.Edge{ID: id, Relation: rel, Subject: ref(subj), Object: ref(obj), Source: "org", From: from}
		}
		changes := []freeze.Change{
			{ID: "c1", Entity: ref("component:api"), Actor: ref("user:alice"), At: day(10)},   // member of a team under the owner
			{ID: "c2", Entity: ref("component:api"), Actor: ref("user:bob"), At: day(9)},      // member of another team
			{ID: "c3", Entity: ref("component:web"), Actor: ref("user:carol"), At: day(8)},    // the owning person
			{ID: "c4", Entity: ref("component:web"), Actor: ref("user:bob"), At: day(7)},      // not the owning person
			{ID: "c5", Entity: ref("component:orphan"), Actor: ref("user:alice"), At: day(6)}, // no owner
			{ID: "c6", Entity: ref("component:api"), At: day(5)},                              // no actor
			{ID: "c7", Entity: ref("component:db"), Actor: ref("user:dave"), At: day(4)},      // leads the owning team
			{ID: "c8", Entity: ref("component:db"), Actor: ref("user:bob"), At: day(3)},       // in a team under the owner
			{ID: "c9", Entity: ref("component:lone"), Actor: ref("user:bob"), At: day(2)},     // its only change, from outside
		}
		write := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := db.Update(ctx, func(tx *store.Tx) error { recorded(tx); return fn(tx) }); err != nil {
				t.Fatal(err)
			}
		}
		write(func(tx *store.Tx) error {
			for _, tm := range []string{"group:root", "group:pay", "group:pay-api", "group:ops"} {
				if err := tx.SaveTeam(org.Team{Ref: ref(tm), Name: tm}, now); err != nil {
					return err
				}
			}
			for _, p := range []string{"alice", "bob", "carol", "dave"} {
				if err := tx.SavePerson(org.Person{Ref: ref("user:" + p), Name: p}, now); err != nil {
					return err
				}
			}
			for _, e := range []string{"api", "web", "orphan", "db", "lone"} {
				if err := tx.SaveEntity(catalog.Entity{Ref: ref("component:" + e), Kind: catalog.Component}, now); err != nil {
					return err
				}
			}
			for _, e := range []org.Edge{
				edge("t1", org.ChildOf, "group:pay", "group:root", time.Time{}),
				edge("t2", org.ChildOf, "group:pay-api", "group:pay", early),
				edge("t3", org.ChildOf, "group:ops", "group:root", time.Time{}),
				edge("m1", org.MemberOf, "user:alice", "group:pay-api", early),
				edge("m2", org.MemberOf, "user:bob", "group:ops", early),
				edge("l1", org.Leads, "user:dave", "group:root", early),
				edge("o1", org.OwnedBy, "component:api", "group:pay", early),
				edge("o2", org.OwnedBy, "component:web", "user:carol", early),
				edge("o3", org.OwnedBy, "component:db", "group:root", early),
				edge("o5", org.OwnedBy, "component:lone", "group:pay", early),
			} {
				if err := tx.OpenEdge(e, now); err != nil {
					return err
				}
			}
			for i := range changes {
				changes[i].Ref, changes[i].Source, changes[i].RecordedAt = "v1", "ci", now
				if err := tx.CreateChange(&changes[i]); err != nil {
					return err
				}
			}
			return nil
		})
		found := 0 // findings over all steps: the comparison needs some
		check := func(step string, want map[string]string) {
			t.Helper()
			var got map[string]string
			var suspect, all []review.Finding
			var suspects []store.DriftSuspect
			err := db.View(ctx, func(tx *store.Tx) error {
				var err error
				if got, err = tx.ChangeDriftStates(); err != nil {
					return err
				}
				if suspects, err = tx.DriftSuspects(day(90), now); err != nil {
					return err
				}
				f, err := tx.DriftFacts(now, 90, tx)
				if err != nil {
					return err
				}
				suspect = review.Drift(f)
				if f.Changes, err = tx.Changes(store.ChangeFilter{Since: day(90), Before: now}); err != nil {
					return err
				}
				f.Edges, err = tx.Edges(store.EdgeFilter{})
				all = review.Drift(f)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for id, w := range want {
				if got[id] != w && got[id] != "stale" {
					t.Errorf("%s: change %s is %s, want %s (or stale)", step, id, got[id], w)
				}
			}
			if diff := cmp.Diff(all, suspect); diff != "" {
				t.Errorf("%s: drift from the suspect changes differs from drift of them all (-all +suspect):\n%s", step, diff)
			}
			// A bounded list counts a suspect whose changes are all judged
			// as a finding without reading them: every finding must be a
			// suspect, and every judged suspect a finding.
			drifted := map[org.Ref]bool{}
			for _, f := range all {
				if f.Kind == review.DeploysFromOutside {
					drifted[f.Entity] = true
				}
			}
			for _, s := range suspects {
				if !s.Stale && !drifted[s.Entity] {
					t.Errorf("%s: %s is a suspect with its changes judged, and no finding", step, s.Entity)
				}
				delete(drifted, s.Entity)
			}
			for e := range drifted {
				t.Errorf("%s: %s drifted and is no suspect", step, e)
			}
			found += len(all)
			write(func(tx *store.Tx) error { _, err := judgeStale(tx, 100); return err })
			if err := db.View(ctx, func(tx *store.Tx) (err error) { got, err = tx.ChangeDriftStates(); return err }); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: verdicts after judging again (-want +got):\n%s", step, diff)
			}
		}
		want := map[string]string{"c1": "inside", "c2": "outside", "c3": "inside", "c4": "outside", "c5": "unjudged",
			"c6": "unjudged", "c7": "inside", "c8": "inside", "c9": "outside"}
		check("recorded", want)

		// bob joins payments' API team, backdated before his change.
		write(func(tx *store.Tx) error {
			return tx.OpenEdge(edge("m3", org.MemberOf, "user:bob", "group:pay-api", early), now)
		})
		want["c2"], want["c9"] = "inside", "inside"
		check("bob joins, backdated", want)

		// alice left before her change.
		write(func(tx *store.Tx) error {
			e := edge("m1", org.MemberOf, "user:alice", "group:pay-api", early)
			e.To = day(12)
			return tx.CloseEdge(e)
		})
		want["c1"] = "outside"
		check("alice left earlier", want)

		// The API team is moved out from under payments before bob's change.
		write(func(tx *store.Tx) error {
			e := edge("t2", org.ChildOf, "group:pay-api", "group:pay", early)
			e.To = day(11)
			return tx.CloseEdge(e)
		})
		want["c2"], want["c9"] = "outside", "outside"
		check("team moved out", want)

		// The orphan gets an owner from long ago; alice is not in it.
		write(func(tx *store.Tx) error {
			return tx.OpenEdge(edge("o4", org.OwnedBy, "component:orphan", "group:ops", early), now)
		})
		want["c5"] = "outside"
		check("orphan owned, backdated", want)

		// The ownership of the orphan starts later than told: corrected.
		write(func(tx *store.Tx) error {
			return tx.CorrectEdge(edge("o4", org.OwnedBy, "component:orphan", "group:ops", day(1)))
		})
		want["c5"] = "unjudged"
		check("orphan's ownership corrected", want)
		if found < 3 {
			t.Errorf("%d drift findings over all the steps; the test needs more", found)
		}
	})
}
