package review

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// slackInput is a week with every section of the summary filled.
func slackInput() Input {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	return Input{
		Week: Week{Year: 2026, Num: 47}, AsOf: time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC), PostmortemDueDays: 5,
		Counts: [5]map[incident.Severity]int{{incident.SEV2: 1, incident.SEV3: 2}, {incident.SEV3: 3}, {incident.SEV1: 1}, {}, {incident.SEV4: 2}},
		Incidents: []IncidentLine{
			{ID: "INC-2026-0042", Title: "Checkout <!channel> & *down*", Severity: incident.SEV2, Status: incident.StatusResolved, Party: "group:default/payments", Rule: "A2", State: postmortem.Published},
			{ID: "INC-2026-0043", Title: "Images broken", Severity: incident.SEV3, Status: incident.StatusOpen, State: postmortem.Draft},
		},
		IncidentsTotal: 3,
		OpenPostmortems: []PostmortemLine{
			{Incident: "INC-2026-0030", Title: "Search slow", Severity: incident.SEV3, State: postmortem.Draft, ResolvedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)},
			{Incident: "INC-2026-0040", Title: "Cart errors", Severity: incident.SEV3, State: postmortem.InReview, ResolvedAt: time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)},
		},
		Attributions: []AttributionLine{{Incident: "INC-2026-0042", Title: "Checkout down", Party: "group:default/payments", Rule: "A2"},
			{Incident: "INC-2026-0039", Title: "Ledger", Party: "user:default/ada", Rule: "A8", Overridden: true}},
		FollowUpsDue:   []followup.FollowUp{{ID: "FU-2026-0100", Incident: "INC-2026-0030", Title: "Add an alert", Owner: "group:default/catalog", Due: day("2026-11-21"), Status: followup.Open}},
		FollowUpsLate:  []followup.FollowUp{{ID: "FU-2026-0050", Incident: "INC-2026-0011", Title: "Write the runbook", Owner: "user:default/bob", Due: day("2026-11-01"), Status: followup.Open}},
		LateTotal:      4,
		A4Week:         map[org.Ref]int{"user:default/vp": 1},
		A4Recent:       map[org.Ref]int{"user:default/vp": 3, "user:default/cto": 1},
		FairnessWeek:   map[org.Ref]int{},
		FairnessRecent: map[org.Ref]int{"user:default/pay-lead": 1},
		Flags: []FlagLine{{ID: "f1", Rule: "I1", Incident: "INC-2026-0042", Suspect: "user:default/ada", RaisedAt: time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC),
			Detail: "SEV2 INC-2026-0042 was declared 1h10m0s after the first signal (detected), more than 30m0s"}},
		FlagsTotal: 3,
		Drift: []Finding{{Kind: DeploysFromOutside, Entity: "component:default/web",
			Detail: "All 2 changes of component:web in the last 90 days came from outside its owner group:checkout: user:<!here> (2)."}},
		FollowThrough: FollowThrough{Reminders: 4,
			Escalations:       []NoticeLine{{FollowUp: "FU-2026-0050", Owner: "user:default/bob", Recipient: "user:default/pay-lead", Due: day("2026-11-01")}},
			EscalationsTotal:  1,
			Recurrences:       []RecurrenceLine{{Incident: "INC-2026-0043", Earlier: "INC-2026-0011", DecidedBy: "user:default/pay-lead"}},
			RecurrencesTotal:  1,
			Missed:            []MissedLine{{FollowUp: "FU-2026-0050", Owner: "user:default/bob", Incident: "INC-2026-0043", Earlier: "INC-2026-0011"}},
			MissedTotal:       1,
			FreezeBreaks:      []FreezeBreakLine{{Entity: "component:default/checkout-api", Actor: "user:default/bob", Ref: "v42", At: day("2026-11-18"), Freeze: "quarter <end>"}},
			FreezeBreaksTotal: 2},
	}
}

// TestSlackGolden renders the summary of a full week and compares it with
// testdata/review.slack.golden; payload text cannot make mentions or links.
func TestSlackGolden(t *testing.T) {
	got, err := SlackJSON(Build(slackInput()), "https://blameful.example/")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "<!channel>") || !strings.Contains(string(got), "&lt;!channel&gt; &amp;") {
		t.Errorf("payload text is not escaped:\n%s", got)
	}
	const golden = "testdata/review.slack.golden"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("the Slack summary differs from %s (run with -update and review the diff):\n%s", golden, got)
	}
}

// TestSlackLimits: however long the week, every section stays within
// Slack's 3000 characters, saying how many lines it left out, and the
// message within 50 blocks.
func TestSlackLimits(t *testing.T) {
	in := slackInput()
	in.Incidents = nil
	for i := range ListLimit {
		in.Incidents = append(in.Incidents, IncidentLine{ID: incident.ID(fmt.Sprintf("INC-2026-%04d", i)), Title: strings.Repeat("é", 40),
			Severity: incident.SEV3, Status: incident.StatusOpen, State: postmortem.Draft})
	}
	in.IncidentsTotal = 450
	m := Slack(Build(in), "")
	if len(m.Blocks) > 50 {
		t.Errorf("%d blocks", len(m.Blocks))
	}
	var incidents string
	for _, b := range m.Blocks {
		if b.Text != nil && len(b.Text.Text) > 3000 {
			t.Errorf("a %s block of %d characters", b.Type, len(b.Text.Text))
		}
		if b.Text != nil && strings.HasPrefix(b.Text.Text, "*This week's incidents (450)*") {
			incidents = b.Text.Text
		}
	}
	shown := strings.Count(incidents, "\n• ")
	if shown == 0 || !strings.HasSuffix(incidents, fmt.Sprintf("… and %d more", 450-shown)) {
		t.Errorf("the incidents section shows %d and ends %q", shown, incidents[max(0, len(incidents)-40):])
	}
	if _, err := json.Marshal(m); err != nil {
		t.Fatal(err)
	}
}
