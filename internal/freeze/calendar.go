package freeze

import "time"

// Day is one calendar day (UTC) and the freezes in force during any part
// of it.
type Day struct {
	Date    time.Time
	Freezes []Freeze
	Today   bool
	// Other is set for a day outside the month the calendar centres on.
	Other bool
}

// Week is seven days, Monday first.
type Week [7]Day

// Calendar lays out weeks weeks of days from the Monday of the week before
// now's, each with the freezes that overlap it, so that what is coming and
// what just ended show at a glance.
func Calendar(freezes []Freeze, now time.Time, weeks int) []Week {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(today.Weekday()) + 6) % 7 // days since Monday
	first := today.AddDate(0, 0, -back-7)
	out := make([]Week, weeks)
	for w := range out {
		for d := range 7 {
			day := first.AddDate(0, 0, 7*w+d)
			next := day.AddDate(0, 0, 1)
			cell := Day{Date: day, Today: day.Equal(today), Other: day.Month() != today.Month()}
			for _, f := range freezes {
				if f.Start.Before(next) && f.End.After(day) {
					cell.Freezes = append(cell.Freezes, f)
				}
			}
			out[w][d] = cell
		}
	}
	return out
}
