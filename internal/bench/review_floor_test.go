package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/policy"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// productTimed makes the store reads app.WeeklyReview makes for week at
// now, in one read transaction, in the same order, adding each one's time
// to took under a short name: where the product's time goes. The pure
// building of the review (review.Build, review.Drift, the freeze check of
// the week's changes) is left out.
func productTimed(ctx context.Context, db *store.DB, now time.Time, week review.Week, took map[string]time.Duration) error {
	from, to := week.Start(), week.End()
	asOf := minT(to, now)
	today := followup.Day(asOf)
	return db.View(ctx, func(tx *store.Tx) error {
		if err := tx.PlanWithValues(); err != nil { // as app.WeeklyReview
			return err
		}
		step := func(name string, fn func() error) error {
			start := time.Now()
			err := fn()
			took[name] += time.Since(start)
			return err
		}
		parties := map[org.Ref]int{}
		var (
			suspects    []store.DriftSuspect
			labels      []review.AlertLabel
			names       map[string]bool
			shownLabels []review.AlertLabel
		)
		late := followup.Filter{Status: followup.Open, DueBefore: today, Limit: review.ListLimit}
		steps := []struct {
			name string
			fn   func() error
		}{
			{"severity counts (5 weeks)", func() error {
				var starts []time.Time
				for i := range 5 {
					starts = append(starts, week.Add(i-4).Start())
				}
				_, err := tx.SeverityWeeks(starts, to)
				return err
			}},
			{"week's incidents", func() error { _, err := tx.WeekIncidents(from, to, review.ListLimit); return err }},
			{"open postmortems", func() error { // as app.waitingPostmortems
				if _, err := tx.WaitingPostmortems(store.WaitingFilter{InReview: true, Limit: review.ListLimit}); err != nil {
					return err
				}
				if _, err := tx.CountWaitingPostmortems(store.WaitingFilter{InReview: true}); err != nil {
					return err
				}
				_, _, err := tx.WaitingInSpans(review.OverdueSpans(asOf, policy.Default().PostmortemDueDays), review.ListLimit)
				return err
			}},
			{"decided attributions", func() error { _, err := tx.DecidedAttributions(from, to, review.ListLimit); return err }},
			{"decisions by party and rule", func() error {
				named, err := tx.PartyRules(from, to)
				for _, l := range named {
					parties[l.Party] += l.Count
				}
				return err
			}},
			{"team trends", func() error {
				var starts []time.Time
				for i := range review.TrendWeeks {
					starts = append(starts, week.Add(i-review.TrendWeeks+1).Start())
				}
				_, err := tx.TeamWeeks(review.TrendTeamsNamed(parties), starts)
				return err
			}},
			{"follow-ups due", func() error {
				_, err := tx.FollowUps(followup.Filter{Status: followup.Open, DueFrom: maxT(from, today), DueBefore: to, Limit: review.ListLimit})
				return err
			}},
			{"follow-ups overdue", func() error { _, err := tx.FollowUps(late); return err }},
			{"count overdue", func() error { _, err := tx.CountOverdue(today); return err }},
			{"ownership gaps (A4 follow-ups)", func() error {
				_, err := tx.FollowUps(followup.Filter{Rule: string(blame.A4), CreatedFrom: from, CreatedBefore: to, Limit: review.ListLimit})
				return err
			}},
			{"unowned entities", func() error { _, _, err := tx.Unowned(asOf, review.ListLimit); return err }},
			// Drift as app.reviewDrift reads it for a list of ListLimit.
			{"drift suspects", func() error {
				var err error
				suspects, err = tx.DriftSuspects(asOf.AddDate(0, 0, -review.DefaultDriftDays), asOf)
				return err
			}},
			{"drift alert label values", func() error {
				var err error
				labels, names, err = tx.AlertLabelValues(asOf, review.DefaultDriftDays, []string{"service", "component", "app"}, nil)
				return err
			}},
			{"drift: shown entities' changes and edges", func() error {
				var deploys, stale []org.Ref
				for _, s := range suspects {
					if s.Stale {
						stale = append(stale, s.Entity)
					}
					deploys = append(deploys, s.Entity)
				}
				if _, _, err := tx.DriftChanges(asOf, review.DefaultDriftDays, tx, stale); err != nil {
					return err
				}
				var shown []org.Ref
				shown, shownLabels = review.ShownDrift(0, deploys, review.UnknownLabels(labels, names), review.ListLimit)
				_, _, err := tx.DriftChanges(asOf, review.DefaultDriftDays, tx, shown)
				return err
			}},
			{"drift: shown labels' incidents", func() error {
				_, err := tx.AlertLabelIncidents(asOf, review.DefaultDriftDays, shownLabels)
				return err
			}},
			{"A4 counts, 90 days", func() error { _, err := tx.LeaderA4Counts(to.AddDate(0, 0, -90), to); return err }},
			{"rule counts, 90 days", func() error { _, err := tx.RuleCounts(to.AddDate(0, 0, -90), to); return err }},
			{"fairness flags, week and 90 days", func() error {
				if _, err := tx.FairnessFlagCounts(from, to); err != nil {
					return err
				}
				_, err := tx.FairnessFlagCounts(to.AddDate(0, 0, -90), to)
				return err
			}},
			{"notices", func() error {
				if _, err := tx.NoticeCounts(from, to); err != nil {
					return err
				}
				_, err := tx.Escalations(from, to, review.ListLimit)
				return err
			}},
			{"recurrences confirmed", func() error { _, _, err := tx.RecurrencesConfirmed(from, to, review.ListLimit); return err }},
			{"missed follow-ups", func() error {
				week := store.MissedFilter{ActiveOnly: true, Since: from, Before: to, Limit: review.ListLimit}
				if _, err := tx.MissedFollowUps(week); err != nil {
					return err
				}
				_, err := tx.CountMissedFollowUps(week)
				return err
			}},
			{"week's changes (freeze check)", func() error {
				_, err := tx.Changes(store.ChangeFilter{Since: from, Before: to, Unexcused: true})
				return err
			}},
			{"open integrity flags", func() error {
				open := store.FlagFilter{OpenAt: asOf, Limit: review.ListLimit}
				if _, err := tx.Flags(open); err != nil {
					return err
				}
				_, err := tx.CountFlags(open)
				return err
			}},
		}
		for _, s := range steps {
			if err := step(s.name, s.fn); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkReviewBreakdown logs where the product's store reads of the
// weekly review spend their time on the -size data set, query by query.
func BenchmarkReviewBreakdown(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			db, err := store.Open(ctx, largeSet(b, engine))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			took := map[string]time.Duration{}
			n := 0
			for b.Loop() {
				if err := productTimed(ctx, db, benchNow, reviewWeek, took); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.Logf("product's store reads, mean per query: %s", breakdown(took, n))
		})
	}
}

// reviewAnswer is what a weekly review says, reduced to counts and
// identifiers: what the product and the floor must agree on.
type reviewAnswer struct {
	Counts                              [5][4]int // weeks back, SEV1–SEV4
	Incidents                           []string
	Awaiting, Overdue                   []string
	AwaitingTotal, OverdueTotal         int
	Attributions                        []string
	AttributionsTotal                   int
	TrendTeams                          []string
	Due, Late, Gaps                     []string
	LateTotal                           int
	Unowned                             []string
	UnownedTotal                        int
	Drift                               []string // kind and entity or detail
	DriftTotal                          int
	A4Week, A4Recent, FairWeek, FairAgo map[string]int
	Rules                               map[string][2]int
	Flags                               []string
	FlagsTotal                          int
	Reminders, EscalationsTotal         int
	Escalations, Recurrences, Missed    []string
	RecurrencesTotal, MissedTotal       int
	FreezeBreaks                        []string
	FreezeBreaksTotal                   int
}

// answerOf reduces the product's review.
func answerOf(r review.Review) reviewAnswer {
	a := reviewAnswer{AwaitingTotal: r.AwaitingTotal, OverdueTotal: r.OverduePostmortemsTotal, AttributionsTotal: r.AttributionsTotal,
		LateTotal: r.OverdueTotal, UnownedTotal: r.UnownedTotal, FlagsTotal: r.FlagsTotal, DriftTotal: r.DriftTotal,
		A4Week: map[string]int{}, A4Recent: map[string]int{}, FairWeek: map[string]int{}, FairAgo: map[string]int{}, Rules: map[string][2]int{},
		Reminders: r.FollowThrough.Reminders, EscalationsTotal: r.FollowThrough.EscalationsTotal,
		RecurrencesTotal: r.FollowThrough.RecurrencesTotal, MissedTotal: r.FollowThrough.MissedTotal, FreezeBreaksTotal: r.FollowThrough.FreezeBreaksTotal}
	for s, c := range r.Counts {
		a.Counts[0][s] = c.Week
		for k := range 4 {
			a.Counts[k+1][s] = c.Previous[k]
		}
	}
	for _, l := range r.Incidents {
		a.Incidents = append(a.Incidents, string(l.ID))
	}
	for _, p := range r.AwaitingReview {
		a.Awaiting = append(a.Awaiting, string(p.Incident))
	}
	for _, p := range r.OverduePostmortems {
		a.Overdue = append(a.Overdue, string(p.Incident))
	}
	for _, l := range r.Attributions {
		a.Attributions = append(a.Attributions, string(l.Incident))
	}
	for _, t := range r.Trend {
		a.TrendTeams = append(a.TrendTeams, string(t.Team))
	}
	for _, f := range r.FollowUpsDue {
		a.Due = append(a.Due, string(f.ID))
	}
	for _, f := range r.FollowUpsOverdue {
		a.Late = append(a.Late, string(f.ID))
	}
	for _, f := range r.OwnershipGaps {
		a.Gaps = append(a.Gaps, string(f.ID))
	}
	for _, u := range r.Unowned {
		a.Unowned = append(a.Unowned, string(u))
	}
	for _, f := range r.Drift {
		a.Drift = append(a.Drift, driftKey(f))
	}
	for _, l := range r.Leaders {
		put(a.A4Week, string(l.Leader), l.A4Week)
		put(a.A4Recent, string(l.Leader), l.A4Recent)
		put(a.FairWeek, string(l.Leader), l.FairnessWeek)
		put(a.FairAgo, string(l.Leader), l.FairnessRecent)
	}
	for _, l := range r.Rules {
		a.Rules[l.Rule] = [2]int{l.Decided, l.Overridden}
	}
	for _, f := range r.Flags {
		a.Flags = append(a.Flags, f.ID)
	}
	ft := r.FollowThrough
	for _, e := range ft.Escalations {
		a.Escalations = append(a.Escalations, string(e.FollowUp))
	}
	for _, l := range ft.Recurrences {
		a.Recurrences = append(a.Recurrences, string(l.Incident)+"<"+string(l.Earlier))
	}
	for _, m := range ft.Missed {
		a.Missed = append(a.Missed, string(m.Incident)+"/"+m.FollowUp)
	}
	for _, c := range ft.FreezeBreaks {
		a.FreezeBreaks = append(a.FreezeBreaks, c.Change)
	}
	return a
}

func put(m map[string]int, k string, n int) {
	if n != 0 {
		m[k] = n
	}
}

func driftKey(f review.Finding) string {
	if f.Entity.IsZero() {
		return string(f.Kind) + " " + f.Detail
	}
	return string(f.Kind) + " " + string(f.Entity)
}

// differs says how a and b differ, "" when they do not.
func (a reviewAnswer) differs(b reviewAnswer) string { return cmp.Diff(a, b, cmpopts.EquateEmpty()) }

// summary says how much the answer holds.
func (a reviewAnswer) summary() string {
	week := 0
	for _, n := range a.Counts[0] {
		week += n
	}
	return fmt.Sprintf("%d incidents, %d awaiting review, %d postmortems overdue, %d decisions, %d follow-ups overdue, %d unowned, %d drift findings, "+
		"%d open flags, %d reminders, %d escalations, %d recurrences, %d missed follow-ups, %d freeze breaks",
		week, a.AwaitingTotal, a.OverdueTotal, a.AttributionsTotal, a.LateTotal, a.UnownedTotal, len(a.Drift), a.FlagsTotal,
		a.Reminders, a.EscalationsTotal, a.RecurrencesTotal, a.MissedTotal, a.FreezeBreaksTotal)
}

// floorReview reads the answer of the weekly review of week at now with
// the best plain SQL we could write for it, not the product's queries,
// in one read transaction: one pass over the five weeks' incidents for
// the counts, one over the last 90 days' decisions for the rules and the
// leader corner, the overdue postmortems judged in SQL (business days from
// the weekday), the changes inside freezes found by a join. Ownership
// drift reads its facts with plain SQL and judges them with review.Drift,
// the pure function of the answer: drift is a walk of the org chart at
// each change's time, which no SQL we could write does in less. The
// floor covers what the generated data holds: freezes of everything or of
// listed entities (not teams), no CODEOWNERS; it fails on anything else
// rather than give another answer.
func floorReview(ctx context.Context, db *rawDB, now time.Time, week review.Week) (reviewAnswer, error) {
	return floorReviewTimed(ctx, db, now, week, nil)
}

// floorReviewTimed is floorReview that, given a map, adds each step's
// time to it under a short name.
func floorReviewTimed(ctx context.Context, db *rawDB, now time.Time, week review.Week, took map[string]time.Duration) (reviewAnswer, error) {
	a := reviewAnswer{A4Week: map[string]int{}, A4Recent: map[string]int{}, FairWeek: map[string]int{}, FairAgo: map[string]int{}, Rules: map[string][2]int{}}
	from, to := week.Start(), week.End()
	asOf := minT(to, now)
	ago90 := to.AddDate(0, 0, -90)
	today := followup.Day(asOf).Format(time.DateOnly)
	if d := policy.Default().PostmortemDueDays; d != 5 {
		return a, fmt.Errorf("the floor judges postmortems due 5 business days after resolution, not %d", d)
	}
	tx, err := db.BeginTx(ctx, readOnly(db))
	if err != nil {
		return a, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	f := &floorTx{tx: tx, db: db, ctx: ctx}
	limit := fmt.Sprint(review.ListLimit)
	steps := []struct {
		name string
		fn   func() error
	}{
		{"severity counts (5 weeks)", func() error {
			return f.rows(`SELECT CASE WHEN started_at >= $5 THEN 0 WHEN started_at >= $4 THEN 1 WHEN started_at >= $3 THEN 2 WHEN started_at >= $2 THEN 3 ELSE 4 END,
  severity, COUNT(*) FROM incidents WHERE started_at >= $1 AND started_at < $6 GROUP BY 1, 2`,
				[]any{db.ts(week.Add(-4).Start()), db.ts(week.Add(-3).Start()), db.ts(week.Add(-2).Start()), db.ts(week.Add(-1).Start()), db.ts(from), db.ts(to)},
				func(r *sql.Rows) error {
					var k, n int
					var sev string
					err := r.Scan(&k, &sev, &n)
					a.Counts[k][incident.Severity(sev).Rank()-1] = n
					return err
				})
		}},
		{"week's incidents", func() error {
			return f.ids(&a.Incidents, `SELECT i.id, i.title, i.severity, i.status, i.started_at, a.party, a.rule, p.state
FROM incidents i LEFT JOIN attributions a ON a.id = i.attribution LEFT JOIN postmortems p ON p.incident = i.id
WHERE i.started_at >= $1 AND i.started_at < $2 ORDER BY i.started_at DESC, i.id DESC LIMIT `+limit, db.ts(from), db.ts(to))
		}},
		{"open postmortems", func() error {
			// One pass over the open postmortems of resolved incidents,
			// oldest resolution first: those in review and those overdue
			// are listed and counted from it. Five business days after a
			// weekday is a week later; after a Saturday six days, after a
			// Sunday five.
			dow := `CAST(strftime('%w', i.resolved_at) AS INTEGER)`
			if db.engine == store.Postgres {
				dow = `EXTRACT(DOW FROM i.resolved_at AT TIME ZONE 'UTC')`
			}
			q := `SELECT i.id, i.title, i.severity, p.state, i.resolved_at,
  i.resolved_at < $1 OR (i.resolved_at < $2 AND ` + dow + ` = 6) OR (i.resolved_at < $3 AND ` + dow + ` = 0)
FROM postmortems p JOIN incidents i ON i.id = p.incident WHERE p.state IN ('draft', 'in_review') AND i.resolved_at IS NOT NULL
ORDER BY i.resolved_at, i.id`
			args := []any{db.ts(asOf.AddDate(0, 0, -7)), db.ts(asOf.AddDate(0, 0, -6)), db.ts(asOf.AddDate(0, 0, -5))}
			return f.rows(q, args, func(r *sql.Rows) error {
				var id, title, sev, state string
				var resolved any
				var overdue bool
				if err := r.Scan(&id, &title, &sev, &state, &resolved, &overdue); err != nil {
					return err
				}
				if state == "in_review" {
					a.AwaitingTotal++
					if len(a.Awaiting) < review.ListLimit {
						a.Awaiting = append(a.Awaiting, id)
					}
				}
				if overdue {
					a.OverdueTotal++
					if len(a.Overdue) < review.ListLimit {
						a.Overdue = append(a.Overdue, id)
					}
				}
				return nil
			})
		}},
		{"decided attributions", func() error {
			return f.ids(&a.Attributions, `SELECT i.id, i.title, a.party, a.rule, a.suggested_party, a.decided_at FROM attributions a JOIN incidents i ON i.id = a.incident
WHERE a.decided_at >= $1 AND a.decided_at < $2 AND i.attribution = a.id ORDER BY a.decided_at, i.id LIMIT `+limit, db.ts(from), db.ts(to))
		}},
		{"decisions, 90 days", func() error {
			named := map[org.Ref]int{}
			err := f.rows(`SELECT a.suggested_rule, a.party <> a.suggested_party, CASE WHEN a.rule = 'A4' THEN a.party ELSE '' END,
  CASE WHEN a.decided_at >= $2 AND a.party LIKE 'group:%' THEN a.party ELSE '' END, a.decided_at >= $2, COUNT(*)
FROM attributions a JOIN incidents i ON i.id = a.incident
WHERE a.decided_at >= $1 AND a.decided_at < $3 AND i.attribution = a.id GROUP BY 1, 2, 3, 4, 5`, []any{db.ts(ago90), db.ts(from), db.ts(to)},
				func(r *sql.Rows) error {
					var rule, a4, team string
					var over, inWeek bool
					var n int
					if err := r.Scan(&rule, &over, &a4, &team, &inWeek, &n); err != nil {
						return err
					}
					c := a.Rules[rule]
					c[0] += n
					if over {
						c[1] += n
					}
					a.Rules[rule] = c
					if a4 != "" {
						a.A4Recent[a4] += n
						if inWeek {
							a.A4Week[a4] += n
						}
					}
					if inWeek {
						a.AttributionsTotal += n
					}
					if team != "" {
						named[org.Ref(team)] += n
					}
					return nil
				})
			for _, t := range review.TrendTeamsNamed(named) {
				a.TrendTeams = append(a.TrendTeams, string(t))
			}
			return err
		}},
		{"follow-ups", func() error {
			const cols = `id, incident, title, owner, due, priority, status, reason, tracker_url, rule, created_at, created_by, closed_at`
			if err := f.ids(&a.Due, `SELECT `+cols+` FROM followups WHERE status = 'open' AND due >= $1 AND due < $2 ORDER BY due, id LIMIT `+limit,
				maxT(from, followup.Day(asOf)).Format(time.DateOnly), to.Format(time.DateOnly)); err != nil {
				return err
			}
			if err := f.ids(&a.Late, `SELECT `+cols+` FROM followups WHERE status = 'open' AND due < $1 ORDER BY due, id LIMIT `+limit, today); err != nil {
				return err
			}
			if err := f.count(&a.LateTotal, `SELECT COUNT(*) FROM followups WHERE status = 'open' AND due < $1`, today); err != nil {
				return err
			}
			return f.ids(&a.Gaps, `SELECT `+cols+` FROM followups WHERE rule = 'A4' AND created_at >= $1 AND created_at < $2 ORDER BY due, id LIMIT `+limit,
				db.ts(from), db.ts(to))
		}},
		{"unowned entities", func() error {
			q := `SELECT ref FROM entities WHERE kind <> 'domain' AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.subject = entities.ref AND e.relation = 'owned_by'
  AND (e.valid_from IS NULL OR e.valid_from <= $1) AND (e.valid_to IS NULL OR e.valid_to > $1)) ORDER BY ref`
			if db.engine == store.Postgres {
				q = `SELECT ref FROM entities WHERE kind <> 'domain' AND ref NOT IN (SELECT subject FROM edges e WHERE e.relation = 'owned_by'
  AND (e.valid_from IS NULL OR e.valid_from <= $1) AND (e.valid_to IS NULL OR e.valid_to > $1)) ORDER BY ref`
			}
			var all []string
			err := f.ids(&all, q, db.ts(asOf))
			a.UnownedTotal, a.Unowned = len(all), all[:min(len(all), review.ListLimit)]
			return err
		}},
		{"ownership drift", func() error { return f.drift(&a, asOf) }},
		{"leader corner: fairness flags", func() error {
			return f.rows(`SELECT about, created_at >= $2, COUNT(*) FROM fairness_flags WHERE rule = 'A8' AND created_at >= $1 AND created_at < $3 GROUP BY 1, 2`,
				[]any{db.ts(ago90), db.ts(from), db.ts(to)}, func(r *sql.Rows) error {
					var about string
					var inWeek bool
					var n int
					err := r.Scan(&about, &inWeek, &n)
					a.FairAgo[about] += n
					if inWeek {
						a.FairWeek[about] += n
					}
					return err
				})
		}},
		{"open integrity flags", func() error {
			const open = ` FROM integrity_flags WHERE raised_at <= $1 AND (state = 'open' OR reviewed_at > $1)`
			if err := f.ids(&a.Flags, `SELECT id, rule, incident, suspect, evidence, raised_at`+open+` ORDER BY raised_at DESC, id LIMIT `+limit, db.ts(asOf)); err != nil {
				return err
			}
			return f.count(&a.FlagsTotal, `SELECT COUNT(*)`+open, db.ts(asOf))
		}},
		{"follow-through", func() error { return f.followThrough(&a, from, to) }},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.fn(); err != nil {
			return a, fmt.Errorf("%s: %w", s.name, err)
		}
		if took != nil {
			took[s.name] += time.Since(start)
		}
	}
	return a, tx.Commit()
}

// floorTx runs the floor's queries in its transaction.
type floorTx struct {
	tx  *sql.Tx
	db  *rawDB
	ctx context.Context
}

func (f *floorTx) rows(q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := f.tx.QueryContext(f.ctx, f.db.q(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ids appends the first column of each row to out, reading every column
// as the driver hands it (a listing shows them).
func (f *floorTx) ids(out *[]string, q string, args ...any) error {
	var vals []any
	return f.rows(q, args, func(r *sql.Rows) error {
		if vals == nil {
			cols, err := r.Columns()
			if err != nil {
				return err
			}
			vals = make([]any, len(cols))
		}
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			return err
		}
		*out = append(*out, fmt.Sprint(vals[0]))
		return nil
	})
}

func (f *floorTx) count(n *int, q string, args ...any) error {
	return f.tx.QueryRowContext(f.ctx, f.db.q(q), args...).Scan(n)
}

// followThrough reads the week's reminders and escalations, confirmed
// recurrences with the follow-ups they found missed, and the changes made
// inside a freeze that covered them without an exception.
func (f *floorTx) followThrough(a *reviewAnswer, from, to time.Time) error {
	db := f.db
	week := []any{db.ts(from), db.ts(to)}
	limit := fmt.Sprint(review.ListLimit)
	err := f.rows(`SELECT kind, COUNT(*) FROM followup_notices WHERE sent_at >= $1 AND sent_at < $2 GROUP BY kind`, week, func(r *sql.Rows) error {
		var kind string
		var n int
		err := r.Scan(&kind, &n)
		if strings.HasPrefix(kind, "reminder") {
			a.Reminders += n
		} else {
			a.EscalationsTotal += n
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := f.ids(&a.Escalations, `SELECT followup, kind, due, owner, recipient, sent_at FROM followup_notices
WHERE sent_at >= $1 AND sent_at < $2 AND kind IN ('escalation', 'escalation_up') ORDER BY sent_at, id LIMIT `+limit, week...); err != nil {
		return err
	}
	const confirmed = ` FROM recurrences WHERE state = 'confirmed' AND decided_at >= $1 AND decided_at < $2`
	if err := f.ids(&a.Recurrences, `SELECT incident || '<' || earlier, decided_by, decided_at`+confirmed+` ORDER BY decided_at, incident, earlier LIMIT `+limit, week...); err != nil {
		return err
	}
	if err := f.count(&a.RecurrencesTotal, `SELECT COUNT(*)`+confirmed, week...); err != nil {
		return err
	}
	const missed = ` FROM missed_followups WHERE withdrawn_at IS NULL AND recorded_at >= $1 AND recorded_at < $2`
	if err := f.ids(&a.Missed, `SELECT incident || '/' || followup, owner, due, recorded_at`+missed+` ORDER BY recorded_at, incident, followup LIMIT `+limit, week...); err != nil {
		return err
	}
	if err := f.count(&a.MissedTotal, `SELECT COUNT(*)`+missed, week...); err != nil {
		return err
	}
	var teams int
	if err := f.count(&teams, `SELECT COUNT(*) FROM freeze_scope WHERE target LIKE 'group:%'`); err != nil || teams > 0 {
		return cmpErr(err, "the floor does not judge freezes of teams")
	}
	broken := ` FROM changes c WHERE c.at >= $1 AND c.at < $2 AND c.exception_approved_by = '' AND EXISTS (
  SELECT 1 FROM freezes fz WHERE fz.starts_at <= c.at AND fz.ends_at > c.at
    AND (fz.scope = 'all' OR EXISTS (SELECT 1 FROM freeze_scope s WHERE s.freeze_id = fz.id AND s.target = c.entity)))`
	if err := f.ids(&a.FreezeBreaks, `SELECT c.id, c.entity, c.actor, c.version, c.at`+broken+` ORDER BY c.at, c.id LIMIT `+limit, week...); err != nil {
		return err
	}
	return f.count(&a.FreezeBreaksTotal, `SELECT COUNT(*)`+broken, week...)
}

func cmpErr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

// drift reads the facts of ownership drift at asOf with plain SQL (the
// changes of the 90 days before, only the edges that judge them, the
// alert labels counted by value) and judges them with review.Drift.
func (f *floorTx) drift(a *reviewAnswer, asOf time.Time) error {
	db := f.db
	var n int
	if err := f.count(&n, `SELECT COUNT(*) FROM codeowners`); err != nil || n > 0 {
		return cmpErr(err, "the floor does not judge CODEOWNERS")
	}
	days := review.DefaultDriftDays
	facts := review.DriftFacts{At: asOf, Days: days}
	window := []any{db.ts(asOf.AddDate(0, 0, -days)), db.ts(asOf)}
	err := f.rows(`SELECT id, entity, version, actor, at FROM changes WHERE at >= $1 AND at < $2`, window, func(r *sql.Rows) error {
		var c freeze.Change
		var entity, actor string
		var at any
		if err := r.Scan(&c.ID, &entity, &c.Ref, &actor, &at); err != nil {
			return err
		}
		t, err := scanTime(at)
		c.Entity, c.Actor, c.At = org.Ref(entity), org.Ref(actor), t
		facts.Changes = append(facts.Changes, c)
		return err
	})
	if err != nil {
		return err
	}
	// The owners of the changed entities, the team tree, and the actors'
	// memberships.
	edges := `SELECT relation, subject, object, valid_from, valid_to FROM edges e WHERE (e.relation = 'owned_by' AND e.subject IN (
  SELECT entity FROM changes WHERE at >= $1 AND at < $2)) OR e.relation = 'child_of'
  OR (e.relation IN ('member_of', 'leads') AND e.subject IN (SELECT actor FROM changes WHERE at >= $1 AND at < $2))`
	err = f.rows(edges, window, func(r *sql.Rows) error {
		var e org.Edge
		var rel, subj, obj string
		var vf, vt any
		if err := r.Scan(&rel, &subj, &obj, &vf, &vt); err != nil {
			return err
		}
		e.Relation, e.Subject, e.Object = org.Relation(rel), org.Ref(subj), org.Ref(obj)
		var err error
		if e.From, err = scanTime(vf); err != nil {
			return err
		}
		e.To, err = scanTime(vt)
		facts.Edges = append(facts.Edges, e)
		return err
	})
	if err != nil {
		return err
	}
	// Alert labels naming no entity: the values of the window, counted,
	// then the incidents of the unknown ones only.
	counts := map[string]int{}
	var values []string
	// The window's incidents first (CROSS JOIN keeps SQLite, which has no
	// statistics, from walking every label of every incident instead).
	err = f.rows(`SELECT s.value, COUNT(*) FROM incidents i CROSS JOIN incident_signals s
WHERE s.incident = i.id AND s.kind = 'label' AND s.value > 'service=' AND s.value < 'service>' AND i.started_at >= $1 AND i.started_at < $2 GROUP BY s.value`, window,
		func(r *sql.Rows) error {
			var v string
			var n int
			err := r.Scan(&v, &n)
			counts[v] = n
			values = append(values, v)
			return err
		})
	if err != nil {
		return err
	}
	facts.EntityNames = map[string]bool{}
	// ingest.EntityRefs: a value names an entity of one of four kinds in
	// the default namespace.
	var vals []org.Ref
	for _, v := range values {
		name := strings.TrimPrefix(v, "service=")
		for _, k := range []string{"component", "system", "resource", "provider"} {
			vals = append(vals, org.Ref(k+":default/"+name))
		}
	}
	in := `ref IN (SELECT value FROM json_each($1))`
	var arg any = jsonRefs(vals)
	if db.engine == store.Postgres {
		in, arg = `ref = ANY($1::text[])`, textRefs(vals)
	}
	err = f.rows(`SELECT ref FROM entities WHERE `+in, []any{arg}, func(r *sql.Rows) error {
		var ref string
		err := r.Scan(&ref)
		facts.EntityNames[org.Ref(ref).Name()] = true
		return err
	})
	if err != nil {
		return err
	}
	slices.Sort(values)
	for _, v := range values {
		name := strings.TrimPrefix(v, "service=")
		if facts.EntityNames[name] {
			continue
		}
		l := review.AlertLabel{Label: "service", Value: name}
		err := f.rows(`SELECT i.id FROM incident_signals s JOIN incidents i ON i.id = s.incident WHERE s.kind = 'label' AND s.value = $1
  AND i.started_at >= $2 AND i.started_at < $3 ORDER BY i.started_at DESC, i.id LIMIT 50`, []any{v, window[0], window[1]}, func(r *sql.Rows) error {
			var id string
			err := r.Scan(&id)
			l.Incidents = append(l.Incidents, id)
			return err
		})
		if err != nil {
			return err
		}
		facts.AlertLabels = append(facts.AlertLabels, l)
	}
	found := review.Drift(facts)
	a.DriftTotal = len(found)
	for _, fd := range found[:min(len(found), review.ListLimit)] {
		a.Drift = append(a.Drift, driftKey(fd))
	}
	return nil
}

// scanTime reads a time column as either driver hands it.
func scanTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return t.UTC(), nil
	case string:
		return time.Parse(time.RFC3339Nano, t)
	}
	return time.Time{}, fmt.Errorf("a time of type %T", v)
}

func jsonRefs(refs []org.Ref) string {
	b, _ := json.Marshal(refs)
	return string(b)
}

func textRefs(refs []org.Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = string(r)
	}
	return out
}
