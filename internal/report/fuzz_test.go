package report

import (
	"testing"
	"time"
)

// FuzzCharts feeds arbitrary labels, counts and times to every chart: each
// must render well-formed XML, an img labelled by its own title and desc,
// with finite coordinates (checkChart).
func FuzzCharts(f *testing.F) {
	f.Add("2026-W47", "team:default/payments", "A2", 3, 1, 0, 7, int64(0), int64(86400), uint8(12))
	f.Add(`<script>"&'`, "\x00\xff\uFFFE", "", -1, 0, 1<<62, -(1 << 62), int64(-1<<62), int64(1<<62), uint8(1))
	f.Add("", "", "none", 0, 0, 0, 0, int64(0), int64(0), uint8(0))
	f.Fuzz(func(t *testing.T, week, team, ruleName string, a, b, c, d int, t1, t2 int64, n uint8) {
		at := func(i int) time.Time { return time.Unix(t1+int64(i)*t2%(1<<40), 0) }
		count := int(n % 40)
		var weeks []WeekCounts
		var labels []string
		var points []BurnPoint
		var rules []RuleCount
		var teams []TeamCounts
		for i := range count {
			weeks = append(weeks, WeekCounts{Week: week, BySeverity: [4]int{a, b * i, c, d}})
			labels = append(labels, week)
			points = append(points, BurnPoint{At: at(i), Open: a + i, Overdue: b - i})
			rules = append(rules, RuleCount{Rule: ruleName, Decided: c, Overridden: d})
			teams = append(teams, TeamCounts{Team: team, Counts: []int{a, b, c, d}[:i%5]})
		}
		for _, ch := range []Chart{
			SeverityChart(week, weeks),
			BurndownChart(team, points),
			RuleChart(ruleName, rules),
			TeamChart(team, labels, teams),
		} {
			checkChart(t, ch)
		}
	})
}
