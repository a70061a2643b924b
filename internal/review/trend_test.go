package review

import (
	"slices"
	"testing"

	"blameful.dev/blameful/internal/org"
)

func TestTrendTeamsOf(t *testing.T) {
	line := func(party string) AttributionLine { return AttributionLine{Party: org.MustRef(party)} }
	var decided []AttributionLine
	for _, p := range []string{"group:b", "user:ada", "user:ada", "user:ada", "group:a", "group:c", "group:c", "group:b",
		"group:d", "group:e", "group:f", "group:g", "group:c"} {
		decided = append(decided, line(p))
	}
	got := TrendTeamsOf(decided)
	want := []org.Ref{"group:default/c", "group:default/b", "group:default/a", "group:default/d", "group:default/e", "group:default/f"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v: teams only, the most named first, then by reference, at most %d", got, want, TrendTeams)
	}
	if got := TrendTeamsOf(nil); len(got) != 0 {
		t.Errorf("no decisions: %v", got)
	}
	w, _ := ParseWeek("2026-W02")
	if got := TrendLabels(w); len(got) != TrendWeeks || got[0] != "2025-W47" || got[TrendWeeks-1] != "2026-W02" {
		t.Errorf("labels %v", got)
	}
}
