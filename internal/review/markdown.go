package review

import (
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/followup"
)

// Markdown renders the review as Markdown, ready to paste into a document.
// It holds no private data: parties and rules, never assessment levels.
func Markdown(r Review) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Incident review %s\n\n", r.Week)
	w("%s to %s (UTC), as of %s.\n\n", r.From.Format("Mon 2 Jan 2006"), r.To.AddDate(0, 0, -1).Format("Mon 2 Jan 2006"), r.AsOf.Format("2006-01-02 15:04"))

	w("## Incidents by severity\n\n")
	w("| severity | this week | previous 4 weeks (latest first) | average |\n| --- | ---: | --- | ---: |\n")
	for _, c := range append(r.Counts, r.Total) {
		w("| %s | %d | %d, %d, %d, %d | %.1f |\n", c.Severity, c.Week, c.Previous[0], c.Previous[1], c.Previous[2], c.Previous[3], c.Average)
	}

	w("\n## This week's incidents (%d)\n\n", r.IncidentsTotal)
	if len(r.Incidents) == 0 {
		w("None.\n")
	}
	for _, in := range r.Incidents {
		party := "party not decided"
		if !in.Party.IsZero() {
			party = fmt.Sprintf("%s (%s)", in.Party.Short(), in.Rule)
		}
		w("- **%s** %s: %s — %s, postmortem %s; %s\n", in.ID, in.Severity, md(in.Title), in.Status, state(string(in.State)), party)
	}
	more(&b, len(r.Incidents), r.IncidentsTotal)

	w("\n## Postmortems\n\n")
	w("Awaiting review: %d. Overdue: %d.\n\n", r.AwaitingTotal, r.OverduePostmortemsTotal)
	for _, p := range r.AwaitingReview {
		w("- in review: **%s** %s (due %s)\n", p.Incident, md(p.Title), day(p.Due))
	}
	moreOf(&b, "in review", len(r.AwaitingReview), r.AwaitingTotal)
	for _, p := range r.OverduePostmortems {
		w("- **overdue** since %s: **%s** %s %s (%s)\n", day(p.Due), p.Incident, p.Severity, md(p.Title), state(string(p.State)))
	}
	moreOf(&b, "overdue", len(r.OverduePostmortems), r.OverduePostmortemsTotal)

	w("\n## Attributions decided (%d)\n\n", r.AttributionsTotal)
	if len(r.Attributions) == 0 {
		w("None.\n")
	}
	for _, a := range r.Attributions {
		note := ""
		if a.Overridden {
			note = ", overriding the suggestion"
		}
		w("- **%s** %s: %s by %s%s\n", a.Incident, md(a.Title), a.Party.Short(), a.Rule, note)
	}
	more(&b, len(r.Attributions), r.AttributionsTotal)

	w("\n## Follow-ups\n\n")
	w("Due this week: %d. Overdue: %d.\n\n", len(r.FollowUpsDue), r.OverdueTotal)
	for _, f := range r.FollowUpsDue {
		w("- due %s: **%s** %s — %s (%s)\n", day(f.Due), f.ID, md(f.Title), f.Owner.Short(), f.Incident)
	}
	for _, f := range r.FollowUpsOverdue {
		w("- **%d days overdue**: **%s** %s — %s (%s)\n", overdueDays(f, r.AsOf), f.ID, md(f.Title), f.Owner.Short(), f.Incident)
	}
	more(&b, len(r.FollowUpsOverdue), r.OverdueTotal)

	writeFollowThrough(w, &b, r.FollowThrough)

	w("\n## Ownership gaps\n\n")
	if len(r.OwnershipGaps) == 0 && len(r.Unowned) == 0 {
		w("None found.\n")
	}
	for _, f := range r.OwnershipGaps {
		w("- %s: %s — %s, due %s\n", f.Incident, md(f.Title), f.Owner.Short(), day(f.Due))
	}
	if len(r.Unowned) > 0 {
		names := make([]string, len(r.Unowned))
		for i, u := range r.Unowned {
			names[i] = u.Short()
		}
		rest := ""
		if r.UnownedTotal > len(r.Unowned) {
			rest = fmt.Sprintf(" and %d more", r.UnownedTotal-len(r.Unowned))
		}
		w("- no owner today (%d): %s%s\n", r.UnownedTotal, strings.Join(names, ", "), rest)
	}

	w("\n## Ownership drift (%d)\n\n", r.DriftTotal)
	if len(r.Drift) == 0 {
		w("None found.\n")
	}
	for _, f := range r.Drift {
		w("- **%s**: %s\n", state(string(f.Kind)), md(f.Detail))
	}
	more(&b, len(r.Drift), r.DriftTotal)

	w("\n## Open integrity flags (%d)\n\n", r.FlagsTotal)
	if len(r.Flags) == 0 {
		w("None.\n")
	}
	for _, f := range r.Flags {
		where := ""
		if f.Incident != "" {
			where = " " + string(f.Incident)
		}
		w("- **%s**%s, raised %s: %s\n", f.Rule, where, day(f.RaisedAt), md(f.Detail))
	}
	more(&b, len(r.Flags), r.FlagsTotal)
	w("\nA flag is a question for this review, not a finding: confirming or dismissing it is a review of its own (I7).\n")

	w("\n## Leader corner\n\n")
	if len(r.Leaders) == 0 {
		w("No ambiguous-ownership faults (A4) and no fairness flags (A8) in the last 90 days.\n")
	} else {
		w("| leader | A4 this week | A4 last 90 days | A8 flags this week | A8 flags last 90 days |\n| --- | ---: | ---: | ---: | ---: |\n")
		for _, l := range r.Leaders {
			w("| %s | %d | %d | %d | %d |\n", l.Leader.Short(), l.A4Week, l.A4Recent, l.FairnessWeek, l.FairnessRecent)
		}
	}

	w("\n## Suggestions overridden, last 90 days\n\n")
	if len(r.Rules) == 0 {
		w("No attributions decided.\n")
	} else {
		w("| suggested by | decided | overridden (A8) |\n| --- | ---: | ---: |\n")
		for _, l := range r.Rules {
			w("| %s | %d | %d |\n", l.Rule, l.Decided, l.Overridden)
		}
		w("\nA rule whose suggestions are often overridden points at a catalog that is wrong.\n")
	}
	return b.String()
}

func more(b *strings.Builder, shown, total int) {
	if total > shown {
		fmt.Fprintf(b, "- … and %d more\n", total-shown)
	}
}

// moreOf is more naming what the rest are.
func moreOf(b *strings.Builder, what string, shown, total int) {
	if total > shown {
		fmt.Fprintf(b, "- … and %d more %s\n", total-shown, what)
	}
}

func overdueDays(f followup.FollowUp, asOf time.Time) int { return f.DaysOverdue(asOf) }

func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02")
}

func state(s string) string { return strings.ReplaceAll(s, "_", " ") }

// md escapes the characters that would change a Markdown line's meaning.
func md(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]", "|", "\\|", "<", "&lt;", "\n", " ")
	return r.Replace(s)
}
