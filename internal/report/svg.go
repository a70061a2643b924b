package report

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// svg writes SVG markup. Every attribute value and every text passes
// through esc, and every coordinate through num, so that user text (team
// names, entity refs) cannot break out of the markup and no NaN or Inf
// reaches a coordinate.
type svg struct {
	b strings.Builder
}

// open writes a start tag; attrs are name, value pairs.
func (s *svg) open(name string, attrs ...string) {
	s.tag(name, attrs)
	s.b.WriteString(">")
}

// empty writes a self-closing element.
func (s *svg) empty(name string, attrs ...string) {
	s.tag(name, attrs)
	s.b.WriteString("/>")
}

func (s *svg) close(name string) {
	s.b.WriteString("</" + name + ">")
}

func (s *svg) tag(name string, attrs []string) {
	s.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		s.b.WriteString(" " + attrs[i] + `="` + esc(attrs[i+1]) + `"`)
	}
}

// element writes <name attrs>text</name>.
func (s *svg) element(name, text string, attrs ...string) {
	s.open(name, attrs...)
	s.b.WriteString(esc(text))
	s.close(name)
}

// text writes a text element at (x, y) with the given class and anchor
// (start, middle or end).
func (s *svg) text(x, y float64, class, anchor, text string) {
	s.element("text", text, "x", num(x), "y", num(y), "class", class,
		"text-anchor", anchor, "fill", fallback(class))
}

// rect writes a filled rectangle with a tooltip.
func (s *svg) rect(x, y, w, h float64, class, tip string) {
	s.open("rect", "x", num(x), "y", num(y), "width", num(w), "height", num(h),
		"class", class, "fill", fallback(class))
	s.element("title", tip)
	s.close("rect")
}

// line writes a straight line with the class's stroke.
func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	s.empty("line", "x1", num(x1), "y1", num(y1), "x2", num(x2), "y2", num(y2),
		"class", class, "stroke", fallback(class))
}

func (s *svg) String() string { return s.b.String() }

// esc escapes text for XML content and attribute values alike. Runes that
// XML 1.0 does not allow (most control characters, invalid UTF-8) become
// U+FFFD (ranging over a string already turns invalid UTF-8 into it), so
// the output always parses.
func esc(text string) string {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '\t' || r == '\n' || r == '\r':
			// Attribute normalisation would turn these into spaces anyway.
			b.WriteByte(' ')
		case !isXMLChar(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isXMLChar reports whether r is in XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// num formats a coordinate with at most two decimals, the same on every
// platform. Non-finite values cannot come out of the layout code, but if
// one ever did it is drawn at 0 rather than breaking the picture.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	f = math.Round(f*100) / 100
	if f == 0 {
		f = 0 // no "-0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// clip shortens a label to at most n runes, ending it with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
