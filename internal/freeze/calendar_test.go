package freeze

import (
	"testing"
	"time"
)

// A freeze from Friday 18:00 to Monday 06:00 covers Friday, the weekend
// and Monday; the calendar starts on the Monday of the week before.
func TestCalendar(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // a Wednesday
	f := Freeze{ID: "fz", Start: time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)}
	cal := Calendar([]Freeze{f}, now, 4)
	if first := cal[0][0].Date; !first.Equal(time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("starts %s", first)
	}
	var frozen []string
	for _, w := range cal {
		for _, d := range w {
			if len(d.Freezes) > 0 {
				frozen = append(frozen, d.Date.Format("Mon 02"))
			}
			if d.Today != d.Date.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("today on %s", d.Date)
			}
		}
	}
	want := []string{"Fri 27", "Sat 28", "Sun 29", "Mon 30"}
	if len(frozen) != len(want) {
		t.Fatalf("frozen days %v, want %v", frozen, want)
	}
	for i := range want {
		if frozen[i] != want[i] {
			t.Fatalf("frozen days %v, want %v", frozen, want)
		}
	}
	if !cal[3][0].Other || cal[1][0].Other {
		t.Errorf("days of another month: %v %v", cal[3][0], cal[1][0])
	}
}
