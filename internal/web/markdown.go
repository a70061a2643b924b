package web

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Postmortem sections are Markdown, written by anyone in the org, so they
// are rendered twice over safely: goldmark leaves raw HTML out (it is off
// unless asked for), and bluemonday's policy for user content then keeps
// only plain formatting, links with safe schemes (no javascript:) and
// images by URL. What reaches the page can run nothing.
var (
	markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))
	sanitize = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoReferrerOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(false)
		return p
	}()
)

// renderMarkdown turns stored Markdown into safe HTML.
func renderMarkdown(src string) template.HTML {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		// goldmark fails only on a failing writer; a bytes.Buffer does not.
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(sanitize.SanitizeBytes(b.Bytes())) // sanitized: safe to mark as HTML
}
