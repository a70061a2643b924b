package main

import (
	"strings"
	"testing"
	"time"
)

// TestSittingsMerge checks that a sitting that ran some bars replaces
// only their rows, keeps the others with the sitting they came from, and
// lists only the sittings still named.
func TestSittingsMerge(t *testing.T) {
	first := sitting{size: "large", count: 1, started: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), engines: []string{"sqlite", "postgres"}}
	var rows []row
	for _, b := range bars {
		for _, e := range first.engines {
			rows = append(rows, row{bar: b.name, engine: e, value: "1 ms", target: "t", met: "yes"})
		}
	}
	one := first.markdown(rows, "")
	second := sitting{size: "large", only: "attribution", count: 3, started: time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC), engines: []string{"sqlite"}}
	two := second.markdown([]row{{bar: bars[0].name, engine: "sqlite", value: "0.2 ms", floor: "0.1 ms", ratio: "2.00", target: "≤ 1 ms", met: "yes"}}, one)

	got, sittings := parseSection(two)
	if len(got) != len(rows) {
		t.Fatalf("%d rows after the second sitting, want %d:\n%s", len(got), len(rows), two)
	}
	for _, r := range got {
		want := "2026-12-01 09:00"
		if r.bar == bars[0].name && r.engine == "sqlite" {
			want = "2026-12-01 10:30"
			if r.value != "0.2 ms" || r.ratio != "2.00" {
				t.Errorf("the replaced row is %+v", r)
			}
		}
		if r.sitting != want {
			t.Errorf("%s on %s comes from %q, want %q", r.bar, r.engine, r.sitting, want)
		}
	}
	if len(sittings) != 2 || !strings.Contains(sittings["2026-12-01 10:30"], "-only 'attribution'") {
		t.Errorf("sittings: %v", sittings)
	}
	if got[0].bar != bars[0].name || got[0].engine != "sqlite" || got[1].engine != "postgres" {
		t.Errorf("rows out of the bars' order: %+v, %+v", got[0], got[1])
	}

	// A third sitting that runs everything leaves one sitting listed.
	third := sitting{size: "large", count: 1, started: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC), engines: []string{"sqlite", "postgres"}}
	if _, s := parseSection(third.markdown(rows, two)); len(s) != 1 {
		t.Errorf("sittings no row names are still listed: %v", s)
	}
}

// TestSittingSaysWhatItRan: a sitting's line names the engines it ran on,
// and names the audit chain only when it ran the audit bar.
func TestSittingSaysWhatItRan(t *testing.T) {
	review := sitting{size: "large", only: "weekly review", count: 2, engines: []string{"sqlite"}}
	line := review.describe()
	if !strings.Contains(line, "` on sqlite,") || strings.Contains(line, "audit") || !strings.Contains(line, "20M timeline entries)") {
		t.Errorf("a review-only sitting on SQLite: %s", line)
	}
	all := sitting{size: "large", count: 2, engines: []string{"sqlite", "postgres"}}
	if line := all.describe(); !strings.Contains(line, "` on sqlite and postgres,") || !strings.Contains(line, auditData["large"]) {
		t.Errorf("a whole sitting on both engines: %s", line)
	}
	small := sitting{size: "small", only: "API reads", count: 1, engines: []string{"sqlite"}}
	if line := small.describe(); strings.Contains(line, "audit") || !strings.Contains(line, "5,000 alerts)") {
		t.Errorf("a small sitting without the audit bar: %s", line)
	}
}
