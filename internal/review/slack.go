package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Slack's limits for a message of blocks.
const (
	slackMaxBlocks  = 50
	slackSectionMax = 3000
	slackHeaderMax  = 150
)

// SlackMessage is a Slack message of Block Kit blocks, as an incoming
// webhook takes it: Text is the fallback shown in notifications.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is one block: a header, a section with text or fields, a
// divider, a context line or an actions row. Only what Slack renders
// summaries with is here.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Fields   []SlackText `json:"fields,omitempty"`
	Elements []any       `json:"elements,omitempty"`
}

// SlackText is a text object: plain_text or mrkdwn.
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackButton struct {
	Type string    `json:"type"`
	Text SlackText `json:"text"`
	URL  string    `json:"url"`
}

// Slack renders the review as a Slack summary: the counts by severity
// against the four weeks before, then a section each for the week's
// incidents, the attributions decided (party and rule, never a level),
// postmortems, follow-ups, the follow-through (reminders, escalations,
// recurrences, missed follow-ups, changes inside a freeze), ownership drift
// when there is some, open integrity flags and the leader corner.
// Each section stays within Slack's 3000 characters, ending "… and N more"
// when its list does not fit, and the message within 50 blocks. baseURL,
// when set, adds a button to the review's page.
func Slack(r Review, baseURL string) SlackMessage {
	title := fmt.Sprintf("Incident review %s", r.Week)
	m := SlackMessage{Text: fmt.Sprintf("%s: %d incidents, %d attributions decided, %d postmortems overdue, %d follow-ups overdue, %d integrity flags open",
		title, r.IncidentsTotal, r.AttributionsTotal, r.OverduePostmortemsTotal, r.OverdueTotal, r.FlagsTotal)}
	add := func(b SlackBlock) { m.Blocks = append(m.Blocks, b) }
	add(SlackBlock{Type: "header", Text: &SlackText{Type: "plain_text", Text: clipText(title, slackHeaderMax)}})
	add(SlackBlock{Type: "context", Elements: []any{mrkdwn(fmt.Sprintf("%s to %s (UTC), as of %s",
		r.From.Format("Mon 2 Jan 2006"), r.To.AddDate(0, 0, -1).Format("Mon 2 Jan 2006"), r.AsOf.Format("2006-01-02 15:04")))}})

	counts := SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: "*Incidents by severity*, this week against the average of the four before"}}
	for _, c := range append(r.Counts, r.Total) {
		counts.Fields = append(counts.Fields, mrkdwn(fmt.Sprintf("*%s*\n%d (avg %.1f; %d, %d, %d, %d)", c.Severity, c.Week, c.Average,
			c.Previous[0], c.Previous[1], c.Previous[2], c.Previous[3])))
	}
	add(counts)
	add(SlackBlock{Type: "divider"})

	var lines []string
	for _, in := range r.Incidents {
		party := "party not decided"
		if !in.Party.IsZero() {
			party = fmt.Sprintf("%s (%s)", in.Party.Short(), in.Rule)
		}
		lines = append(lines, fmt.Sprintf("• *%s* %s: %s — %s, postmortem %s; %s", in.ID, in.Severity, esc(in.Title), in.Status, state(string(in.State)), party))
	}
	add(section(fmt.Sprintf("*This week's incidents (%d)*", r.IncidentsTotal), lines, r.IncidentsTotal))

	lines = nil
	for _, a := range r.Attributions {
		note := ""
		if a.Overridden {
			note = ", overriding the suggestion"
		}
		lines = append(lines, fmt.Sprintf("• *%s* %s: %s by %s%s", a.Incident, esc(a.Title), a.Party.Short(), a.Rule, note))
	}
	add(section(fmt.Sprintf("*Attributions decided (%d)*", r.AttributionsTotal), lines, r.AttributionsTotal))

	lines = nil
	for _, p := range r.OverduePostmortems {
		lines = append(lines, fmt.Sprintf("• overdue since %s: *%s* %s %s (%s)", day(p.Due), p.Incident, p.Severity, esc(p.Title), state(string(p.State))))
	}
	add(section(fmt.Sprintf("*Postmortems*: %d awaiting review, %d overdue", r.AwaitingTotal, r.OverduePostmortemsTotal), lines, r.OverduePostmortemsTotal))

	lines = nil
	for _, f := range r.FollowUpsDue {
		lines = append(lines, fmt.Sprintf("• due %s: *%s* %s — %s (%s)", day(f.Due), f.ID, esc(f.Title), f.Owner.Short(), f.Incident))
	}
	for _, f := range r.FollowUpsOverdue {
		lines = append(lines, fmt.Sprintf("• *%d days overdue*: *%s* %s — %s (%s)", overdueDays(f, r.AsOf), f.ID, esc(f.Title), f.Owner.Short(), f.Incident))
	}
	add(section(fmt.Sprintf("*Follow-ups*: %d due this week, %d overdue", len(r.FollowUpsDue), r.OverdueTotal), lines, len(r.FollowUpsDue)+r.OverdueTotal))

	add(followThroughSection(r.FollowThrough))

	if r.DriftTotal > 0 {
		lines = nil
		for _, f := range r.Drift {
			lines = append(lines, fmt.Sprintf("• *%s*: %s", state(string(f.Kind)), esc(f.Detail)))
		}
		add(section(fmt.Sprintf("*Ownership drift (%d)*: nobody's job, found before an incident proves it", r.DriftTotal), lines, r.DriftTotal))
	}

	lines = nil
	for _, f := range r.Flags {
		where := ""
		if f.Incident != "" {
			where = " " + string(f.Incident)
		}
		lines = append(lines, fmt.Sprintf("• *%s*%s, raised %s: %s", f.Rule, where, day(f.RaisedAt), esc(f.Detail)))
	}
	add(section(fmt.Sprintf("*Open integrity flags (%d)*: questions for this review, not findings", r.FlagsTotal), lines, r.FlagsTotal))

	lines = nil
	for _, l := range r.Leaders {
		lines = append(lines, fmt.Sprintf("• %s: A4 %d this week, %d in 90 days; A8 flags %d this week, %d in 90 days",
			l.Leader.Short(), l.A4Week, l.A4Recent, l.FairnessWeek, l.FairnessRecent))
	}
	if len(lines) == 0 {
		lines = []string{"No ambiguous-ownership faults (A4) and no fairness flags (A8) in the last 90 days."}
	}
	add(section("*Leader corner*", lines, len(lines)))

	if baseURL != "" {
		add(SlackBlock{Type: "actions", Elements: []any{slackButton{Type: "button", Text: SlackText{Type: "plain_text", Text: "Open the review"},
			URL: strings.TrimRight(baseURL, "/") + "/reviews/" + r.Week.String()}}})
	}
	if len(m.Blocks) > slackMaxBlocks {
		m.Blocks = m.Blocks[:slackMaxBlocks]
	}
	return m
}

// followThroughSection is the week's follow-through: reminders and
// escalations (F4), recurrences confirmed (F6), follow-ups missed (F7)
// and changes made inside a freeze (A6).
func followThroughSection(f FollowThrough) SlackBlock {
	heading := fmt.Sprintf("*Follow-through*: %d reminders, %d escalations, %d recurrences confirmed, %d follow-ups missed, %d changes inside a freeze",
		f.Reminders, f.EscalationsTotal, f.RecurrencesTotal, f.MissedTotal, f.FreezeBreaksTotal)
	var lines []string
	for _, e := range f.Escalations {
		step := "escalated to"
		if e.Further {
			step = "escalated further up to"
		}
		lines = append(lines, fmt.Sprintf("• %s (%s, due %s) %s %s", e.FollowUp, e.Owner.Short(), day(e.Due), step, e.Recipient.Short()))
	}
	for _, l := range f.Recurrences {
		lines = append(lines, fmt.Sprintf("• %s recurs %s, confirmed by %s", l.Incident, l.Earlier, l.DecidedBy.Short()))
	}
	for _, m := range f.Missed {
		lines = append(lines, fmt.Sprintf("• *missed*: %s of %s was still open when %s recurred; against %s", m.FollowUp, m.Earlier, m.Incident, m.Owner.Short()))
	}
	for _, c := range f.FreezeBreaks {
		lines = append(lines, fmt.Sprintf("• *inside a freeze*: %s %s by %s on %s (%s)", c.Entity.Short(), esc(c.Ref), c.Actor.Short(), day(c.At), esc(c.Freeze)))
	}
	total := f.EscalationsTotal + f.RecurrencesTotal + f.MissedTotal + f.FreezeBreaksTotal
	if len(lines) == 0 {
		return SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: heading}}
	}
	return section(heading, lines, total)
}

// SlackJSON is Slack's message as indented JSON, ready to post.
func SlackJSON(r Review, baseURL string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Slack reads &, < and > as its own escapes
	enc.SetIndent("", "  ")
	if err := enc.Encode(Slack(r, baseURL)); err != nil {
		return nil, fmt.Errorf("encode Slack summary: %w", err)
	}
	return b.Bytes(), nil
}

// section is a heading and its lines in one mrkdwn section, "None." when
// there are none. Lines that would pass Slack's limit are left out and
// counted, with the items of total the lines never held, in "… and N
// more".
func section(heading string, lines []string, total int) SlackBlock {
	text := heading
	if len(lines) == 0 {
		text += "\nNone."
	}
	shown := 0
	for _, l := range lines {
		// Keep room for the "more" line.
		if len(text)+1+len(l) > slackSectionMax-40 {
			break
		}
		text += "\n" + l
		shown++
	}
	if rest := max(total, len(lines)) - shown; rest > 0 && len(lines) > 0 {
		text += fmt.Sprintf("\n… and %d more", rest)
	}
	return SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: text}}
}

func mrkdwn(s string) SlackText { return SlackText{Type: "mrkdwn", Text: s} }

// esc escapes what Slack's mrkdwn reads as markup of links and mentions,
// and keeps a line on one line.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\n", " ", "\r", " ").Replace(s)
}

// clipText shortens s to n bytes at most, on a rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
