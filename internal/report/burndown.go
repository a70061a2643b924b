package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"blameful.dev/blameful/internal/followup"
)

// BurnPoint is the state of the follow-ups at one moment: how many were
// open, and how many of those were past their due date.
type BurnPoint struct {
	At      time.Time
	Open    int
	Overdue int
}

// Burndown samples follow-ups at n moments step apart, the last at now:
// a follow-up counts as open from CreatedAt until ClosedAt (for ever, if it
// is still open), and as overdue while open from the day after its due
// date, as followup.FollowUp.IsOverdue says. A closed follow-up with no
// ClosedAt is not counted at all, since when it closed is unknown.
func Burndown(items []followup.FollowUp, now time.Time, n int, step time.Duration) []BurnPoint {
	if n < 1 {
		return nil
	}
	points := make([]BurnPoint, n)
	for i := range points {
		at := now.Add(-time.Duration(n-1-i) * step).UTC()
		p := BurnPoint{At: at}
		for _, f := range items {
			if !isOpenAt(f, at) {
				continue
			}
			p.Open++
			f.Status = followup.Open // as it stood at that moment
			if f.IsOverdue(at) {
				p.Overdue++
			}
		}
		points[i] = p
	}
	return points
}

func isOpenAt(f followup.FollowUp, at time.Time) bool {
	if f.CreatedAt.After(at) {
		return false
	}
	if f.ClosedAt.IsZero() {
		return f.Status == followup.Open
	}
	return f.ClosedAt.After(at)
}

// BurndownChart draws open and overdue follow-ups over time as two lines,
// in time order whatever the order given. id must be unique on the page.
func BurndownChart(id string, points []BurnPoint) Chart {
	id = safeID(id, "burndown")
	const title = "Open and overdue follow-ups"
	const height = 320
	left, right, top, bottom := float64(marginLeft), float64(width-24), float64(plotTop), float64(height-48)

	points = slices.Clone(points)
	for i := range points {
		points[i].At = points[i].At.UTC()
	}
	slices.SortStableFunc(points, func(a, b BurnPoint) int { return a.At.Compare(b.At) })
	peak := 0.0
	for _, p := range points {
		peak = math.Max(peak, math.Max(float64(p.Open), float64(p.Overdue)))
	}
	a := niceAxis(peak, maxTicks)

	// x places a point by its time; all points at one time share the middle.
	x := func(i int) float64 {
		first, last := points[0].At, points[len(points)-1].At
		span := last.Sub(first)
		if span <= 0 {
			return (left + right) / 2
		}
		// Sub saturates for spans beyond 292 years; clamp what that bends.
		return left + math.Min(float64(points[i].At.Sub(first))/float64(span), 1)*(right-left)
	}
	y := func(v int) float64 { return bottom - a.frac(float64(v))*(bottom-top) }

	desc := burndownDesc(points)
	s := &svg{}
	begin(s, id, title, desc, height)
	legend(s, left, []legendItem{{"open", "Open"}, {"overdue", "Overdue"}})
	yAxis(s, a, left, right, top, bottom, "Follow-ups")
	s.line(left, bottom, right, bottom, "axis")
	for _, i := range spread(len(points), 6) {
		s.line(x(i), bottom, x(i), bottom+4, "axis")
		s.text(x(i), bottom+16, "tick", "middle", points[i].At.Format("Jan 2"))
	}
	s.text((left+right)/2, bottom+36, "label", "middle", "Date (UTC)")
	if len(points) == 0 {
		s.text((left+right)/2, (top+bottom)/2, "empty", "middle", "No data to show")
	}

	for _, series := range []struct {
		class, dash string
		value       func(BurnPoint) int
	}{
		{"open", "", func(p BurnPoint) int { return p.Open }},
		{"overdue", "6 4", func(p BurnPoint) int { return p.Overdue }},
	} {
		var coords []byte
		for i, p := range points {
			coords = fmt.Appendf(coords, "%s,%s ", num(x(i)), num(y(series.value(p))))
		}
		s.open("g", "class", "series "+series.class)
		if len(points) > 1 {
			attrs := []string{"points", string(coords[:len(coords)-1]), "class", series.class,
				"fill", "none", "stroke", fallback(series.class), "stroke-width", "2"}
			if series.dash != "" {
				attrs = append(attrs, "stroke-dasharray", series.dash)
			}
			s.empty("polyline", attrs...)
		}
		for i, p := range points {
			marker(s, series.class, x(i), y(series.value(p)),
				fmt.Sprintf("%s %s: %d", p.At.Format(time.DateOnly), series.class, series.value(p)))
		}
		s.close("g")
	}

	t := Table{Columns: []string{"Date (UTC)", "Open", "Overdue"}}
	for _, p := range points {
		t.Rows = append(t.Rows, []string{p.At.Format(time.DateOnly), strconv.Itoa(p.Open), strconv.Itoa(p.Overdue)})
	}
	return finish(s, id, title, desc, t)
}

// marker draws a point of a series: a circle for open, a square for
// overdue, so the two differ in shape as well as colour.
func marker(s *svg, class string, x, y float64, tip string) {
	name, attrs := "rect", []string{"x", num(x - 3), "y", num(y - 3), "width", "6", "height", "6"}
	if class == "open" {
		name, attrs = "circle", []string{"cx", num(x), "cy", num(y), "r", "3"}
	}
	s.open(name, append(attrs, "class", "marker "+class, "fill", fallback(class))...)
	s.element("title", tip)
	s.close(name)
}

// spread returns at most k indexes of n items, evenly spaced, always
// including the first and the last.
func spread(n, k int) []int {
	if n <= 0 {
		return nil
	}
	if n <= k {
		k = n
	}
	if k == 1 {
		return []int{0}
	}
	idx := make([]int, 0, k)
	for j := range k {
		i := int(math.Round(float64(j) * float64(n-1) / float64(k-1)))
		if len(idx) == 0 || idx[len(idx)-1] != i {
			idx = append(idx, i)
		}
	}
	return idx
}

func burndownDesc(points []BurnPoint) string {
	if len(points) == 0 {
		return "No data to show."
	}
	first, last := points[0], points[len(points)-1]
	peak := first
	for _, p := range points {
		if p.Overdue > peak.Overdue {
			peak = p
		}
	}
	return fmt.Sprintf("Open follow-ups from %s to %s (UTC): %d open at the start and %d at the end, "+
		"%d of them overdue. Overdue peaked at %d on %s.",
		first.At.Format(time.DateOnly), last.At.Format(time.DateOnly), first.Open, last.Open,
		last.Overdue, peak.Overdue, peak.At.Format(time.DateOnly))
}
