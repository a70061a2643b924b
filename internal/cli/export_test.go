package cli

import "sort"

// Verbs lists every command, sorted, with its verbs (none for a command
// that has no verbs), for the tests that walk them all.
func Verbs() map[string][]string {
	out := map[string][]string{}
	for name, c := range commands() {
		vs := []string{}
		for _, v := range c.verbs {
			vs = append(vs, v.name)
		}
		sort.Strings(vs)
		out[name] = vs
	}
	return out
}

// The escaping helpers and the version printer, for their table tests.
var (
	Printable      = printable
	PrintableText  = printableText
	PrintableBlock = printableBlock
	PrintableJSON  = printableJSON
	WriteVersion   = writeVersion
)
