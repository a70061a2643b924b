package review

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
)

// Week is an ISO 8601 week: Monday 00:00 UTC to the next Monday.
type Week struct {
	Year int
	Num  int
}

// ParseWeek parses "2026-W47" (the "W" in either case).
func ParseWeek(s string) (Week, error) {
	bad := errs.Field("week", "%q is not an ISO week (like 2026-W47)", s)
	y, w, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(s)), "-W")
	if !ok || len(y) != 4 || len(w) < 1 || len(w) > 2 {
		return Week{}, bad
	}
	year, err1 := strconv.Atoi(y)
	num, err2 := strconv.Atoi(w)
	if err1 != nil || err2 != nil || num < 1 {
		return Week{}, bad
	}
	wk := Week{Year: year, Num: num}
	if got := WeekOf(wk.Start()); got != wk {
		return Week{}, errs.Field("week", "%d has no week %d", year, num)
	}
	return wk, nil
}

// WeekOf returns the ISO week containing t.
func WeekOf(t time.Time) Week {
	y, w := t.UTC().ISOWeek()
	return Week{Year: y, Num: w}
}

// Start returns the Monday 00:00 UTC that begins the week.
func (w Week) Start() time.Time {
	// January 4th is always in week 1.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, time.UTC)
	offset := (int(jan4.Weekday()) + 6) % 7 // days since Monday
	return jan4.AddDate(0, 0, -offset+7*(w.Num-1))
}

// End returns the Monday 00:00 UTC that ends the week (exclusive).
func (w Week) End() time.Time { return w.Start().AddDate(0, 0, 7) }

// Add returns the week n weeks later (earlier when n < 0).
func (w Week) Add(n int) Week { return WeekOf(w.Start().AddDate(0, 0, 7*n)) }

// String returns "2026-W47".
func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Num) }
