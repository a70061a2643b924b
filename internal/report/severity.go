package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"blameful.dev/blameful/internal/incident"
)

// WeekCounts is the number of incidents that started in one week, by
// severity: BySeverity[0] is SEV1 (the worst) through BySeverity[3], SEV4.
type WeekCounts struct {
	// Week labels the week, as "2026-W47".
	Week       string
	BySeverity [4]int
}

// Total returns the week's incidents of every severity.
func (w WeekCounts) Total() int {
	return w.BySeverity[0] + w.BySeverity[1] + w.BySeverity[2] + w.BySeverity[3]
}

// Occurrence is one incident as the counting helpers see it.
type Occurrence struct {
	StartedAt time.Time
	Severity  incident.Severity
	// Team is the team the incident counts for in TeamWeeks (the decided
	// party's team, say); CountWeeks ignores it.
	Team string
}

// CountWeeks counts incidents by severity into the n ISO weeks (Monday
// 00:00 UTC to Monday) that end with the week containing now, oldest first.
// Incidents outside those weeks, or of no known severity, are not counted.
func CountWeeks(occ []Occurrence, now time.Time, n int) []WeekCounts {
	starts := weekStarts(now, n)
	weeks := make([]WeekCounts, len(starts))
	for i, s := range starts {
		weeks[i].Week = weekLabel(s)
	}
	for _, o := range occ {
		i := weekIndex(starts, o.StartedAt)
		sev := o.Severity.Rank() - 1
		if i < 0 || sev < 0 {
			continue
		}
		weeks[i].BySeverity[sev]++
	}
	return weeks
}

// weekStarts returns the Mondays that begin the n ISO weeks ending with
// the one containing now, oldest first.
func weekStarts(now time.Time, n int) []time.Time {
	if n < 1 {
		return nil
	}
	y, m, d := now.UTC().Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	starts := make([]time.Time, n)
	for i := range starts {
		starts[i] = monday.AddDate(0, 0, -7*(n-1-i))
	}
	return starts
}

// weekIndex returns the index of the week in starts that holds t, or -1.
func weekIndex(starts []time.Time, t time.Time) int {
	if len(starts) == 0 || t.Before(starts[0]) {
		return -1
	}
	i := int(t.Sub(starts[0]).Hours() / (24 * 7))
	if i >= len(starts) {
		return -1
	}
	return i
}

// weekLabel returns the ISO week of t as "2026-W47" (as review.Week does;
// report cannot import review, which shares its rank).
func weekLabel(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// shortWeek drops the year from "2026-W47" for an axis label; other
// labels are clipped.
func shortWeek(w string) string {
	if len(w) == 8 && w[4] == '-' && w[5] == 'W' {
		return w[5:]
	}
	return clip(w, 8)
}

// SeverityChart draws incidents per week as bars stacked by severity,
// SEV1 at the bottom, in the order the weeks are given. id must be unique
// on the page.
func SeverityChart(id string, weeks []WeekCounts) Chart {
	id = safeID(id, "severity")
	const title = "Incidents per week by severity"
	const height = 320
	left, right, top, bottom := float64(marginLeft), float64(width-16), float64(plotTop), float64(height-48)

	weeks = slices.Clone(weeks)
	var sums [4]int
	maxTotal, busiest := 0.0, -1
	for i := range weeks {
		t := 0.0
		for s := range weeks[i].BySeverity {
			c := max(weeks[i].BySeverity[s], 0) // a negative count is taken as 0
			weeks[i].BySeverity[s] = c
			sums[s] += c
			t += float64(c)
		}
		if t > maxTotal {
			maxTotal, busiest = t, i
		}
	}
	a := niceAxis(maxTotal, maxTicks)

	s := &svg{}
	desc := severityDesc(weeks, sums, busiest)
	begin(s, id, title, desc, height)
	legend(s, left, []legendItem{{"sev1", "SEV1"}, {"sev2", "SEV2"}, {"sev3", "SEV3"}, {"sev4", "SEV4"}})
	yAxis(s, a, left, right, top, bottom, "Incidents")

	slot := (right - left) / float64(max(len(weeks), 1))
	// Label every nth week, so that the labels never overlap.
	longest := 1
	for _, w := range weeks {
		longest = max(longest, utf8.RuneCountInString(shortWeek(w.Week)))
	}
	every := max(1, int(math.Ceil(float64(longest+2)*fontWidth/slot)))
	s.open("g", "class", "bars")
	for i, w := range weeks {
		x := left + float64(i)*slot + slot*0.15
		y := bottom
		for sev, c := range w.BySeverity {
			if c <= 0 {
				continue
			}
			h := a.frac(float64(c)) * (bottom - top)
			y -= h
			n := strconv.Itoa(sev + 1) // the classes are sev1..sev4, as the names
			s.rect(x, y, slot*0.7, h, "sev"+n, w.Week+" SEV"+n+": "+strconv.Itoa(c))
		}
		if i%every == 0 {
			s.text(x+slot*0.35, bottom+16, "tick", "middle", shortWeek(w.Week))
		}
	}
	s.close("g")
	s.line(left, bottom, right, bottom, "axis")
	s.text((left+right)/2, bottom+36, "label", "middle", "ISO week")
	if len(weeks) == 0 {
		s.text((left+right)/2, (top+bottom)/2, "empty", "middle", "No weeks to show")
	}

	t := Table{Columns: []string{"Week", "SEV1", "SEV2", "SEV3", "SEV4", "Total"}}
	for _, w := range weeks {
		row := []string{w.Week}
		for _, c := range w.BySeverity {
			row = append(row, strconv.Itoa(c))
		}
		t.Rows = append(t.Rows, append(row, strconv.Itoa(w.Total())))
	}
	return finish(s, id, title, desc, t)
}

func severityDesc(weeks []WeekCounts, sums [4]int, busiest int) string {
	if len(weeks) == 0 {
		return "No weeks to show."
	}
	total := sums[0] + sums[1] + sums[2] + sums[3]
	var b strings.Builder
	fmt.Fprintf(&b, "Incidents per week from %s to %s, stacked by severity, SEV1 (the worst) at the bottom. ",
		weeks[0].Week, weeks[len(weeks)-1].Week)
	if total == 0 {
		b.WriteString("No incidents in these weeks.")
		return b.String()
	}
	fmt.Fprintf(&b, "%d in total: %d SEV1, %d SEV2, %d SEV3, %d SEV4. ", total, sums[0], sums[1], sums[2], sums[3])
	fmt.Fprintf(&b, "The busiest week was %s with %d.", weeks[busiest].Week, weeks[busiest].Total())
	return b.String()
}
