package store

import (
	"database/sql"
	"strings"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/report"
)

// The charts' aggregates: each is one statement that reads only the rows
// its chart draws, through an index, and counts them in the database.

// FollowUpBurndown counts, at each moment of at (oldest first), the
// follow-ups open then and how many of those were overdue: the same
// numbers report.Burndown gives for the same follow-ups, which is the
// reference its tests hold it to. A follow-up is open from its creation
// until it closed (for ever if it is open now), and overdue while open from
// the day after its due date; one closed at no known time is not counted.
// owners, when not nil, keeps those owned by one of them.
//
// Only follow-ups open now or closed after the first moment can have been
// open at any of them, so those are all it reads, in four parts that
// share no follow-up, each a range of an index holding every column it
// needs, read one after the other (UNION ALL; as one OR, PostgreSQL read
// them through a bitmap of the table's rows instead, three to four times
// slower):
//
//   - open, created by the first moment and due before its day: open and
//     overdue at every moment. Most open follow-ups of a long history are
//     these, so they are only counted, where they lie.
//   - open, created by the first moment and due since: overdue from the
//     first moment whose day is past the due date.
//   - open, created after the first moment.
//   - closed after the first moment.
//
// Each follow-up of the last three is placed by comparisons alone, exact
// on both engines: the first moment at or after its creation, the first
// at or after its closing, and the first whose day is past its due date.
// The statement counts them by those three; they are spread over the
// moments here.
func (tx *Tx) FollowUpBurndown(at []time.Time, owners []org.Ref) ([]report.BurnPoint, error) {
	n := len(at)
	if n == 0 {
		return nil, nil
	}
	where, args := followUpWhere(tx, followup.Filter{Owners: owners})
	if where == "" {
		where = " WHERE "
	} else {
		where += " AND "
	}
	moments, days := len(args)+1, len(args)+1+n
	for _, t := range at {
		args = append(args, tx.t(t))
	}
	for _, t := range at {
		args = append(args, followup.Day(t).Format(time.DateOnly))
	}
	first, firstDay := "$"+itoa(moments), "$"+itoa(days)
	openIndex, restIndex := burndownIndex(tx.engine, owners)
	const open = "status = 'open' AND closed_at IS NULL"
	// Each follow-up's three places go as one number, (opened × m + closed)
	// × m + late: SQLite groups by one value faster than by three.
	m := itoa(n + 1)
	placed := func(index, closed, cond string) string {
		return `SELECT (` + firstAtOrAfter("created_at <= ", moments, n) + ` * ` + m + ` + ` + closed + `) * ` + m + `
        + ` + firstAtOrAfter("due < ", days, n) + ` AS placed
    FROM followups` + index + where + cond
	}
	q := `
SELECT ` + itoa(n*(n+1)) + `, COUNT(*) FROM followups` + openIndex + where + open + ` AND due < ` + firstDay + ` AND created_at <= ` + first + `
UNION ALL
SELECT placed, COUNT(*) FROM (
    ` + placed(openIndex, itoa(n), open+" AND due >= "+firstDay+" AND created_at <= "+first) + `
    UNION ALL
    ` + placed(restIndex, itoa(n), open+" AND created_at > "+first) + `
    UNION ALL
    ` + placed(restIndex, firstAtOrAfter("closed_at <= ", moments, n), "closed_at > "+first) + `
) placed
GROUP BY placed`
	points := make([]report.BurnPoint, n)
	for i, t := range at {
		points[i].At = t.UTC()
	}
	err := tx.each("count open follow-ups by week", q, args, func(rows *sql.Rows) error {
		var placed, count int
		if err := rows.Scan(&placed, &count); err != nil {
			return err
		}
		opened, closed, late := placed/(n+1)/(n+1), placed/(n+1)%(n+1), placed%(n+1)
		for k := opened; k < min(closed, n); k++ {
			points[k].Open += count
			if k >= late {
				points[k].Overdue += count
			}
		}
		return nil
	})
	return points, err
}

// burndownIndex names the indexes SQLite is to read a burn-down's open
// follow-ups by, and the rest. A team's follow-ups are found owner by
// owner, each owner's a range of followups_owner_status_due: at PRODUCT.md
// section 9's size, 2 ms in C for ten owners, where reading the 660,000
// open or recently closed follow-ups through followups_burndown to test
// their owner took 133 ms. The recently closed are every status of an
// owner but open, so past about 2,000 owners (326 ms against 368 at
// 3,000) they are read through followups_burndown, whose first column is
// the closing time. Left to itself, SQLite took followups_burndown for an
// organisation's open follow-ups too, testing the owner of every one.
// PostgreSQL chooses well by itself.
func burndownIndex(engine Engine, owners []org.Ref) (open, rest string) {
	const byOwner, byTime = " INDEXED BY followups_owner_status_due", " INDEXED BY followups_burndown"
	switch {
	case engine != SQLite:
		return "", ""
	case owners == nil:
		return byTime, byTime
	case len(owners) <= burndownOwners:
		return byOwner, byOwner
	}
	return byOwner, byTime
}

// burndownOwners is how many owners a burn-down reads every follow-up of
// owner by owner, at most.
var burndownOwners = 2000

// firstAtOrAfter is an expression giving the index of the first of n
// parameters, numbered from first, for which cond (a comparison missing
// its right-hand side) holds, or n for none. cond must hold for every
// parameter after one it holds for (the moments ascend), so the expression
// is a binary search: a row takes about log2(n) comparisons instead of up
// to n, which is most of what the statement costs per row.
func firstAtOrAfter(cond string, first, n int) string {
	var search func(lo, hi int) string
	search = func(lo, hi int) string {
		if lo == hi {
			return itoa(hi)
		}
		mid := (lo + hi) / 2
		return "CASE WHEN " + cond + "$" + itoa(first+mid) + " THEN " + search(lo, mid) + " ELSE " + search(mid+1, hi) + " END"
	}
	return search(0, n)
}

// PartyWeeks counts, for each of parties, the incidents started in each of
// the weeks beginning at weeks (Mondays, oldest first, each seven days
// long) whose decision in force names that party. Every party gets a
// count per week, zero or more. It finds the parties' decisions through
// attributions_party, and their incidents through incidents_attribution.
func (tx *Tx) PartyWeeks(parties []org.Ref, weeks []time.Time) (map[org.Ref][]int, error) {
	out := make(map[org.Ref][]int, len(parties))
	for _, p := range parties {
		out[p] = make([]int, len(weeks))
	}
	n := len(weeks)
	if n == 0 || len(parties) == 0 {
		return out, nil
	}
	args := refArgs(parties)
	bounds := len(args) + 1
	for _, w := range weeks {
		args = append(args, tx.t(w))
	}
	args = append(args, tx.t(weeks[n-1].AddDate(0, 0, 7)))
	// The week of an incident is the last whose start it is not before.
	// One week is week 0 (a CASE needs a WHEN).
	var week strings.Builder
	if n == 1 {
		week.WriteString("0")
	} else {
		week.WriteString("CASE")
		for k := n - 1; k > 0; k-- {
			week.WriteString(" WHEN i.started_at >= $" + itoa(bounds+k) + " THEN " + itoa(k))
		}
		week.WriteString(" ELSE 0 END")
	}
	q := `
SELECT party, week, COUNT(*) FROM (
    SELECT a.party, ` + week.String() + ` AS week
    FROM attributions a JOIN incidents i ON i.attribution = a.id
    WHERE a.party IN ` + inList(1, len(parties)) + `
      AND i.started_at >= $` + itoa(bounds) + ` AND i.started_at < $` + itoa(bounds+n) + `
) dated
GROUP BY party, week`
	err := tx.each("count incidents by party and week", q, args, func(rows *sql.Rows) error {
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
