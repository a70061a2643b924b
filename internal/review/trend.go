package review

import (
	"cmp"
	"slices"

	"blameful.dev/blameful/internal/org"
)

// The review's team trend: the teams the week's decisions name, each with
// its incidents per week over the weeks up to the review's, so a team
// named again this week shows whether that is its usual or a spike.

// Trend sizes: the weeks a trend covers, ending with the review's, and
// the most teams it shows.
const (
	TrendWeeks = 8
	TrendTeams = 6
)

// TeamTrend is one team's incidents per week over the TrendWeeks weeks
// ending with the review's, oldest first: the incidents started in each
// whose decision in force names the team.
type TeamTrend struct {
	Team   org.Ref
	Counts []int
}

// TrendTeamsOf returns the teams the week's decisions name, the most named
// first (then by reference), at most TrendTeams: the teams whose trend the
// review shows. People named are left out: a trend is a team's.
func TrendTeamsOf(decided []AttributionLine) []org.Ref {
	named := map[org.Ref]int{}
	for _, l := range decided {
		named[l.Party]++
	}
	return TrendTeamsNamed(named)
}

// TrendTeamsNamed is TrendTeamsOf from how many decisions named each
// party: the TrendTeams teams named most, ties by reference.
func TrendTeamsNamed(named map[org.Ref]int) []org.Ref {
	teams := make([]org.Ref, 0, len(named))
	for t := range named {
		if t.IsTeam() {
			teams = append(teams, t)
		}
	}
	slices.SortFunc(teams, func(a, b org.Ref) int { return cmp.Or(cmp.Compare(named[b], named[a]), cmp.Compare(a, b)) })
	return teams[:min(len(teams), TrendTeams)]
}

// TrendLabels returns the labels of the weeks a trend of the review of
// week covers, oldest first.
func TrendLabels(week Week) []string {
	out := make([]string, TrendWeeks)
	for i := range out {
		out[i] = week.Add(i - TrendWeeks + 1).String()
	}
	return out
}
