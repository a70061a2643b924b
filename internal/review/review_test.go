package review

import (
	"flag"
	"os"
	"testing"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestWeeks(t *testing.T) {
	tests := []struct {
		in    string
		start string
		bad   bool
	}{
		{in: "2026-W47", start: "2026-11-16"},
		{in: "2026-w1", start: "2025-12-29"}, // week 1 holds January 4th
		{in: "2020-W53", start: "2020-12-28"},
		{in: "2026-W53", start: "2026-12-28"}, // 1 January 2026 is a Thursday: 53 weeks
		{in: "2027-W53", bad: true},           // 2027 has 52
		{in: "2026-W00", bad: true},
		{in: "2026-47", bad: true},
		{in: "W47", bad: true},
	}
	for _, tt := range tests {
		w, err := ParseWeek(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseWeek(%q) = %v, want an error", tt.in, w)
			}
			continue
		}
		if err != nil || w.Start().Format(time.DateOnly) != tt.start || w.End().Sub(w.Start()) != 7*24*time.Hour {
			t.Errorf("ParseWeek(%q) = %v starting %s, %v; want %s", tt.in, w, w.Start(), err, tt.start)
		}
		if WeekOf(w.Start().Add(6*24*time.Hour)) != w || w.Add(1).Add(-1) != w {
			t.Errorf("week arithmetic around %v", w)
		}
	}
}

func FuzzParseWeek(f *testing.F) {
	for _, s := range []string{"2026-W47", "2026-w1", "x", "9999-W99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if w, err := ParseWeek(s); err == nil && WeekOf(w.Start()) != w {
			t.Fatalf("%q parsed to %v, which does not start itself", s, w)
		}
	})
}

// TestMarkdownGolden renders a review with every section filled and
// compares it with testdata/review.md.golden.
func TestMarkdownGolden(t *testing.T) {
	week := Week{Year: 2026, Num: 47}
	asOf := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	in := Input{
		Week: week, AsOf: asOf, PostmortemDueDays: 5,
		Counts: [5]map[incident.Severity]int{
			{incident.SEV2: 1, incident.SEV3: 2},
			{incident.SEV3: 3}, {incident.SEV1: 1}, {}, {incident.SEV4: 2},
		},
		Incidents: []IncidentLine{
			{ID: "INC-2026-0042", Title: "Checkout *down*", Severity: incident.SEV2, Status: incident.StatusResolved, Party: "group:default/payments", Rule: "A2", State: postmortem.Published},
			{ID: "INC-2026-0043", Title: "Images broken", Severity: incident.SEV3, Status: incident.StatusOpen, State: postmortem.Draft},
		},
		IncidentsTotal: 3,
		OpenPostmortems: []PostmortemLine{
			{Incident: "INC-2026-0030", Title: "Search slow", Severity: incident.SEV3, State: postmortem.Draft, ResolvedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)},
			{Incident: "INC-2026-0040", Title: "Cart errors", Severity: incident.SEV3, State: postmortem.InReview, ResolvedAt: time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)},
		},
		Attributions: []AttributionLine{{Incident: "INC-2026-0042", Title: "Checkout *down*", Party: "group:default/payments", Rule: "A2"},
			{Incident: "INC-2026-0039", Title: "Ledger", Party: "user:default/ada", Rule: "A8", Overridden: true}},
		FollowUpsDue:  []followup.FollowUp{{ID: "FU-2026-0100", Incident: "INC-2026-0030", Title: "Add an alert", Owner: "group:default/catalog", Due: day("2026-11-21"), Status: followup.Open}},
		FollowUpsLate: []followup.FollowUp{{ID: "FU-2026-0050", Incident: "INC-2026-0011", Title: "Write the runbook", Owner: "user:default/bob", Due: day("2026-11-01"), Status: followup.Open}},
		LateTotal:     4,
		Gaps:          []followup.FollowUp{{ID: "FU-2026-0101", Incident: "INC-2026-0043", Title: "Clarify ownership of component:image-resizer", Owner: "user:default/vp", Due: day("2027-01-19")}},
		Unowned:       []org.Ref{"component:default/image-resizer"},
		Drift: []Finding{{Kind: CodeownersDisagrees, Entity: "component:default/web",
			Detail:   "The catalog says group:checkout owns component:web; the CODEOWNERS of acme/shop says group:payments.",
			Evidence: []string{"CODEOWNERS of acme/shop, line 1: * @acme/payments"}}},
		A4Week:         map[org.Ref]int{"user:default/vp": 1},
		A4Recent:       map[org.Ref]int{"user:default/vp": 3, "user:default/cto": 1},
		FairnessWeek:   map[org.Ref]int{},
		FairnessRecent: map[org.Ref]int{"user:default/pay-lead": 1},
		Flags: []FlagLine{{ID: "f1", Rule: "I1", Incident: "INC-2026-0042", Suspect: "user:default/ada", RaisedAt: time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC),
			Detail: "SEV2 INC-2026-0042 was declared 1h10m0s after the first signal (detected), more than 30m0s"},
			{ID: "f2", Rule: "I6", RaisedAt: time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC), Detail: "the audit chain is broken at event 812: changed after it was written"}},
		FlagsTotal: 3,
		FollowThrough: FollowThrough{
			Reminders:         7,
			Escalations:       []NoticeLine{{FollowUp: "FU-2026-0090", Owner: "user:default/ada", Recipient: "user:default/pay-lead", Due: day("2026-11-15")}, {FollowUp: "FU-2026-0071", Owner: "group:default/payments", Recipient: "user:default/cto", Due: day("2026-11-01"), Further: true}},
			EscalationsTotal:  2,
			Recurrences:       []RecurrenceLine{{Incident: "INC-2026-0042", Earlier: "INC-2026-0007", DecidedBy: "user:default/vp"}},
			RecurrencesTotal:  1,
			Missed:            []MissedLine{{FollowUp: "FU-2026-0012", Owner: "user:default/bob", Incident: "INC-2026-0042", Earlier: "INC-2026-0007", Due: day("2026-10-01")}},
			MissedTotal:       1,
			FreezeBreaks:      []FreezeBreakLine{{Change: "c1", Entity: "component:default/checkout-api", Actor: "user:default/bob", Ref: "v2.4.1", At: day("2026-11-17"), Freeze: "Black Friday"}},
			FreezeBreaksTotal: 3,
		},
	}
	r := Build(in)
	if len(r.AwaitingReview) != 1 || len(r.OverduePostmortems) != 1 || r.OverduePostmortems[0].Incident != "INC-2026-0030" {
		t.Fatalf("postmortems: awaiting %v overdue %v", r.AwaitingReview, r.OverduePostmortems)
	}
	got := Markdown(r)
	const golden = "testdata/review.md.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("Markdown differs from %s (run with -update and review the diff):\n%s", golden, got)
	}
}
