package store

import (
	"database/sql"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/review"
)

// SeverityWeeks counts incidents by severity in each of the weeks that
// start at starts (oldest first, each ending where the next starts, the
// last at end), in one read: of the counts per day when every bound is a
// UTC midnight, else of the started_at index range.
func (tx *Tx) SeverityWeeks(starts []time.Time, end time.Time) ([]map[incident.Severity]int, error) {
	out := make([]map[incident.Severity]int, len(starts))
	for i := range out {
		out[i] = map[incident.Severity]int{}
	}
	if len(starts) == 0 {
		return out, nil
	}
	args := []any{}
	for _, s := range starts {
		args = append(args, tx.t(s))
	}
	args = append(args, tx.t(end))
	n := len(starts)
	var week strings.Builder
	week.WriteString("CASE")
	for k := n - 1; k > 0; k-- {
		week.WriteString(" WHEN started_at >= $" + itoa(k+1) + " THEN " + itoa(k))
	}
	week.WriteString(" ELSE 0 END")
	q := `
SELECT ` + week.String() + ` AS week, severity, COUNT(*) FROM incidents
WHERE started_at >= $1 AND started_at < $` + itoa(n+1) + `
GROUP BY 1, 2`
	if days, ok := utcDayArgs(starts, end); ok {
		// Between UTC midnights, from the counts per day (incident_days,
		// 0024): 35 days of rows instead of 32,000 index entries at a
		// million incidents.
		q = `
SELECT ` + strings.ReplaceAll(week.String(), "started_at", "day") + ` AS week, severity, SUM(n) FROM incident_days
WHERE day >= $1 AND day < $` + itoa(n+1) + `
GROUP BY 1, 2 HAVING SUM(n) <> 0`
		args = days
	}
	err := tx.each("count incidents by week", q, args, func(rows *sql.Rows) error {
		var k, c int
		var sev string
		err := rows.Scan(&k, &sev, &c)
		if k >= 0 && k < n {
			out[k][incident.Severity(sev)] = c
		}
		return err
	})
	return out, err
}

// WeekIncidents lists up to limit incidents started in [from, to), newest
// first, with their decided party and postmortem state.
func (tx *Tx) WeekIncidents(from, to time.Time, limit int) ([]review.IncidentLine, error) {
	var out []review.IncidentLine
	err := tx.each("list the week's incidents", `
SELECT i.id, i.title, i.severity, i.status, i.started_at, a.party, a.rule, p.state
FROM incidents i
LEFT JOIN attributions a ON a.id = i.attribution
LEFT JOIN postmortems p ON p.incident = i.id
WHERE i.started_at >= $1 AND i.started_at < $2
ORDER BY i.started_at DESC, i.id DESC
LIMIT `+itoa(limit), []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var l review.IncidentLine
		var id, sev, status, party, rule, state string
		err := rows.Scan(&id, &l.Title, &sev, &status, tm(&l.StartedAt), str(&party), str(&rule), str(&state))
		l.ID, l.Severity, l.Status, l.Party, l.Rule, l.State = incident.ID(id), incident.Severity(sev), incident.Status(status),
			org.Ref(party), rule, postmortem.State(state)
		out = append(out, l)
		return err
	})
	return out, err
}

// WaitingFilter selects postmortems still in draft or review whose
// incident is resolved.
type WaitingFilter struct {
	// InReview keeps only those in review.
	InReview bool
	// ResolvedFrom and ResolvedBefore bound the incident's resolution.
	ResolvedFrom, ResolvedBefore time.Time
	// Limit caps a listing; zero lists them all.
	Limit int
}

func waitingWhere(tx *Tx, f WaitingFilter) (string, []any) {
	where := `o.resolved_at IS NOT NULL`
	if f.InReview {
		where = `o.state = 'in_review' AND o.resolved_at IS NOT NULL`
	}
	var args []any
	if !f.ResolvedFrom.IsZero() {
		args = append(args, tx.t(f.ResolvedFrom))
		where += ` AND o.resolved_at >= $` + itoa(len(args))
	}
	if !f.ResolvedBefore.IsZero() {
		args = append(args, tx.t(f.ResolvedBefore))
		where += ` AND o.resolved_at < $` + itoa(len(args))
	}
	return where, args
}

// WaitingPostmortems lists the postmortems f selects, resolved longest
// ago first. They are read from open_postmortems (0024), which keeps the
// postmortems in draft or review with their incident's title, severity
// and resolution: at a million incidents, finding the 17,000 of them
// through postmortems_state and looking each incident up took 0.3-0.5 s.
func (tx *Tx) WaitingPostmortems(f WaitingFilter) ([]review.PostmortemLine, error) {
	where, args := waitingWhere(tx, f)
	q := `
SELECT o.incident, o.title, o.severity, o.state, o.resolved_at
FROM open_postmortems o
WHERE ` + where + `
ORDER BY o.resolved_at, o.incident`
	if f.Limit > 0 {
		q += ` LIMIT ` + itoa(f.Limit)
	}
	var out []review.PostmortemLine
	err := tx.each("list open postmortems", q, args, func(rows *sql.Rows) error {
		var l review.PostmortemLine
		var id, sev, state string
		err := rows.Scan(&id, &l.Title, &sev, &state, tm(&l.ResolvedAt))
		l.Incident, l.Severity, l.State = incident.ID(id), incident.Severity(sev), postmortem.State(state)
		out = append(out, l)
		return err
	})
	return out, err
}

// WaitingInSpans lists the first limit open postmortems resolved within
// the spans (in order, as review.OverdueSpans gives them), resolved
// longest ago first, and counts all of them: a count and at most one list
// per span, each a range of open_postmortems_resolved.
func (tx *Tx) WaitingInSpans(spans []review.Span, limit int) ([]review.PostmortemLine, int, error) {
	var out []review.PostmortemLine
	total := 0
	for _, s := range spans {
		f := WaitingFilter{ResolvedFrom: s.From, ResolvedBefore: s.To}
		n, err := tx.CountWaitingPostmortems(f)
		if err != nil {
			return nil, 0, err
		}
		total += n
		if n == 0 || len(out) >= limit {
			continue
		}
		f.Limit = limit - len(out)
		list, err := tx.WaitingPostmortems(f)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, list...)
	}
	return out, total, nil
}

// CountWaitingPostmortems counts the postmortems f selects, its Limit
// aside.
func (tx *Tx) CountWaitingPostmortems(f WaitingFilter) (int, error) {
	where, args := waitingWhere(tx, f)
	var n int
	err := tx.get("count open postmortems", `SELECT COUNT(*) FROM open_postmortems o WHERE `+where, args, &n)
	return n, err
}

// CountOverdue counts the open follow-ups due before day (a UTC date),
// from the counts kept per due day (open_followups_due, 0024): at a
// million incidents, counting the 173,000 of them through
// followups_status_due took 0.4 s on PostgreSQL.
func (tx *Tx) CountOverdue(day time.Time) (int, error) {
	var n int
	err := tx.get("count overdue follow-ups", `SELECT COALESCE(SUM(n), 0) FROM open_followups_due WHERE due < $1`,
		[]any{day.Format(time.DateOnly)}, &n)
	return n, err
}

// DecidedAttributions lists the first limit decisions in force that were
// made in [from, to), earliest first.
func (tx *Tx) DecidedAttributions(from, to time.Time, limit int) ([]review.AttributionLine, error) {
	var out []review.AttributionLine
	err := tx.each("list decided attributions", `
SELECT i.id, i.title, a.party, a.rule, a.suggested_party, a.decided_at
FROM attributions a JOIN incidents i ON i.attribution = a.id
WHERE a.decided_at >= $1 AND a.decided_at < $2
ORDER BY a.decided_at, i.id
LIMIT `+itoa(limit), []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var l review.AttributionLine
		var id, party, suggested string
		err := rows.Scan(&id, &l.Title, &party, &l.Rule, &suggested, tm(&l.DecidedAt))
		l.Incident, l.Party, l.Overridden = incident.ID(id), org.Ref(party), party != suggested
		out = append(out, l)
		return err
	})
	return out, err
}

// PartyRules counts the decisions in force made in [from, to) by party
// and rule, in one read: the week's total, the teams it named most and
// its A4 faults all come from it. Between UTC midnights it reads the daily
// counts (decision_days, 0025).
func (tx *Tx) PartyRules(from, to time.Time) ([]review.PartyRule, error) {
	q, args := `
SELECT a.party, a.rule, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
WHERE a.decided_at >= $1 AND a.decided_at < $2
GROUP BY a.party, a.rule`, []any{tx.t(from), tx.t(to)}
	if d0, d1, ok := utcDays(from, to); ok {
		q, args = `
SELECT party, rule, SUM(n) FROM decision_days
WHERE day >= $1 AND day < $2
GROUP BY party, rule HAVING SUM(n) > 0`, []any{d0, d1}
	}
	var out []review.PartyRule
	err := tx.each("count decisions by party", q, args, func(rows *sql.Rows) error {
		var l review.PartyRule
		var party string
		err := rows.Scan(&party, &l.Rule, &l.Count)
		l.Party = org.Ref(party)
		out = append(out, l)
		return err
	})
	return out, err
}

// TeamWeeks is PartyWeeks read from the counts of decisions in force per
// party and day of the incident's start (party_starts, 0025) when every
// week starts at a UTC midnight, as the weekly review's do: at a million
// incidents PartyWeeks read each named team's every decision and its
// incident (0.1-0.15 s).
func (tx *Tx) TeamWeeks(parties []org.Ref, weeks []time.Time) (map[org.Ref][]int, error) {
	n := len(weeks)
	for _, w := range weeks {
		if _, _, ok := utcDays(w, w); !ok {
			return tx.PartyWeeks(parties, weeks)
		}
	}
	out := make(map[org.Ref][]int, len(parties))
	for _, p := range parties {
		out[p] = make([]int, n)
	}
	if n == 0 || len(parties) == 0 {
		return out, nil
	}
	args := refArgs(parties)
	bounds := len(args) + 1
	for _, w := range weeks {
		args = append(args, w.UTC().Format(time.DateOnly))
	}
	args = append(args, weeks[n-1].AddDate(0, 0, 7).UTC().Format(time.DateOnly))
	// The week of a day is the last whose start it is not before.
	week := "0"
	if n > 1 {
		var b strings.Builder
		b.WriteString("CASE")
		for k := n - 1; k > 0; k-- {
			b.WriteString(" WHEN day >= $" + itoa(bounds+k) + " THEN " + itoa(k))
		}
		b.WriteString(" ELSE 0 END")
		week = b.String()
	}
	err := tx.each("count decisions by party and week", `
SELECT party, `+week+` AS week, SUM(n) FROM party_starts
WHERE party IN `+inList(1, len(parties))+` AND day >= $`+itoa(bounds)+` AND day < $`+itoa(bounds+n)+`
GROUP BY party, 2`, args, func(rows *sql.Rows) error {
		var party string
		var week, count int
		if err := rows.Scan(&party, &week, &count); err != nil {
			return err
		}
		if c, ok := out[org.Ref(party)]; ok && week >= 0 && week < n {
			c[week] = count
		}
		return nil
	})
	return out, err
}

// utcDayArgs returns starts and end as UTC days (query arguments), when
// each is a UTC midnight.
func utcDayArgs(starts []time.Time, end time.Time) ([]any, bool) {
	var out []any
	for _, t := range append(slices.Clone(starts), end) {
		d, _, ok := utcDays(t, t)
		if !ok {
			return nil, false
		}
		out = append(out, d)
	}
	return out, true
}

// utcDays returns from and to as the UTC days decision_days is kept by,
// when both are UTC midnights.
func utcDays(from, to time.Time) (string, string, bool) {
	midnight := func(t time.Time) bool { return t.UTC().Truncate(24 * time.Hour).Equal(t) }
	if !midnight(from) || !midnight(to) {
		return "", "", false
	}
	return from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly), true
}

// RuleCounts counts the decisions in force made in [from, to) by the rule
// the engine suggested, and how many of them named another party than the
// suggestion (A8 overrides), by rule. Between UTC midnights it reads the
// daily counts (rule_days, 0025): at a million incidents the join of 90
// days' 80,000 decisions to their incidents took 0.2-0.35 s.
func (tx *Tx) RuleCounts(from, to time.Time) ([]review.RuleLine, error) {
	q, args := `
SELECT a.suggested_rule, COUNT(*), SUM(CASE WHEN a.party <> a.suggested_party THEN 1 ELSE 0 END)
FROM attributions a JOIN incidents i ON i.attribution = a.id
WHERE a.decided_at >= $1 AND a.decided_at < $2
GROUP BY a.suggested_rule ORDER BY a.suggested_rule`, []any{tx.t(from), tx.t(to)}
	if d0, d1, ok := utcDays(from, to); ok {
		q, args = `
SELECT suggested_rule, SUM(n), SUM(CASE WHEN overridden = 1 THEN n ELSE 0 END) FROM rule_days
WHERE day >= $1 AND day < $2
GROUP BY suggested_rule HAVING SUM(n) > 0 ORDER BY suggested_rule`, []any{d0, d1}
	}
	var out []review.RuleLine
	err := tx.each("count decisions by rule", q, args, func(rows *sql.Rows) error {
		var l review.RuleLine
		err := rows.Scan(&l.Rule, &l.Decided, &l.Overridden)
		out = append(out, l)
		return err
	})
	return out, err
}

// LeaderA4Counts counts decisions in force, made in [from, to), that name a
// party under rule A4 (a leader answering for ambiguous ownership). Between
// UTC midnights it reads the daily counts (decision_days, 0025).
func (tx *Tx) LeaderA4Counts(from, to time.Time) (map[org.Ref]int, error) {
	q, args := `
SELECT a.party, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
WHERE a.rule = 'A4' AND a.decided_at >= $1 AND a.decided_at < $2
GROUP BY a.party`, []any{tx.t(from), tx.t(to)}
	if d0, d1, ok := utcDays(from, to); ok {
		q, args = `
SELECT party, SUM(n) FROM decision_days
WHERE day >= $1 AND day < $2 AND rule = 'A4'
GROUP BY party HAVING SUM(n) > 0`, []any{d0, d1}
	}
	out := map[org.Ref]int{}
	err := tx.each("count A4 faults", q, args, func(rows *sql.Rows) error {
		var party string
		var n int
		err := rows.Scan(&party, &n)
		out[org.Ref(party)] = n
		return err
	})
	return out, err
}

// FairnessFlagCounts counts the A8 fairness flags raised about each leader
// between from and to.
func (tx *Tx) FairnessFlagCounts(from, to time.Time) (map[org.Ref]int, error) {
	out := map[org.Ref]int{}
	err := tx.each("count fairness flags", `
SELECT about, COUNT(*) FROM fairness_flags
WHERE rule = 'A8' AND created_at >= $1 AND created_at < $2
GROUP BY about`, []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var about string
		var n int
		err := rows.Scan(&about, &n)
		out[org.Ref(about)] = n
		return err
	})
	return out, err
}
