package notify

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Slack's limits, from its Block Kit reference.
const (
	slackMaxBlocks        = 50
	slackHeaderMax        = 150
	slackSectionTextMax   = 3000
	slackFieldMax         = 2000
	slackFieldsPerSection = 10
)

// Block is one Slack Block Kit block: a header, a section with text or
// fields, an actions row, or a context line. Only the members this package
// writes are here.
type Block struct {
	Type     string      `json:"type"`
	Text     *BlockText  `json:"text,omitempty"`
	Fields   []BlockText `json:"fields,omitempty"`
	Elements []any       `json:"elements,omitempty"`
}

// BlockText is a text object: plain_text or mrkdwn.
type BlockText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// button is an actions element linking to a page.
type button struct {
	Type string    `json:"type"`
	Text BlockText `json:"text"`
	URL  string    `json:"url"`
}

// SlackPayload is what an incoming webhook takes: a fallback text for
// notifications and the blocks.
type SlackPayload struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// SlackMessage renders m as an incoming webhook's JSON: a header, the
// text, the fields (ten to a section), a button to the page when baseURL
// is set, and a context line with the kind and the idempotency key. A
// weekly summary whose payload is already Block Kit is posted as it is,
// with the context line added if there is room.
func SlackMessage(m Message, key, baseURL string) ([]byte, error) {
	ctx := Block{Type: "context", Elements: []any{BlockText{Type: "mrkdwn", Text: SlackEscape("blameful · " + m.Kind + " · delivery " + key)}}}
	if !m.IsPrivate() {
		var own SlackPayload
		if json.Unmarshal(m.Payload, &own) == nil && len(own.Blocks) > 0 {
			if len(own.Blocks) < slackMaxBlocks {
				own.Blocks = append(own.Blocks, ctx)
			}
			if own.Text == "" {
				own.Text = Render(m).Title
			}
			return marshal(own)
		}
	}
	r := Render(m)
	p := SlackPayload{Text: r.Title}
	p.Blocks = append(p.Blocks, Block{Type: "header", Text: &BlockText{Type: "plain_text", Text: clip(r.Title, slackHeaderMax), Emoji: true}})
	if r.Text != "" {
		p.Blocks = append(p.Blocks, Block{Type: "section", Text: &BlockText{Type: "mrkdwn", Text: clip(SlackEscape(r.Text), slackSectionTextMax)}})
	}
	for len(r.Fields) > 0 && len(p.Blocks) < slackMaxBlocks-2 {
		n := min(len(r.Fields), slackFieldsPerSection)
		sec := Block{Type: "section"}
		for _, f := range r.Fields[:n] {
			text := "*" + SlackEscape(f.Label) + "*\n" + SlackEscape(f.Value)
			sec.Fields = append(sec.Fields, BlockText{Type: "mrkdwn", Text: clip(text, slackFieldMax)})
		}
		p.Blocks = append(p.Blocks, sec)
		r.Fields = r.Fields[n:]
	}
	if link := pageURL(baseURL, r.Path); link != "" {
		p.Blocks = append(p.Blocks, Block{Type: "actions", Elements: []any{
			button{Type: "button", Text: BlockText{Type: "plain_text", Text: "Open in blameful"}, URL: link}}})
	}
	p.Blocks = append(p.Blocks, ctx)
	return marshal(p)
}

// pageURL joins the base URL and a page's path; "" without either.
func pageURL(base, path string) string {
	if base == "" || path == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + path
}

// SlackEscape escapes the three characters Slack's mrkdwn gives meaning
// to, so that text from the payload cannot form a link or a mention.
func SlackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// marshal encodes v without HTML escaping (Slack reads &, < and > as its
// own escapes).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
