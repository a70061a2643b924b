package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestDecisionTalliesMatchTheRecords: the fairness report's tallies by
// decider, summed by the database, are what accountability.TallyDecisions
// gives over the same decision records (every kind), for every decider and
// for some, counting those made at the moment given and after it.
func TestDecisionTalliesMatchTheRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rng := rand.New(rand.NewPCG(5, 36))
		deciders := []org.Ref{ref("user:vp"), ref("user:cto"), ref("user:hr")}
		since := now.AddDate(0, 0, -30)
		var records []accountability.Decision
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := range 60 {
				in := sampleIncident(incident.FormatID(2026, i+1), now.AddDate(0, 0, -60+i))
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				d := blame.Decision{ID: fmt.Sprintf("d-%d", i), Incident: in.ID, Party: ref("group:payments"), Rule: "A2",
					DecidedBy: ref("user:vp"), DecidedAt: in.StartedAt}
				if err := tx.CreateDecision(&d); err != nil {
					return err
				}
				as := accountability.Assessment{ID: fmt.Sprintf("as-%d", i), Incident: in.ID, Attribution: d.ID, Subject: d.Party, CreatedAt: d.DecidedAt}
				if err := tx.CreateAssessment(&as, accountability.Judgement{Version: 1, PolicyViolation: accountability.NoViolation,
					SetBy: ref("user:vp"), SetAt: d.DecidedAt}); err != nil {
					return err
				}
				prev := ""
				for k, kind := range []accountability.Kind{accountability.KindDecision, accountability.KindAppealOutcome, accountability.KindCorrection}[:1+rng.IntN(3)] {
					at := since.Add(time.Duration(rng.IntN(5)-2) * 24 * time.Hour)
					if rng.IntN(6) == 0 {
						at = since // exactly the moment: counted
					}
					rec := accountability.Decision{ID: fmt.Sprintf("lv-%d-%d", i, k), Assessment: as.ID, Kind: kind,
						Level:     accountability.Level(rng.IntN(5)),
						Guidance:  accountability.Guidance{Level: accountability.Level(rng.IntN(5)), Judged: true},
						DecidedBy: deciders[rng.IntN(len(deciders))], DecidedAt: at, Supersedes: prev, Justification: "j"}
					if err := tx.CreateAssessmentDecision(&rec); err != nil {
						return err
					}
					records, prev = append(records, rec), rec.ID
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Many deciders go as one parameter (inRefs).
		many := slices.Clone(deciders[1:])
		for i := range 100 {
			many = append(many, ref(fmt.Sprintf("user:nobody%03d", i)))
		}
		for _, who := range [][]org.Ref{nil, deciders[:1], deciders[1:], many} {
			var mine []accountability.Decision
			for _, r := range records {
				if !r.DecidedAt.Before(since) && (who == nil || slices.Contains(who, r.DecidedBy)) {
					mine = append(mine, r)
				}
			}
			want := accountability.TallyDecisions(mine)
			var got []accountability.Tally
			if err := db.View(ctx, func(tx *store.Tx) (err error) {
				got, err = tx.DecisionTallies(who, since)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tallies of %v (-records +store):\n%s", who, diff)
			}
			if who == nil && (len(want) != 3 || want[0].Departed == 0 || want[0].DeviationSum == 0) {
				t.Errorf("the data tests too little: %+v", want)
			}
		}
	})
}
