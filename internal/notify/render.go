package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Field is one labelled value of a rendered message.
type Field struct {
	Label, Value string
}

// Rendered is a message in words, the same for every channel: a title, an
// optional line of text, its fields, and a link to the page about it.
type Rendered struct {
	Title string
	Text  string
	// Fields are the payload's values, in the payload's order; nested
	// values are compact JSON.
	Fields []Field
	// Path is the page about the message, relative to the base URL; ""
	// when there is none.
	Path string
}

// Render puts a message into words. Kinds it knows get a specific title
// and link; any other kind still renders, titled by its kind, with every
// field of its payload. A private message renders as a notice only: the
// channel that shows it may be read by people it is not for.
func Render(m Message) Rendered {
	fields, values := payloadFields(m.Payload)
	r := Rendered{Title: "blameful: " + m.Kind, Fields: fields}
	str := func(k string) string { return values[k] }
	switch m.Kind {
	case "followup.reminder":
		r.Title = fmt.Sprintf("Follow-up %s is due %s", or(str("followup"), "(unnamed)"), dueOn(str("due"), str("days")))
		r.Text = str("title")
		r.Path = incidentPath(str("incident"))
	case "followup.escalation":
		r.Title = fmt.Sprintf("Follow-up %s is %s overdue", or(str("followup"), "(unnamed)"), days(or(str("days_overdue"), str("days"))))
		r.Text = str("title")
		r.Path = "/followups"
	case "followup.approval":
		r.Title = fmt.Sprintf("Follow-up %s: \"won't do\" awaits your approval", or(str("followup"), "(unnamed)"))
		r.Text = or(str("reason"), str("title"))
		r.Path = "/followups"
	case "followup.decided":
		r.Title = fmt.Sprintf("Follow-up %s: your \"won't do\" request was %s", or(str("followup"), "(unnamed)"), or(str("outcome"), "decided"))
		r.Text = str("title")
		r.Path = "/followups"
	case "review.weekly":
		r.Title = strings.TrimSpace("Weekly incident review " + str("week"))
		if r.Text = slackText(m.Payload); r.Text != "" {
			r.Fields = nil // the summary's words say it all
		}
		if w := str("week"); w != "" {
			r.Path = "/reviews/" + url.PathEscape(w)
		} else {
			r.Path = "/reviews"
		}
	case "assessment.integrity":
		r.Title = "An accountability decision rests on an integrity violation"
		r.Path = incidentPath(str("incident"))
		if r.Path != "" {
			r.Path += "/assessment"
		}
	case "integrity.confirmed":
		r.Title = "An integrity flag was confirmed"
		r.Path = "/integrity"
	case KindCheckpoint:
		r.Title = "Audit checkpoint at event " + or(str("seq"), "?")
		r.Path = "/audit"
	}
	if l := str("link"); strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "//") {
		r.Path = l // the app's own link to the page wins
	}
	r.Title = oneLine(r.Title)
	if m.IsPrivate() {
		return Rendered{Title: "A private notice for " + strings.TrimPrefix(m.Recipient, "role:") + " is waiting in blameful",
			Text: "Its content is private; open blameful to read it.", Path: r.Path}
	}
	return r
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func incidentPath(id string) string {
	if id == "" {
		return ""
	}
	return "/incidents/" + url.PathEscape(id)
}

// dueOn words a reminder's due date, or its days before it.
func dueOn(date, n string) string {
	switch {
	case date != "":
		return "on " + date
	case n == "" || n == "0":
		return "today"
	case n == "1":
		return "tomorrow"
	}
	return "in " + n + " days"
}

func days(n string) string {
	if n == "1" {
		return "1 day"
	}
	return or(n, "some") + " days"
}

// payloadFields reads a JSON object's members in order, as fields and by
// key; scalars as text, nested values as compact JSON. A payload that is
// not an object is one field, "payload".
func payloadFields(payload []byte) ([]Field, map[string]string) {
	values := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		if len(bytes.TrimSpace(payload)) == 0 {
			return nil, values
		}
		return []Field{{Label: "Payload", Value: clip(string(payload), 2000)}}, values
	}
	var out []Field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			break
		}
		v := scalar(raw)
		values[key] = v
		if key == "blocks" {
			continue // a Slack summary's own layout, rendered as Text
		}
		out = append(out, Field{Label: label(key), Value: clip(v, 2000)})
	}
	return out, values
}

// scalar is a JSON value as text: a string unquoted, null empty, anything
// else as compact JSON.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) == nil {
		return b.String()
	}
	return string(raw)
}

// label turns a payload key into words: "decided_by" → "Decided by".
func label(key string) string {
	s := strings.ReplaceAll(key, "_", " ")
	if s == "" {
		return "(blank)"
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// clip shortens s to at most n bytes on a rune boundary, with an ellipsis.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// slackText extracts the words of a payload laid out as Slack blocks (a
// weekly summary), for channels that do not speak Block Kit: header and
// section texts and section fields, a line each.
func slackText(payload []byte) string {
	var msg struct {
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Text string `json:"text"`
			} `json:"text"`
			Fields []struct {
				Text string `json:"text"`
			} `json:"fields"`
		} `json:"blocks"`
	}
	if json.Unmarshal(payload, &msg) != nil {
		return ""
	}
	var lines []string
	for _, b := range msg.Blocks {
		if b.Text != nil && b.Text.Text != "" {
			lines = append(lines, b.Text.Text)
		}
		for _, f := range b.Fields {
			lines = append(lines, f.Text)
		}
	}
	// Slack's escapes mean nothing to the channels that read this text.
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(strings.Join(lines, "\n"))
}
