// Package freetext holds what blameful accepts as free text: which characters,
// and how long each kind of field may be. Every boundary that takes text
// from outside (the JSON API, the org and catalog importers) checks it here,
// so the two database engines never see a string one of them would refuse
// (PostgreSQL cannot store NUL; SQLite would) and a terminal printing stored
// text is not handed control sequences.
//
// The limits are in characters (Unicode code points), not bytes.
package freetext

import (
	"fmt"
	"unicode/utf8"

	"blameful.dev/blameful/internal/errs"
)

// Kind is a kind of text field: its longest value and whether it may span
// lines. The names are stable: the API's OpenAPI document states each
// field's maxLength from them.
type Kind struct {
	Name      string
	Max       int
	Multiline bool
}

// The kinds of field.
var (
	// Word is an enumerated value: a severity, a status, a level name.
	Word = Kind{Name: "word", Max: 64}
	// Ref is a reference to a person, team or entity (kind:namespace/name),
	// an incident ID or a record ID.
	Ref = Kind{Name: "ref", Max: 255}
	// Time is an RFC 3339 time or a date.
	Time = Kind{Name: "time", Max: 64}
	// Line is a title, a name, a source: one line.
	Line = Kind{Name: "line", Max: 300}
	// URL is a link to an outside system.
	URL = Kind{Name: "url", Max: 2048}
	// Note is a reason, a justification or a contributing factor: a
	// paragraph or a few.
	Note = Kind{Name: "note", Max: 4000, Multiline: true}
	// Body is a long text: an incident's summary or impact, a timeline
	// entry, a description.
	Body = Kind{Name: "body", Max: 20000, Multiline: true}
	// Section is a section of a postmortem: its summary, impact,
	// mechanism, what went well or poorly.
	Section = Kind{Name: "section", Max: 50000, Multiline: true}
)

// Kinds lists every kind, for documentation and tests.
var Kinds = []Kind{Word, Ref, Time, Line, URL, Note, Body, Section}

// ByName returns the kind with the name.
func ByName(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Check returns a user-safe description of what is wrong with s as text of
// kind k, or "" when nothing is. Text must be valid UTF-8 with no NUL and no
// other control character: tab is allowed everywhere, and newline and
// carriage return where the kind spans lines. Lone UTF-16 surrogates cannot
// occur in valid UTF-8, so they are refused with it.
func Check(s string, k Kind) string {
	n := 0
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !validAt(s, i):
			return fmt.Sprintf("is not valid UTF-8 (at byte %d)", i)
		case r == 0:
			return fmt.Sprintf("holds a NUL character (at byte %d)", i)
		case r == '\t':
		case (r == '\n' || r == '\r') && k.Multiline:
		case r == '\n' || r == '\r':
			return "must be one line"
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Sprintf("holds the control character U+%04X (at byte %d)", r, i)
		}
		n++
	}
	if n > k.Max {
		return fmt.Sprintf("is %d characters long; at most %d are allowed", n, k.Max)
	}
	return ""
}

// Add records in p what is wrong with s as field of kind k, if anything.
func Add(p *errs.Problems, field, s string, k Kind) {
	if msg := Check(s, k); msg != "" {
		p.Add(field, "%s", msg)
	}
}

// validAt tells whether the U+FFFD at byte i of s is really written there,
// rather than standing for an invalid byte.
func validAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 3
}
