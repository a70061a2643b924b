// Package review builds the weekly incident review of PRODUCT.md section 7:
// how the week compares with the four before it, the week's incidents,
// postmortems waiting for review or overdue, the parties decided (party and
// rule only: levels are private and never appear here), follow-ups due and
// overdue with their owners, ownership gaps and ownership drift found, open
// integrity flags, and the leader corner.
//
// The app loads the week's facts (Input); Build shapes them and Markdown
// renders them. Both are pure, so a review is reproducible from its input.
package review

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// ListLimit caps each list in a review; the totals still count everything.
const ListLimit = 200

// Input is what the app loads for one week.
type Input struct {
	Week Week
	// AsOf is the moment the review describes: the end of the week, or now
	// for the current week.
	AsOf time.Time
	// Counts holds incidents by severity for the week (index 0) and the
	// four weeks before it (1–4).
	Counts [5]map[incident.Severity]int

	Incidents      []IncidentLine
	IncidentsTotal int
	// Open postmortems (draft or in review) of resolved incidents, with the
	// time of resolution, from which due dates are worked out: at least
	// the ListLimit in review that were resolved first, and the ListLimit
	// overdue that were resolved first (those resolved within
	// OverdueSpans; the store reads no more than that). AwaitingTotal
	// counts those in review, and OverdueTotal those overdue; both are
	// counted from OpenPostmortems when it holds more.
	OpenPostmortems []PostmortemLine
	AwaitingTotal   int
	OverdueTotal    int
	// Attributions are the first ListLimit decisions of the week, and
	// AttributionsTotal how many there were.
	Attributions      []AttributionLine
	AttributionsTotal int
	FollowUpsDue      []followup.FollowUp
	FollowUpsLate     []followup.FollowUp
	LateTotal         int
	// Gaps are the follow-ups the engine opened this week to clarify
	// ownership (A4), and Unowned the entities with no owner at AsOf.
	Gaps    []followup.FollowUp
	Unowned []org.Ref
	// UnownedTotal counts the entities with no owner; Unowned lists the
	// first ListLimit of them by reference.
	UnownedTotal int
	// Drift is the ownership drift found at AsOf (Drift), beside the gaps:
	// the first ListLimit findings at least, and DriftTotal how many there
	// are in all when more.
	Drift      []Finding
	DriftTotal int
	// A4 counts decisions naming each leader under A4, this week and over
	// the trailing 90 days.
	A4Week   map[org.Ref]int
	A4Recent map[org.Ref]int
	// Fairness counts the A8 fairness flags raised about each leader (an A4
	// suggestion overridden onto one of their reports), likewise.
	FairnessWeek   map[org.Ref]int
	FairnessRecent map[org.Ref]int
	// Flags are the open integrity flags (I1–I6), newest first, and
	// FlagsTotal how many there are.
	Flags      []FlagLine
	FlagsTotal int
	// Rules counts the decisions of the trailing 90 days by the rule the
	// engine suggested, with how often reviewers overrode it (A8): a rule
	// overridden often points at a catalog that is wrong.
	Rules []RuleLine
	// Trend is the incidents per week of the teams TrendTeamsOf picks
	// from Attributions, in that order.
	Trend []TeamTrend
	// FollowThrough is the week's reminders, escalations, confirmed
	// recurrences, missed follow-ups and changes inside freezes.
	FollowThrough FollowThrough

	PostmortemDueDays int
}

// PartyRule is how many decisions in force named a party under a rule.
type PartyRule struct {
	Party org.Ref
	Rule  string
	Count int
}

// RuleLine is how the decisions on one rule's suggestions went.
type RuleLine struct {
	Rule       string
	Decided    int
	Overridden int
}

// IncidentLine is an incident in the review.
type IncidentLine struct {
	ID        incident.ID
	Title     string
	Severity  incident.Severity
	Status    incident.Status
	StartedAt time.Time
	// Party and Rule are the decided attribution, when there is one.
	Party org.Ref
	Rule  string
	State postmortem.State
}

// PostmortemLine is a postmortem waiting on someone.
type PostmortemLine struct {
	Incident   incident.ID
	Title      string
	Severity   incident.Severity
	State      postmortem.State
	ResolvedAt time.Time
	Due        time.Time
	Overdue    bool
}

// AttributionLine is a decision made during the week: the party and the
// rule, nothing private.
type AttributionLine struct {
	Incident   incident.ID
	Title      string
	Party      org.Ref
	Rule       string
	Overridden bool
	DecidedAt  time.Time
}

// SeverityCount compares one severity's count with the previous weeks.
type SeverityCount struct {
	Severity incident.Severity
	Week     int
	Previous [4]int
	// Average is the mean of the previous four weeks.
	Average float64
}

// FlagLine is an open integrity flag: a signal for the review to look at,
// never blame by itself.
type FlagLine struct {
	ID       string
	Rule     string
	Incident incident.ID
	Suspect  org.Ref
	RaisedAt time.Time
	Detail   string
}

// LeaderLine is one leader's entry in the leader corner.
type LeaderLine struct {
	Leader         org.Ref
	A4Week         int
	A4Recent       int
	FairnessWeek   int
	FairnessRecent int
}

// Review is the weekly review.
type Review struct {
	Week           Week
	From, To       time.Time
	AsOf           time.Time
	Counts         []SeverityCount
	Total          SeverityCount
	Incidents      []IncidentLine
	IncidentsTotal int
	// AwaitingReview and OverduePostmortems list, resolved longest ago
	// first, at most ListLimit postmortems each; the totals count them all.
	AwaitingReview          []PostmortemLine
	AwaitingTotal           int
	OverduePostmortems      []PostmortemLine
	OverduePostmortemsTotal int
	Attributions            []AttributionLine
	AttributionsTotal       int
	FollowUpsDue            []followup.FollowUp
	FollowUpsOverdue        []followup.FollowUp
	OverdueTotal            int
	OwnershipGaps           []followup.FollowUp
	Unowned                 []org.Ref
	UnownedTotal            int
	Drift                   []Finding
	DriftTotal              int
	Flags                   []FlagLine
	FlagsTotal              int
	Leaders                 []LeaderLine
	Rules                   []RuleLine
	Trend                   []TeamTrend
	FollowThrough           FollowThrough
	// PostmortemDueDays is F5's deadline, in business days after
	// resolution, that made the overdue list.
	PostmortemDueDays int
}

// Build shapes the input into the review.
func Build(in Input) Review {
	r := Review{Week: in.Week, From: in.Week.Start(), To: in.Week.End(), AsOf: in.AsOf,
		Incidents: in.Incidents, IncidentsTotal: in.IncidentsTotal, Attributions: in.Attributions,
		FollowUpsDue: in.FollowUpsDue, FollowUpsOverdue: in.FollowUpsLate, OverdueTotal: in.LateTotal,
		OwnershipGaps: in.Gaps, Unowned: in.Unowned, Flags: in.Flags, FlagsTotal: in.FlagsTotal, Rules: in.Rules, Trend: in.Trend,
		PostmortemDueDays: in.PostmortemDueDays, FollowThrough: in.FollowThrough, Drift: in.Drift, DriftTotal: max(in.DriftTotal, len(in.Drift)),
		AttributionsTotal: max(in.AttributionsTotal, len(in.Attributions)), UnownedTotal: max(in.UnownedTotal, len(in.Unowned))}
	r.Drift = r.Drift[:min(len(r.Drift), ListLimit)]
	r.Attributions = r.Attributions[:min(len(r.Attributions), ListLimit)]
	r.Unowned = r.Unowned[:min(len(r.Unowned), ListLimit)]
	r.Total.Severity = "all"
	for _, sev := range incident.Severities {
		c := SeverityCount{Severity: sev, Week: in.Counts[0][sev]}
		sum := 0
		for i := range 4 {
			c.Previous[i] = in.Counts[i+1][sev]
			sum += c.Previous[i]
			r.Total.Previous[i] += c.Previous[i]
		}
		c.Average = float64(sum) / 4
		r.Total.Week += c.Week
		r.Counts = append(r.Counts, c)
	}
	r.Total.Average = float64(r.Total.Previous[0]+r.Total.Previous[1]+r.Total.Previous[2]+r.Total.Previous[3]) / 4
	buildPostmortems(&r, in)
	leaders := map[org.Ref]bool{}
	for _, m := range []map[org.Ref]int{in.A4Recent, in.FairnessRecent} {
		for l := range m {
			leaders[l] = true
		}
	}
	for l := range leaders {
		r.Leaders = append(r.Leaders, LeaderLine{Leader: l, A4Week: in.A4Week[l], A4Recent: in.A4Recent[l],
			FairnessWeek: in.FairnessWeek[l], FairnessRecent: in.FairnessRecent[l]})
	}
	sort.Slice(r.Leaders, func(i, j int) bool {
		a, b := r.Leaders[i], r.Leaders[j]
		if a.A4Week+a.FairnessWeek != b.A4Week+b.FairnessWeek {
			return a.A4Week+a.FairnessWeek > b.A4Week+b.FairnessWeek
		}
		if a.A4Recent+a.FairnessRecent != b.A4Recent+b.FairnessRecent {
			return a.A4Recent+a.FairnessRecent > b.A4Recent+b.FairnessRecent
		}
		return a.Leader < b.Leader
	})
	return r
}

// buildPostmortems works out the due dates of the open postmortems and
// lists those awaiting review and those overdue, resolved longest ago
// first (for overdue ones, nearly the most overdue first: a due date is a
// number of business days after resolution), at most ListLimit each, with
// their totals.
func buildPostmortems(r *Review, in Input) {
	open := slices.Clone(in.OpenPostmortems)
	slices.SortFunc(open, func(a, b PostmortemLine) int {
		return cmp.Or(a.ResolvedAt.Compare(b.ResolvedAt), cmp.Compare(a.Incident, b.Incident))
	})
	open = slices.CompactFunc(open, func(a, b PostmortemLine) bool { return a.Incident == b.Incident })
	awaiting, overdue := 0, 0
	for _, p := range open {
		p.Due = postmortem.DueAt(p.ResolvedAt, in.PostmortemDueDays)
		pm := postmortem.Postmortem{State: p.State}
		p.Overdue = pm.IsOverdue(p.Due, in.AsOf)
		if p.State == postmortem.InReview {
			awaiting++
			if len(r.AwaitingReview) < ListLimit {
				r.AwaitingReview = append(r.AwaitingReview, p)
			}
		}
		if p.Overdue {
			overdue++
			if len(r.OverduePostmortems) < ListLimit {
				r.OverduePostmortems = append(r.OverduePostmortems, p)
			}
		}
	}
	r.AwaitingTotal = max(in.AwaitingTotal, awaiting)
	r.OverduePostmortemsTotal = max(in.OverdueTotal, overdue)
}

// Span is the times from From up to To, To left out; a zero From has no
// bound below.
type Span struct{ From, To time.Time }

// OverdueSpans returns the times of resolution, in order, of the
// postmortems that are overdue at asOf if they are still open, when due
// businessDays business days after resolution (postmortem.DueAt): all
// before SurelyOverdueBefore, and after it each UTC day's share. A
// postmortem resolved on a given UTC day is due a whole number of days
// later, the same number for the whole day, so the overdue ones of the
// day are those resolved before asOf less that many days. Bounds are
// rounded up to the microsecond, as times are kept: a time kept to the
// microsecond is before a bound exactly when it is before the rounded one.
// A review counts and lists overdue postmortems from these spans without
// reading the thousands resolved in the last week to judge them one by
// one.
func OverdueSpans(asOf time.Time, businessDays int) []Span {
	up := func(t time.Time) time.Time {
		if c := t.Truncate(time.Microsecond); c.Before(t) {
			return c.Add(time.Microsecond)
		}
		return t
	}
	asOf = asOf.UTC()
	sure := SurelyOverdueBefore(asOf, businessDays)
	out := []Span{{To: up(sure)}}
	for day := sure.Truncate(24 * time.Hour); day.Before(asOf); day = day.AddDate(0, 0, 1) {
		wait := postmortem.DueAt(day, businessDays).Sub(day)
		from, to := up(maxTime(day, sure)), up(minTime(day.AddDate(0, 0, 1), asOf.Add(-wait)))
		switch last := &out[len(out)-1]; {
		case !from.Before(to):
		case last.To.Equal(from):
			last.To = to
		default:
			out = append(out, Span{From: from, To: to})
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// SurelyOverdueBefore returns the moment before which every postmortem
// resolved and still open is overdue at asOf, when postmortems are due
// businessDays business days after resolution (postmortem.DueAt): asOf
// less the longest that many business days can take in calendar days.
func SurelyOverdueBefore(asOf time.Time, businessDays int) time.Time {
	longest := 0
	for d := range 7 {
		t := asOf.AddDate(0, 0, d)
		longest = max(longest, int(postmortem.DueAt(t, businessDays).Sub(t).Hours()+0.5)/24)
	}
	return asOf.AddDate(0, 0, -longest)
}
