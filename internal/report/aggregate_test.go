package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

func day(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

func TestCountWeeks(t *testing.T) {
	now := day(2026, 11, 30, 12) // a Monday: week 49
	plus2 := time.FixedZone("+02", 2*3600)
	occ := []Occurrence{
		{StartedAt: day(2026, 11, 16, 0), Severity: incident.SEV1},                        // the first instant of W47
		{StartedAt: day(2026, 11, 15, 23), Severity: incident.SEV1},                       // W46: too early
		{StartedAt: time.Date(2026, 11, 23, 0, 30, 0, 0, plus2), Severity: incident.SEV2}, // 22:30 UTC on Sunday: W47
		{StartedAt: day(2026, 11, 25, 9), Severity: incident.SEV3},                        // W48
		{StartedAt: day(2026, 11, 30, 10), Severity: incident.SEV4},                       // W49
		{StartedAt: day(2026, 11, 30, 11), Severity: incident.SEV4},                       // W49
		{StartedAt: day(2026, 11, 30, 11), Severity: "SEV9"},                              // no such severity
		{StartedAt: day(2026, 12, 7, 0), Severity: incident.SEV1},                         // W50: after now's week
	}
	tests := []struct {
		name string
		n    int
		want []WeekCounts
	}{
		{"three weeks", 3, []WeekCounts{
			{Week: "2026-W47", BySeverity: [4]int{1, 1, 0, 0}},
			{Week: "2026-W48", BySeverity: [4]int{0, 0, 1, 0}},
			{Week: "2026-W49", BySeverity: [4]int{0, 0, 0, 2}},
		}},
		{"this week only", 1, []WeekCounts{{Week: "2026-W49", BySeverity: [4]int{0, 0, 0, 2}}}},
		{"no weeks", 0, []WeekCounts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, CountWeeks(occ, now, tt.n)); diff != "" {
				t.Errorf("CountWeeks (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("across a year's end", func(t *testing.T) {
		got := CountWeeks(nil, day(2027, 1, 1, 0), 2) // a Friday in 2026-W53
		want := []WeekCounts{{Week: "2026-W52"}, {Week: "2026-W53"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CountWeeks (-want +got):\n%s", diff)
		}
	})
}

func TestBurndown(t *testing.T) {
	items := []followup.FollowUp{
		{ID: "overdue", Status: followup.Open, CreatedAt: day(2026, 11, 1, 9), Due: day(2026, 11, 10, 0)},
		{ID: "closed early", Status: followup.Done, CreatedAt: day(2026, 11, 1, 9), ClosedAt: day(2026, 11, 5, 9), Due: day(2026, 11, 8, 0)},
		{ID: "late then done", Status: followup.Done, CreatedAt: day(2026, 11, 2, 9), ClosedAt: day(2026, 11, 26, 9), Due: day(2026, 11, 12, 0)},
		{ID: "new", Status: followup.Open, CreatedAt: day(2026, 11, 20, 9), Due: day(2026, 12, 20, 0)},
		{ID: "done, when unknown", Status: followup.WontDo, CreatedAt: day(2026, 11, 1, 9), Due: day(2026, 11, 2, 0)},
	}
	got := Burndown(items, day(2026, 11, 30, 12), 4, 7*24*time.Hour)
	want := []BurnPoint{
		{At: day(2026, 11, 9, 12), Open: 2, Overdue: 0},
		{At: day(2026, 11, 16, 12), Open: 2, Overdue: 2},
		{At: day(2026, 11, 23, 12), Open: 3, Overdue: 2},
		{At: day(2026, 11, 30, 12), Open: 2, Overdue: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Burndown (-want +got):\n%s", diff)
	}
	if got := Burndown(items, day(2026, 11, 30, 12), 0, time.Hour); len(got) != 0 {
		t.Errorf("Burndown of no points = %v", got)
	}
	// Overdue begins the day after the due date, as followup says.
	at := func(d time.Time) BurnPoint { return Burndown(items[:1], d, 1, time.Hour)[0] }
	if p := at(day(2026, 11, 10, 23)); p.Overdue != 0 {
		t.Errorf("on its due date the follow-up is counted overdue")
	}
	if p := at(day(2026, 11, 11, 0)); p.Overdue != 1 {
		t.Errorf("the day after its due date the follow-up is not counted overdue")
	}
}

func TestCountRules(t *testing.T) {
	ada, bob := org.Ref("user:default/ada"), org.Ref("user:default/bob")
	decide := func(suggested blame.Rule, by, party org.Ref) blame.Decision {
		return blame.Decision{Party: party, Suggested: blame.Suggestion{Party: by, Rule: suggested}}
	}
	got := CountRules([]blame.Decision{
		decide(blame.A4, ada, bob), // overridden
		decide(blame.A2, ada, ada),
		decide(blame.A4, ada, ada),
		decide(blame.A2, bob, bob),
		decide("", "", ada), // nothing could be suggested
	})
	want := []RuleCount{{Rule: "A2", Decided: 2}, {Rule: "A4", Decided: 2, Overridden: 1}, {Rule: "none", Decided: 1, Overridden: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CountRules (-want +got):\n%s", diff)
	}
	if got := CountRules(nil); len(got) != 0 {
		t.Errorf("CountRules(nil) = %v", got)
	}
}

func TestTeamWeeks(t *testing.T) {
	now := day(2026, 11, 30, 12)
	occ := []Occurrence{
		{StartedAt: day(2026, 11, 24, 1), Team: "team:default/search"},
		{StartedAt: day(2026, 11, 30, 1), Team: "team:default/payments"},
		{StartedAt: day(2026, 11, 23, 1), Team: "team:default/payments"},
		{StartedAt: day(2026, 11, 30, 2), Team: "team:default/identity"},
		{StartedAt: day(2026, 11, 30, 3), Team: ""},                    // no team
		{StartedAt: day(2026, 10, 1, 3), Team: "team:default/history"}, // before the weeks
	}
	weeks, teams := TeamWeeks(occ, now, 2)
	if diff := cmp.Diff([]string{"2026-W48", "2026-W49"}, weeks); diff != "" {
		t.Errorf("weeks (-want +got):\n%s", diff)
	}
	want := []TeamCounts{
		{Team: "team:default/payments", Counts: []int{1, 1}},
		{Team: "team:default/identity", Counts: []int{0, 1}},
		{Team: "team:default/search", Counts: []int{1, 0}},
	}
	if diff := cmp.Diff(want, teams); diff != "" {
		t.Errorf("teams (-want +got):\n%s", diff)
	}
}

// TestOddInputs: out-of-range inputs draw as if clamped and still render.
func TestOddInputs(t *testing.T) {
	neg := SeverityChart("n", []WeekCounts{{Week: "w", BySeverity: [4]int{-5, 2, 0, 0}}})
	if neg.Table.Rows[0][1] != "0" || neg.Table.Rows[0][5] != "2" {
		t.Errorf("a negative count is not taken as 0: %v", neg.Table.Rows[0])
	}
	r := RuleChart("r", []RuleCount{{Rule: "A2", Decided: 2, Overridden: 9}})
	if diff := cmp.Diff([]string{"A2", "2", "0", "2", "100%"}, r.Table.Rows[0]); diff != "" {
		t.Errorf("more overridden than decided (-want +got):\n%s", diff)
	}
	short := TeamChart("t", []string{"a", "b", "c"}, []TeamCounts{{Team: "x", Counts: []int{1, 2, 3, 4, 5}}, {Team: "y"}})
	if diff := cmp.Diff([][]string{{"x", "1", "2", "3", "6"}, {"y", "0", "0", "0", "0"}}, short.Table.Rows); diff != "" {
		t.Errorf("counts not lined up with the weeks (-want +got):\n%s", diff)
	}
	same := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, c := range []Chart{neg, r, short,
		SeverityChart("huge", []WeekCounts{{Week: "w", BySeverity: [4]int{1 << 62, 1 << 62, 1 << 62, 1 << 62}}}),
		BurndownChart("same", []BurnPoint{{At: same, Open: 3}, {At: same, Open: 5, Overdue: 2}}),
		BurndownChart("far", []BurnPoint{{At: time.Time{}, Open: 1}, {At: same, Open: 2}, {At: same.AddDate(5000, 0, 0), Open: 3}}),
		BurndownChart("none", nil), TeamChart("none", nil, nil),
	} {
		checkChart(t, c)
	}
}
