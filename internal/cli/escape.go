package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Stored text is written by members (titles, summaries, reasons) and by the
// files an import reads. Printed raw, an ESC or a C1 control in it would
// reach the operator's terminal as a command (recolour, retitle the window,
// rewrite what is on screen), and a bidi override would make a line read
// differently from what it holds. So every printer in this package passes
// stored text through printable (one line) or printableText (a body of
// lines), and JSON output through printableJSON.

// printable returns s fit for one line of terminal output: every control
// character (C0 including newline and tab, DEL, C1), every bidi embedding,
// override and isolate, and every byte that is not UTF-8 is shown escaped,
// as \n, \t, \r, \x1b or \u202e. Other text, backslashes included, is
// unchanged.
func printable(s string) string { return escape(s, false) }

// printableText is printable for a text body of several lines: newlines
// and tabs stay, and a carriage return before a newline (as browsers send
// a textarea's lines) is dropped.
func printableText(s string) string { return escape(s, true) }

// printableBlock is printableText with every line after the first
// indented by indent, so that a body printed under a heading stays under
// it, and none of its lines can pass for one of the printer's own.
func printableBlock(s, indent string) string {
	return strings.ReplaceAll(printableText(strings.TrimRight(s, "\r\n")), "\n", "\n"+indent)
}

func escape(s string, body bool) string {
	var b strings.Builder
	done := 0 // s[:done] is in b, or needs no escaping when b is empty
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && n == 1:
			esc = fmt.Sprintf(`\x%02x`, s[i])
		case body && r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			esc = ""
		case body && (r == '\n' || r == '\t'):
			i += n
			continue
		case r == '\n':
			esc = `\n`
		case r == '\t':
			esc = `\t`
		case r == '\r':
			esc = `\r`
		case r < 0x20 || r == 0x7f:
			esc = fmt.Sprintf(`\x%02x`, r)
		case isHiddenControl(r):
			esc = fmt.Sprintf(`\u%04x`, r)
		default:
			i += n
			continue
		}
		b.WriteString(s[done:i])
		b.WriteString(esc)
		i += n
		done = i
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// isHiddenControl reports whether r is a control that is not ASCII: C1
// (U+0080-U+009F), which terminals may obey like ESC sequences, or a bidi
// embedding, override or isolate (U+202A-U+202E, U+2066-U+2069), which
// reorders the text around it.
func isHiddenControl(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// printableJSON returns JSON as encoding/json wrote it, with DEL, the C1
// controls and the bidi controls escaped too (\u007f, \u009b, \u202e).
// encoding/json already escapes the C0 controls and replaces invalid UTF-8,
// but passes those through raw. In valid JSON they can only stand inside
// strings, where the escape means the same character, so the document's
// meaning is unchanged.
func printableJSON(js []byte) []byte {
	var out []byte
	done := 0
	for i := 0; i < len(js); {
		r, n := utf8.DecodeRune(js[i:])
		if r != 0x7f && !isHiddenControl(r) {
			i += n
			continue
		}
		out = append(out, js[done:i]...)
		out = fmt.Appendf(out, `\u%04x`, r)
		i += n
		done = i
	}
	if out == nil {
		return js
	}
	return append(out, js[done:]...)
}

// writeJSON writes what encode writes, through printableJSON.
func writeJSON(w io.Writer, encode func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		return err
	}
	_, err := w.Write(printableJSON(buf.Bytes()))
	return err
}
