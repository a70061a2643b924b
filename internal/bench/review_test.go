package bench

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// historySpec sizes the weekly-review data set.
type historySpec struct {
	Incidents int
	// FollowUps and Timeline are averages per incident.
	FollowUps, Timeline int
	// Weeks is how far back the incidents go from benchNow.
	Weeks int
	Seed  uint64
}

// historyCounts says what writeHistory wrote.
type historyCounts struct {
	Incidents, FollowUps, Timeline, Postmortems, Attributions, Flags int
	Signals, Changes, Recurrences, Missed, Notices                   int
	Assessments                                                      int
}

// writeAssessment writes the assessment every decided attribution opens
// (J1): its factors as opened, and, once the reviewer judged them, again;
// then the level its subject's leader decided, one to fourteen days after
// the attribution, unless that is still to come or (one in fifty) the
// decision was forgotten. Most levels are no consequence, few are severe.
func writeAssessment(rng *rand.Rand, assessments, factors, levels *bulk, inc, party, rule string, sev incident.Severity,
	decided time.Time, decider string) error {
	id := "as-" + inc
	if err := assessments.add(id, inc, "att-"+inc, party, assessments.db().ts(decided)); err != nil {
		return err
	}
	violation := "none"
	if rule == "A6" {
		violation = "major"
	}
	if err := factors.add(id, 1, "", violation, decider, assessments.db().ts(decided)); err != nil {
		return err
	}
	at := decided.Add(time.Duration(24+rng.IntN(13*24)) * time.Hour)
	if at.After(benchNow) || rng.IntN(50) == 0 {
		return nil
	}
	judged := at.Add(-time.Duration(1+rng.IntN(20)) * time.Hour)
	expected := []string{"yes", "partially", "no"}[rng.IntN(3)]
	if err := factors.add(id, 2, expected, violation, decider, assessments.db().ts(judged)); err != nil {
		return err
	}
	level := 0
	switch r := rng.IntN(1000); {
	case r < 5:
		level = 4
	case r < 30:
		level = 3
	case r < 100:
		level = 2
	case r < 300:
		level = 1
	}
	guidance := fmt.Sprintf(`{"level":%d,"judged":true,"steps":[{"factor":"expected_to_prevent","change":"%s","level":%d,"why":"the reviewer judged it"}],`+
		`"factors":{"expected_to_prevent":"%s","policy_violation":"%s","integrity_violation":false,"prior_faults":0,"severity":"%s","recently_inherited":false}}`,
		level, expected, level, expected, violation, sev)
	return levels.add("lv-"+inc, id, "decision", level, level, guidance, "", decider, assessments.db().ts(at), nil)
}

// chaseWeeks is how long before benchNow the follow-up chase (F4) has been
// sending reminders and escalations: the generated notices start then, as
// if the feature had shipped that week.
const chaseWeeks = 13

// earlierIncident is what writeHistory remembers of the last incident of
// an entity, to make the next one a recurrence of it.
type earlierIncident struct {
	id    string
	start time.Time
	fus   []genFollowUp
}

// genFollowUp is a generated follow-up, as recurrences need it.
type genFollowUp struct {
	id, owner, due  string
	created, closed time.Time
}

// isOpenAt reports whether the follow-up was open at t.
func (f genFollowUp) isOpenAt(t time.Time) bool {
	return !f.created.After(t) && (f.closed.IsZero() || f.closed.After(t))
}

// writeHistory generates and stores years of incident history over the
// world's organisation, the way the app would have left it: every incident
// with its failed entities (a few hot entities fail far more often than
// the rest: a Zipf law), its alert fingerprint and labels, the deploy just
// before it, a postmortem (closed or published when old, drafts and
// reviews when recent, a few abandoned), a decided attribution for those
// past review, follow-ups (mostly done once due, some left open and
// overdue), timeline entries, a few integrity and fairness flags,
// recurrences of the entity's previous incident confirmed or dismissed
// (with the follow-ups they found missed), and for the last chaseWeeks the
// reminders and escalations the chase sent. Code freezes cover the year's
// end and a few days of the reviewed week. Rows are generated and written
// in one pass, so memory stays flat at any scale, with the tables' secondary
// indexes built at the end (deferIndexes); progress, when not nil, is told
// every 50,000 incidents and before the indexes are built.
func writeHistory(ctx context.Context, raw *rawDB, w *world, spec historySpec, progress func(step string)) (historyCounts, error) {
	rng := rand.New(rand.NewPCG(spec.Seed, 5))
	var c historyCounts
	span := time.Duration(spec.Weeks) * 7 * 24 * time.Hour
	// Incidents are numbered per year in time order, like the app does.
	starts := make([]time.Time, spec.Incidents)
	for i := range starts {
		starts[i] = benchNow.Add(-time.Duration(rng.Int64N(int64(span)))).Truncate(time.Second)
	}
	sortTimes(starts)
	hot := newHotEntities(w, rand.New(rand.NewPCG(spec.Seed, 6)))
	freezes := benchFreezes(hot)
	if err := writeFreezes(ctx, raw, freezes); err != nil {
		return c, err
	}

	rebuild, err := deferIndexes(ctx, raw, loadedTables)
	if err != nil {
		return c, err
	}
	t := newTxn(ctx, raw)
	incidents := t.bulk("incidents", "id", "title", "severity", "status", "summary", "impact", "source", "started_at",
		"detected_at", "declared_at", "mitigated_at", "resolved_at", "created_by", "created_at", "updated_at")
	failed := t.bulk("incident_entities", "incident", "entity", "origin", "position")
	postmortems := t.bulk("postmortems", "incident", "state", "summary", "impact", "mechanism", "factors", "went_well",
		"went_poorly", "updated_at", "updated_by", "review_started_at", "published_at", "closed_at")
	attributions := t.bulk("attributions", "id", "incident", "party", "rule", "justification", "suggested_party",
		"suggested_rule", "suggestion", "decided_by", "decided_at")
	followups := t.bulk("followups", "id", "incident", "title", "owner", "due", "priority", "status", "reason",
		"tracker_url", "rule", "created_at", "created_by", "closed_at", "updated_at")
	timeline := t.bulk("timeline_entries", "id", "incident", "occurred_at", "recorded_at", "author", "kind", "text",
		"deleted", "revision", "updated_at")
	flags := t.bulk("integrity_flags", "id", "rule", "incident", "key", "suspect", "evidence", "state", "subject",
		"reason", "reviewed_by", "reviewed_at", "raised_at")
	assessments := t.bulk("assessments", "id", "incident", "attribution", "subject", "created_at")
	factors := t.bulk("assessment_factors", "assessment", "version", "expected_to_prevent", "policy_violation", "set_by", "set_at")
	levels := t.bulk("assessment_decisions", "id", "assessment", "kind", "level", "guidance_level", "guidance", "justification",
		"decided_by", "decided_at", "supersedes")
	fairness := t.bulk("fairness_flags", "id", "rule", "about", "raised_to", "incident", "detail", "created_at")
	signals := t.bulk("incident_signals", "incident", "kind", "value")
	changes := t.bulk("changes", "id", "entity", "version", "actor", "at", "source", "exception_approved_by", "recorded_at", "recorded_by")
	linked := t.bulk("incident_changes", "incident", "change_id", "linked_at", "linked_by")
	recurrences := t.bulk("recurrences", "incident", "earlier", "state", "reason", "decided_by", "decided_at")
	missed := t.bulk("missed_followups", "incident", "followup", "earlier", "owner", "due", "recorded_at", "withdrawn_at")
	notices := t.bulk("followup_notices", "id", "followup", "kind", "due", "owner", "recipient", "sent_at")
	g := &group{t: t, bulks: []*bulk{incidents, failed, postmortems, attributions, assessments, factors, levels, followups,
		timeline, flags, fairness, signals, changes, linked, recurrences, missed, notices}}
	// The assessments draw their judgements, levels and timing from a
	// source of their own; their decider is drawn from rng, as the
	// attribution's is.
	arng := rand.New(rand.NewPCG(spec.Seed, 7))

	person := func() string { return string(personRef(rng.IntN(len(w.people)))) }
	leader := func() string { return string(personRef(rng.IntN(len(w.teams)))) }
	owner := func() string {
		if rng.IntN(10) < 6 {
			return string(teamRef(rng.IntN(len(w.teams))))
		}
		return person()
	}
	minutes := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Minute }
	capNow := func(t time.Time) time.Time { return minT(t, benchNow.Add(-time.Minute)) }
	sevs := []incident.Severity{incident.SEV1, incident.SEV2, incident.SEV3, incident.SEV4}
	kinds := []string{"alert", "action", "observation", "decision", "change"}
	rules := []string{"A2", "A2", "A2", "A2", "A2", "A2", "A2", "A3", "A4", "A6"}
	chaseFrom := benchNow.AddDate(0, 0, -7*chaseWeeks)
	last := map[org.Ref]earlierIncident{}
	seq := map[int]int{}
	for n, start := range starts {
		seq[start.Year()]++
		id := string(incident.FormatID(start.Year(), seq[start.Year()]))
		c.Incidents++
		r := rng.IntN(100)
		sev := sevs[3]
		switch {
		case r < 3:
			sev = sevs[0]
		case r < 15:
			sev = sevs[1]
		case r < 50:
			sev = sevs[2]
		}
		detected := start.Add(minutes(0, 10))
		declared := detected.Add(minutes(0, 20))
		mitigated := declared.Add(minutes(10, 240))
		resolved := mitigated.Add(minutes(0, 48*60))
		status := incident.StatusResolved
		switch {
		case mitigated.After(benchNow):
			status, mitigated, resolved = incident.StatusOpen, time.Time{}, time.Time{}
		case resolved.After(benchNow):
			status, resolved = incident.StatusMitigated, time.Time{}
		}
		end := resolved
		if end.IsZero() {
			end = benchNow
		}
		by := person()
		first := hot.pick()
		if err := incidents.add(id, fmt.Sprintf("Checkout errors on %s", first.Name()), string(sev), string(status),
			"Requests to the checkout path failed for a share of shoppers; the release was rolled back.",
			"About 2% of checkouts failed for 40 minutes.", "alertmanager", raw.ts(start), raw.ts(detected), raw.ts(declared),
			raw.ts(mitigated), raw.ts(resolved), by, raw.ts(declared), raw.ts(end)); err != nil {
			return c, err
		}
		if err := failed.add(id, string(first), true, 0); err != nil {
			return c, err
		}
		if rng.IntN(3) == 0 {
			if second := hot.pick(); second != first {
				if err := failed.add(id, string(second), false, 1); err != nil {
					return c, err
				}
			}
		}
		// Alertmanager's fingerprint and the label naming the entity; one
		// alert in fifty names a service the catalog does not know.
		label := "service=" + first.Name()
		if rng.IntN(50) == 0 {
			label = fmt.Sprintf("service=legacy-%d", rng.IntN(200))
		}
		if err := signals.add(id, "fingerprint", fmt.Sprintf("%016x", hash64(string(first))+uint64(rng.IntN(4)))); err != nil {
			return c, err
		}
		if err := signals.add(id, "label", label); err != nil {
			return c, err
		}
		c.Signals += 2
		// The deploy of the failed entity shortly before the start, linked
		// to the incident one time in five; inside a freeze, usually with an
		// approved exception.
		changeAt := start.Add(-minutes(5, 240))
		actor := w.deployer(first, rng)
		approver := ""
		if freezes.covers(first, changeAt) && rng.IntN(10) < 7 {
			approver = leader()
		}
		changeID := "ch-" + id
		if err := changes.add(changeID, string(first), fmt.Sprintf("v%d.%d", rng.IntN(40), rng.IntN(100)), actor, raw.ts(changeAt),
			"github", approver, raw.ts(changeAt.Add(time.Minute)), actor); err != nil {
			return c, err
		}
		c.Changes++
		if rng.IntN(5) == 0 {
			if err := linked.add(id, changeID, raw.ts(capNow(declared.Add(minutes(5, 120)))), by); err != nil {
				return c, err
			}
		}

		// The postmortem, and the attribution once it has been reviewed.
		state := "draft"
		var reviewAt, publishedAt, closedAt time.Time
		if !resolved.IsZero() {
			age := benchNow.Sub(resolved)
			p := rng.IntN(1000)
			switch {
			case age < 5*24*time.Hour:
				if p < 400 {
					state = "in_review"
				}
			case age < 14*24*time.Hour:
				switch {
				case p < 200:
				case p < 500:
					state = "in_review"
				default:
					state = "published"
				}
			default:
				switch {
				case p < 3: // abandoned: overdue for good
				case p < 5:
					state = "in_review"
				case p < 400:
					state = "published"
				default:
					state = "closed"
				}
			}
			if state != "draft" {
				reviewAt = resolved.Add(minutes(60, 4*24*60))
				if reviewAt.After(benchNow) {
					reviewAt = benchNow.Add(-time.Minute)
				}
			}
			if state == "published" || state == "closed" {
				publishedAt = reviewAt.Add(minutes(10, 2*24*60))
				if publishedAt.After(benchNow) {
					publishedAt = benchNow
				}
			}
			if state == "closed" {
				closedAt = publishedAt.Add(minutes(60, 30*24*60))
				if closedAt.After(benchNow) {
					state, closedAt = "published", time.Time{}
				}
			}
		}
		updated := maxT(end, reviewAt, publishedAt, closedAt)
		if err := postmortems.add(id, state, "A release changed the retry policy of the payment client; retries overwhelmed the gateway.",
			"About 2% of checkouts failed for 40 minutes.", "Retry storm against the payment gateway after a client upgrade.",
			`[{"text":"no load test for the new client"}]`, "Alert fired within two minutes.", "Rollback took 30 minutes to approve.",
			raw.ts(updated), by, raw.ts(reviewAt), raw.ts(publishedAt), raw.ts(closedAt)); err != nil {
			return c, err
		}
		c.Postmortems++
		if !publishedAt.IsZero() || (state == "in_review" && rng.IntN(2) == 0) {
			rule := rules[rng.IntN(len(rules))]
			party, suggested := owner(), ""
			if rule == "A4" {
				party = leader()
			}
			suggested = party
			if rng.IntN(100) < 6 {
				rule, suggested = "A8", owner()
			}
			decidedAt := reviewAt.Add(minutes(5, 24*60))
			if decidedAt.After(benchNow) {
				decidedAt = benchNow.Add(-time.Minute)
			}
			if err := attributions.add("att-"+id, id, party, rule, "", suggested, rule, "{}", leader(), raw.ts(decidedAt)); err != nil {
				return c, err
			}
			c.Attributions++
			if err := writeAssessment(arng, assessments, factors, levels, id, party, rule, sev, decidedAt, leader()); err != nil {
				return c, err
			}
			c.Assessments++
			if rule == "A8" && rng.IntN(4) == 0 {
				if err := fairness.add("ff-"+id, "A8", leader(), leader(), id, "an A4 suggestion was overridden onto a report", raw.ts(decidedAt)); err != nil {
					return c, err
				}
			}
		}

		// Follow-ups: due by severity after creation; most are done by the
		// time they are due, a few are abandoned open.
		nf := rng.IntN(2*spec.FollowUps + 1)
		var fus []genFollowUp
		for k := range nf {
			created := declared.Add(minutes(60, 3*24*60))
			if created.After(benchNow) {
				created = benchNow.Add(-time.Minute)
			}
			due := followup.Day(created.AddDate(0, 0, []int{14, 30, 60, 90}[sevs2i(sev)]))
			status, closed := "open", time.Time{}
			p := rng.IntN(1000)
			switch {
			case due.Before(benchNow.AddDate(0, 0, -30)):
				switch {
				case p < 930:
					status = "done"
				case p < 970:
					status = "wont_do"
				}
			case due.Before(benchNow):
				if p < 700 {
					status = "done"
				}
			default:
				if p < 300 {
					status = "done"
				}
			}
			if status != "open" {
				closed = created.Add(time.Duration(rng.Int64N(int64(max(time.Hour, minT(due, benchNow).Sub(created))))))
			}
			rule := ""
			if rng.IntN(100) < 2 {
				rule = "A4"
			}
			fu := genFollowUp{id: fmt.Sprintf("fu-%s-%d", id, k), owner: owner(), due: due.Format(time.DateOnly), created: created, closed: closed}
			fus = append(fus, fu)
			if err := followups.add(fu.id, id, "Add a load test for the payment client's retry policy",
				fu.owner, fu.due, []string{"P1", "P2", "P3"}[rng.IntN(3)], status, "", "", rule,
				raw.ts(created), by, raw.ts(closed), raw.ts(maxT(created, closed))); err != nil {
				return c, err
			}
			c.FollowUps++
			// The chase's reminders and escalations (F4), since it started.
			for _, step := range chaseSteps(due) {
				if step.at.Before(chaseFrom) || step.at.After(benchNow) || !fu.isOpenAt(step.at) {
					continue
				}
				to := fu.owner
				if step.kind == followup.Escalation || step.kind == followup.EscalationUp {
					to = leader()
				}
				if err := notices.add(fu.id+"/"+string(step.kind)+"/"+fu.due, fu.id, string(step.kind), fu.due, fu.owner, to, raw.ts(step.at)); err != nil {
					return c, err
				}
				c.Notices++
			}
		}

		// A recurrence of the entity's previous incident within a year:
		// confirmed one time in eight (recording the follow-ups it found
		// still open, F7), dismissed one in twelve.
		if prev, ok := last[first]; ok && start.Sub(prev.start) < 365*24*time.Hour {
			p := rng.IntN(1000)
			decided := capNow(declared.Add(minutes(30, 3*24*60)))
			if p < 208 {
				state := "confirmed"
				if p >= 125 {
					state = "dismissed"
				}
				if err := recurrences.add(id, prev.id, state, "", person(), raw.ts(decided)); err != nil {
					return c, err
				}
				c.Recurrences++
				for _, fu := range prev.fus {
					if state != "confirmed" || !fu.isOpenAt(start) {
						continue
					}
					if err := missed.add(id, fu.id, prev.id, fu.owner, fu.due, raw.ts(decided), nil); err != nil {
						return c, err
					}
					c.Missed++
				}
			}
		}
		last[first] = earlierIncident{id: id, start: start, fus: fus}

		// Timeline entries between the start and the resolution.
		nt := rng.IntN(2*spec.Timeline + 1)
		window := max(time.Minute, end.Sub(start))
		for k := range nt {
			occurred := start.Add(time.Duration(rng.Int64N(int64(window))))
			recorded := occurred.Add(minutes(0, 10))
			if err := timeline.add(fmt.Sprintf("tl-%s-%d", id, k), id, raw.ts(occurred), raw.ts(recorded), person(),
				kinds[rng.IntN(len(kinds))], "Error rate on checkout at 4%; paging the payments on-call.", false, 0, raw.ts(recorded)); err != nil {
				return c, err
			}
			c.Timeline++
		}

		// A few integrity flags: open while recent, reviewed later.
		if rng.IntN(1000) < 3 {
			rule := []string{"I1", "I2", "I3", "I4", "I5"}[rng.IntN(5)]
			raised := minT(end.Add(minutes(60, 7*24*60)), benchNow)
			state, reviewed, reviewer := "open", time.Time{}, ""
			if benchNow.Sub(raised) > 30*24*time.Hour && rng.IntN(10) < 8 {
				state, reviewed, reviewer = []string{"confirmed", "dismissed"}[rng.IntN(2)], raised.Add(72*time.Hour), leader()
			}
			ev := fmt.Sprintf(`[{"kind":"timeline","ref":"%s","at":"%s","detail":"an alert preceded the declaration by 45 minutes"}]`,
				id, start.Format(time.RFC3339))
			if err := flags.add("if-"+id, rule, id, rule+":"+id, person(), ev, state, "", "", reviewer, raw.ts(reviewed), raw.ts(raised)); err != nil {
				return c, err
			}
			c.Flags++
		}
		if err := g.step(); err != nil {
			return c, err
		}
		if progress != nil && (n+1)%50000 == 0 {
			progress(fmt.Sprintf("%d incidents written", n+1))
		}
	}
	if err := g.close(); err != nil {
		return c, err
	}
	if progress != nil {
		progress("every row written; building the indexes")
	}
	if err := rebuild(); err != nil {
		return c, err
	}
	// Incidents point at the decision in force (found by
	// attributions_incident, built again just now).
	if _, err := raw.ExecContext(ctx, `UPDATE incidents SET attribution = a.id FROM attributions a WHERE a.incident = incidents.id`); err != nil {
		return c, fmt.Errorf("link attributions: %w", err)
	}
	return c, nil
}

// chaseStep is a reminder or escalation of the chase, and when it went.
type chaseStep struct {
	kind followup.NoticeKind
	at   time.Time
}

// chaseSteps are F4's steps for a follow-up due on due, at 09:00 UTC: a
// reminder three days before and one on the day, an escalation the day
// after, and one to the next leader up after 14 days overdue.
func chaseSteps(due time.Time) []chaseStep {
	at := func(days int) time.Time { return due.AddDate(0, 0, days).Add(9 * time.Hour) }
	return []chaseStep{{followup.ReminderBefore, at(-3)}, {followup.ReminderDue, at(0)}, {followup.Escalation, at(1)}, {followup.EscalationUp, at(15)}}
}

// hash64 is FNV-1a: a stable number for a string.
func hash64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(s) {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

func sevs2i(s incident.Severity) int { return s.Rank() - 1 }

func sortTimes(ts []time.Time) { slices.SortFunc(ts, time.Time.Compare) }

func maxT(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// reviewClients is how many weekly reviews serveLarge asks for at once: as
// many as the store's SQLite read pool has connections.
const reviewClients = 8

// reviewWeek is the week the benchmark reviews: the last complete week
// before benchNow, as a Monday meeting would.
var reviewWeek = review.WeekOf(benchNow).Add(-1)

// BenchmarkWeeklyReview is the weekly-review bar (≤ 200 ms and ≤ 2 × the
// floor over 1M incidents, 5M follow-ups, 20M timeline entries), on the
// data set of -size (largeSet; -size large is the bar's). Each iteration
// runs app.WeeklyReview for reviewWeek and then floorReview, the same
// answer read with plain SQL in one read transaction, so the two are
// alternated in the same sitting; it reports the median, fastest and
// slowest of each and their ratio, checks that both read the same answer,
// and logs where the time goes, query by query, for both.
func BenchmarkWeeklyReview(b *testing.B) {
	w := worldFor(flagOrg())
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			start := time.Now()
			dsn := largeSet(b, engine)
			b.Logf("data set ready in %s%s", time.Since(start).Round(time.Second), fileSize(dsn))
			db, err := store.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			a := app.New(db, fixedClock())
			// As serve does, the server reads its copy of the org first.
			if err := a.LoadOrg(ctx); err != nil {
				b.Fatal(err)
			}
			floor, err := openRaw(dsn, true)
			if err != nil {
				b.Fatal(err)
			}
			defer floor.Close()
			rv, err := a.WeeklyReview(ctx, member, reviewWeek)
			if err != nil {
				b.Fatal(err)
			}
			fa, err := floorReview(ctx, floor, benchNow, reviewWeek)
			if err != nil {
				b.Fatal(err)
			}
			if diff := fa.differs(answerOf(rv)); diff != "" {
				b.Fatalf("the floor and the product disagree on %s:\n%s", reviewWeek, diff)
			}
			b.Logf("%s: %s", reviewWeek, answerOf(rv).summary())
			b.Run("alternated", func(b *testing.B) {
				var product, plain []time.Duration
				for b.Loop() {
					t0 := time.Now()
					rv, err := a.WeeklyReview(ctx, member, reviewWeek)
					if err != nil {
						b.Fatal(err)
					}
					sink = rv
					t1 := time.Now()
					if _, err := floorReview(ctx, floor, benchNow, reviewWeek); err != nil {
						b.Fatal(err)
					}
					product, plain = append(product, t1.Sub(t0)), append(plain, time.Since(t1))
				}
				p, f := spread(product), spread(plain)
				b.ReportMetric(p[1], "review-median-ms")
				b.ReportMetric(p[0], "review-min-ms")
				b.ReportMetric(p[2], "review-max-ms")
				b.ReportMetric(f[1], "floor-median-ms")
				b.ReportMetric(f[0], "floor-min-ms")
				b.ReportMetric(f[2], "floor-max-ms")
				b.ReportMetric(p[1]/f[1], "ratio")
			})
			// Where the time goes, query by query.
			took, ftook := map[string]time.Duration{}, map[string]time.Duration{}
			const reps = 5
			for range reps {
				if err := productTimed(ctx, db, benchNow, reviewWeek, took); err != nil {
					b.Fatal(err)
				}
				if _, err := floorReviewTimed(ctx, floor, benchNow, reviewWeek, ftook); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("product's store reads, mean per query: %s", breakdown(took, reps))
			b.Logf("floor, mean per query: %s", breakdown(ftook, reps))
			b.Run("serve", func(b *testing.B) { serveLarge(b, dsn, db, floor, w) })
		})
	}
}

// spread returns the fastest, the median and the slowest of ds, in ms.
func spread(ds []time.Duration) [3]float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return [3]float64{ms(s[0]), ms(s[len(s)/2]), ms(s[len(s)-1])}
}

// serveLarge is the API harness over the large data set, for the memory
// bar ("RSS serving that data set"): 64 clients read random incidents from
// the product and from the floor, as in BenchmarkAPIRead64, and then
// reviewClients clients ask the product for the week's review at once, the
// heaviest read there is. It reports the product's peak RSS after each
// phase.
func serveLarge(b *testing.B, dsn string, db *store.DB, raw *rawDB, w *world) {
	ctx := context.Background()
	header, err := benchToken(ctx, app.New(db), w.reader().Ref)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := raw.QueryContext(ctx, `SELECT id FROM incidents`)
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, "/api/v1/incidents/"+id)
	}
	rows.Close()
	product := startChild(b, "app", dsn)
	floor := startChild(b, "floor", dsn)
	compare(b, product, floor, header, paths)
	l := newLoader(product.base, header, reviewClients)
	defer l.close()
	r, err := l.round(reviewClients, []string{"/api/v1/reviews/weekly/" + reviewWeek.String()}, *loadRound)
	if err != nil {
		b.Fatalf("weekly reviews: %v", err)
	}
	var t tally
	t.add(r)
	peak, _ := product.memoryKB()
	b.ReportMetric(float64(peak)/1024, "app-peak-rss-with-reviews-MB")
	b.ReportMetric(ms(t.quantile(0.5)), "review8-p50-ms")
	b.ReportMetric(ms(t.quantile(1)), "review8-max-ms")
}

// fileSize describes the size of a SQLite database file, with its WAL.
func fileSize(dsn string) string {
	engine, path, err := store.ParseDSN(dsn)
	if err != nil || engine != store.SQLite {
		return ""
	}
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return fmt.Sprintf("; the SQLite file is %d MB", n>>20)
}

// breakdown lists the timings, slowest first, divided by reps.
func breakdown(took map[string]time.Duration, reps int) string {
	names := slices.Collect(maps.Keys(took))
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(took[b], took[a]) })
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.1f ms", n, ms(took[n]/time.Duration(reps))))
	}
	return strings.Join(parts, "; ")
}

// drain runs q and reads every column of every row as the driver hands it.
func drain(ctx context.Context, tx *sql.Tx, q string, args ...any) (int, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
