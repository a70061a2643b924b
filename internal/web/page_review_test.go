package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
)

// TestReviewPageStandalone: `review week --format html` writes the page the
// server shows, with every stored text escaped.
func TestReviewPageStandalone(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	week := review.WeekOf(now)
	in := review.Input{Week: week, AsOf: now, PostmortemDueDays: 5, IncidentsTotal: 1,
		Incidents: []review.IncidentLine{{ID: "INC-2026-0007", Title: `<script>alert("x")</script> checkout`, Severity: incident.SEV2,
			Status: incident.StatusResolved, StartedAt: now.Add(-time.Hour), Party: org.MustRef("group:payments"), Rule: "A2"}},
		Unowned: []org.Ref{org.MustRef("component:image-resizer")}}
	for i := range in.Counts {
		in.Counts[i] = map[incident.Severity]int{incident.SEV2: i}
	}
	var b bytes.Buffer
	if err := WriteReviewHTML(&b, review.Build(in), now, "test"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<!doctype html>", "Incident review <span class=\"week\">" + week.String(), "INC-2026-0007",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; checkout", "payments", "image-resizer", `href="/reviews/` + week.Add(-1).String() + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("a stored <script> came through unescaped")
	}
	if strings.Contains(page, `rel="next"`) {
		t.Error("the current week links to a week that has not begun")
	}
}
