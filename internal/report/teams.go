package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// TeamCounts is one team's incidents per week; Counts lines up with the
// weeks given beside it.
type TeamCounts struct {
	Team   string
	Counts []int
}

// Total returns the team's incidents over all weeks (negative counts are
// taken as 0).
func (t TeamCounts) Total() int {
	n := 0
	for _, c := range t.Counts {
		n += max(c, 0)
	}
	return n
}

// TeamWeeks counts incidents per team into the n ISO weeks ending with the
// week containing now, as CountWeeks does. It returns the week labels and
// the teams with at least one incident in those weeks, most incidents
// first, then by name. Occurrences with no Team are not counted.
func TeamWeeks(occ []Occurrence, now time.Time, n int) (weeks []string, teams []TeamCounts) {
	starts := weekStarts(now, n)
	for _, s := range starts {
		weeks = append(weeks, weekLabel(s))
	}
	for _, o := range occ {
		i := weekIndex(starts, o.StartedAt)
		if i < 0 || o.Team == "" {
			continue
		}
		j := slices.IndexFunc(teams, func(t TeamCounts) bool { return t.Team == o.Team })
		if j < 0 {
			teams = append(teams, TeamCounts{Team: o.Team, Counts: make([]int, len(starts))})
			j = len(teams) - 1
		}
		teams[j].Counts[i]++
	}
	slices.SortFunc(teams, func(a, b TeamCounts) int {
		return cmp.Or(cmp.Compare(b.Total(), a.Total()), cmp.Compare(a.Team, b.Team))
	})
	return weeks, teams
}

// TeamChart draws small multiples: one small bar chart of incidents per
// week for each team, in the order given, three to a row, all on one
// scale so that they compare. Each team's Counts lines up with weeks;
// missing counts are drawn as 0 and extra ones ignored. id must be unique
// on the page.
func TeamChart(id string, weeks []string, teams []TeamCounts) Chart {
	id = safeID(id, "teams")
	const title = "Incidents per week by team"
	const cols, panelW, panelH = 3, width / 3.0, 112.0
	teams = align(teams, len(weeks))
	rows := (len(teams) + cols - 1) / cols
	height := plotTop + float64(max(rows, 1))*panelH

	peak := 0.0
	for _, t := range teams {
		for _, c := range t.Counts {
			peak = max(peak, float64(c))
		}
	}
	a := niceAxis(peak, 1)
	desc := teamsDesc(weeks, teams)

	s := &svg{}
	begin(s, id, title, desc, height)
	legend(s, marginLeft, []legendItem{{"team", "Incidents per week, on one scale from 0 to " + count(a.Top)}})
	for k, t := range teams {
		px := float64(k%cols) * panelW
		py := plotTop + float64(k/cols)*panelH
		left, right := px+32, px+panelW-12
		top, bottom := py+22, py+panelH-30
		s.open("g", "class", "panel")
		s.text(px+8, py+12, "label", "start", clip(t.Team, 22))
		s.text(right, py+12, "value", "end", strconv.Itoa(t.Total()))
		s.line(left, top, right, top, "grid")
		s.text(left-5, top+4, "tick", "end", count(a.Top))
		s.text(left-5, bottom+4, "tick", "end", "0")
		slot := (right - left) / float64(max(len(weeks), 1))
		for i, w := range weeks {
			c := t.Counts[i]
			h := a.frac(float64(c)) * (bottom - top)
			if h > 0 {
				s.rect(left+float64(i)*slot+slot*0.1, bottom-h, slot*0.8, h, "team", fmt.Sprintf("%s %s: %d", t.Team, w, c))
			}
		}
		s.line(left, bottom, right, bottom, "axis")
		if len(weeks) > 0 {
			s.text(left, bottom+14, "tick", "start", shortWeek(weeks[0]))
			s.text(right, bottom+14, "tick", "end", shortWeek(weeks[len(weeks)-1]))
		}
		s.close("g")
	}
	if len(teams) == 0 {
		s.text(width/2, plotTop+panelH/2, "empty", "middle", "No teams to show")
	}

	tb := Table{Columns: append(append([]string{"Team"}, weeks...), "Total")}
	for _, t := range teams {
		row := []string{t.Team}
		for _, c := range t.Counts {
			row = append(row, strconv.Itoa(c))
		}
		tb.Rows = append(tb.Rows, append(row, strconv.Itoa(t.Total())))
	}
	return finish(s, id, title, desc, tb)
}

// align returns copies of the teams whose Counts have exactly n entries,
// padded with zeros or cut, and no negative counts.
func align(teams []TeamCounts, n int) []TeamCounts {
	out := make([]TeamCounts, len(teams))
	for i, t := range teams {
		out[i] = TeamCounts{Team: t.Team, Counts: make([]int, n)}
		for j := range min(n, len(t.Counts)) {
			out[i].Counts[j] = max(t.Counts[j], 0)
		}
	}
	return out
}

func teamsDesc(weeks []string, teams []TeamCounts) string {
	if len(teams) == 0 || len(weeks) == 0 {
		return "No teams to show."
	}
	most := 0
	for i, t := range teams {
		if t.Total() > teams[most].Total() {
			most = i
		}
	}
	n := "1 team"
	if len(teams) != 1 {
		n = strconv.Itoa(len(teams)) + " teams"
	}
	return fmt.Sprintf("Incidents per week for %s from %s to %s, each on the same scale. Most incidents: %s, with %d.",
		n, weeks[0], weeks[len(weeks)-1], teams[most].Team, teams[most].Total())
}
