package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestDecisionDaysOverTime: the review's counts of decisions in force, read
// from the daily counts (decision_days, rule_days, party_starts) between
// UTC midnights, equal the same counts read from the decisions and
// incidents themselves, through decisions made, overridden (A8) and
// superseded by later ones, and incidents whose start moves.
func TestDecisionDaysOverTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rng := rand.New(rand.NewPCG(4, 7))
		midnight := now.Truncate(24 * time.Hour)
		parties := []org.Ref{ref("group:pay"), ref("group:ops"), ref("user:vp"), ref("user:ada")}
		rules := []blame.Rule{"A2", "A3", "A4", "A6"}
		// Every decision is at least an hour into its day, so a window
		// moved a second later holds the same decisions.
		at := func() time.Time {
			return midnight.AddDate(0, 0, -rng.IntN(20)).Add(time.Hour + time.Duration(rng.Int64N(int64(22*time.Hour)))).Truncate(time.Microsecond)
		}
		decide := func(tx *store.Tx, id string, in incident.ID, supersedes string) error {
			s := blame.Suggestion{Party: parties[rng.IntN(len(parties))], Rule: rules[rng.IntN(len(rules))]}
			d := blame.Decision{ID: id, Incident: in, Party: s.Party, Rule: s.Rule, Suggested: s, Supersedes: supersedes,
				DecidedBy: ref("user:vp"), DecidedAt: at()}
			if rng.IntN(4) == 0 {
				d.Party, d.Rule, d.Justification = parties[rng.IntN(len(parties))], "A8", "the catalog is wrong"
			}
			return tx.CreateDecision(&d)
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := range 80 {
				in := sampleIncident(incident.ID(fmt.Sprintf("INC-2026-%04d", i+1)), at().AddDate(0, 0, -rng.IntN(3)))
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				if i%7 == 0 {
					continue // undecided
				}
				if err := decide(tx, fmt.Sprintf("d-%d-1", i), in.ID, ""); err != nil {
					return err
				}
				if i%3 == 0 { // decided again: only the later one is in force
					if err := decide(tx, fmt.Sprintf("d-%d-2", i), in.ID, fmt.Sprintf("d-%d-1", i)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Some incidents start earlier than first recorded.
		err = db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := 0; i < 80; i += 5 {
				in, err := tx.Incident(incident.ID(fmt.Sprintf("INC-2026-%04d", i+1)))
				if err != nil {
					return err
				}
				in.StartedAt = in.StartedAt.AddDate(0, 0, -6)
				if err := tx.UpdateIncident(&in); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		type counts struct {
			Parties []review.PartyRule
			Rules   []review.RuleLine
			A4      map[org.Ref]int
			Trend   map[org.Ref][]int
		}
		read := func(tx *store.Tx, from, to time.Time) (c counts, err error) {
			if c.Parties, err = tx.PartyRules(from, to); err != nil {
				return c, err
			}
			if c.Rules, err = tx.RuleCounts(from, to); err != nil {
				return c, err
			}
			if c.A4, err = tx.LeaderA4Counts(from, to); err != nil {
				return c, err
			}
			// Three weeks from the window's start (PartyWeeks, which the
			// shifted window falls back to, needs two or more).
			c.Trend, err = tx.TeamWeeks(parties, []time.Time{from, from.AddDate(0, 0, 7), from.AddDate(0, 0, 14)})
			return c, err
		}
		seen := 0
		for _, w := range [][2]int{{-7, 0}, {-20, 1}, {-3, -2}, {-40, -25}} {
			from, to := midnight.AddDate(0, 0, w[0]), midnight.AddDate(0, 0, w[1])
			var days, rows counts
			err := db.View(ctx, func(tx *store.Tx) (err error) {
				if days, err = read(tx, from, to); err != nil {
					return err
				}
				rows, err = read(tx, from.Add(time.Second), to.Add(time.Second))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			byParty := func(a, b review.PartyRule) bool { return a.Party+org.Ref(a.Rule) < b.Party+org.Ref(b.Rule) }
			if diff := cmp.Diff(rows, days, cmpopts.SortSlices(byParty), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("[%s, %s): counts from decision_days differ from the decisions' (-decisions +days):\n%s",
					from.Format(time.DateOnly), to.Format(time.DateOnly), diff)
			}
			seen += len(rows.Parties)
		}
		if seen == 0 {
			t.Fatal("no decisions in any window; the test compares nothing")
		}
	})
}
