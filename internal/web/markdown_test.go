package web

import (
	"strings"
	"testing"
)

// TestMarkdownRendersInert: formatting survives, anything that could run
// does not.
func TestMarkdownRendersInert(t *testing.T) {
	tests := []struct {
		src          string
		want, banned []string
	}{
		{"**bold** and `code`", []string{"<strong>bold</strong>", "<code>code</code>"}, nil},
		{"| a | b |\n| - | - |\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"<script>alert(1)</script>", nil, []string{"<script"}},
		{"<img src=x onerror=alert(1)>", nil, []string{"onerror", "<img"}},
		{"[click](javascript:alert(1))", nil, []string{"javascript:"}},
		{"[ok](https://example.com/runbook)", []string{`href="https://example.com/runbook"`, `rel="nofollow noreferrer"`}, nil},
		{"<a href=\"https://x\" onclick=\"steal()\">x</a>", nil, []string{"onclick"}},
		{"<iframe src=https://evil></iframe>", nil, []string{"<iframe"}},
		{"![x](data:text/html;base64,PHNjcmlwdD4=)", nil, []string{"data:text/html"}},
	}
	for _, tt := range tests {
		got := string(renderMarkdown(tt.src))
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%q: %q lacks %q", tt.src, got, w)
			}
		}
		for _, b := range tt.banned {
			if strings.Contains(strings.ToLower(got), b) {
				t.Errorf("%q: %q holds %q", tt.src, got, b)
			}
		}
	}
}
