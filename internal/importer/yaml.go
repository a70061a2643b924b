package importer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/org"
)

// Both parsers walk yaml.Node trees by hand rather than decoding into
// structs: that way every problem can name its file, line, item and field,
// and a file's problems are all collected before the import gives up.

// maxProblems is how many problems one error lists; the rest are counted.
const maxProblems = 20

// problem is one thing wrong with an input file, located for the user.
type problem struct {
	file  string
	line  int    // 0 when unknown
	where string // the item, for example "teams[2] (payments)"
	msg   string
}

func (p problem) String() string {
	s := p.file
	if p.line > 0 {
		s += ":" + strconv.Itoa(p.line)
	}
	if p.where != "" {
		s += ": " + p.where
	}
	return s + ": " + p.msg
}

// problemsError returns nil for no problems, else one Invalid error whose
// message lists them, one per line, so a user can fix a file in one go.
func problemsError(ps []problem) error {
	if len(ps) == 0 {
		return nil
	}
	if len(ps) == 1 {
		return errs.E(errs.Invalid, "%s", ps[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(ps))
	for i, p := range ps {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n… and %d more", len(ps)-maxProblems)
			break
		}
		b.WriteString("\n" + p.String())
	}
	return errs.E(errs.Invalid, "%s", b.String())
}

// syntaxProblem turns a yaml.v3 syntax error ("yaml: line 3: did not find
// expected key") into a problem.
//
// The library counts lines from 0 in its parser's errors (those below) and
// from 1 in its scanner's, and leaves a line 0 out; so a parser error
// without a line is on line 1. A parser error's line is where the
// enclosing block or flow collection starts, when it has one.
func syntaxProblem(file string, err error) problem {
	p := problem{file: file}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(n); err == nil {
				p.line, msg = line, after
			}
		}
	}
	if isParserError(msg) {
		p.line++
	}
	p.msg = "malformed YAML: " + msg
	return p
}

// isParserError reports whether msg is one of the problems yaml.v3's
// parser (not its scanner) reports.
func isParserError(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator", "did not find expected <document start>",
		"did not find expected <stream-start>", "did not find expected key",
		"did not find expected node content", "found duplicate %TAG directive",
		"found duplicate %YAML directive", "found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// text is a scalar from the file and the line it was on.
type text struct {
	s    string
	line int
}

// reader reads values from nodes of one item, recording problems against
// it.
type reader struct {
	file  string
	where string
	probs *[]problem
}

func (r reader) add(line int, format string, args ...any) {
	*r.probs = append(*r.probs, problem{file: r.file, line: line, where: r.where, msg: fmt.Sprintf(format, args...)})
}

// field returns the value of key in mapping n, or nil when n is not a
// mapping, lacks the key, or holds null there.
func field(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// deref follows an alias and turns null into nil.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	return n
}

// text reads a single value; a missing one is empty.
func (r reader) text(n *yaml.Node, name string) text {
	if n == nil {
		return text{}
	}
	if n.Kind != yaml.ScalarNode {
		r.add(n.Line, "%s: want a single value, found %s", name, describe(n))
		return text{}
	}
	v := strings.TrimSpace(n.Value)
	if msg := freetext.Check(v, kindOf(name)); msg != "" {
		r.add(n.Line, "%s %s", name, msg)
		return text{}
	}
	return text{v, n.Line}
}

// kindOf is the kind of free text a field holds: descriptions are long,
// everything else is one line.
func kindOf(name string) freetext.Kind {
	if strings.HasSuffix(name, "description") {
		return freetext.Body
	}
	return freetext.Line
}

// isBlank reports whether a required value read with text is missing or
// empty, rather than of the wrong shape, which text has reported.
func isBlank(n *yaml.Node) bool { return n == nil || n.Kind == yaml.ScalarNode }

// list reads a list of single values; one value alone counts as a list of
// one, and null items are skipped.
func (r reader) list(n *yaml.Node, name string) []text {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []text{r.text(n, name)}
	}
	if n.Kind != yaml.SequenceNode {
		r.add(n.Line, "%s: want a list, found %s", name, describe(n))
		return nil
	}
	var out []text
	for i, c := range n.Content {
		if c = deref(c); c != nil {
			if t := r.text(c, fmt.Sprintf("%s[%d]", name, i)); t.s != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// onlyKeys reports every key of mapping n that is not in known, and keys
// given twice.
func (r reader) onlyKeys(n *yaml.Node, known ...string) {
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch first, dup := seen[k.Value]; {
		case dup:
			r.add(k.Line, "field %q given twice (first at line %d)", k.Value, first)
		case !slices.Contains(known, k.Value):
			r.add(k.Line, "unknown field %q", k.Value)
		}
		seen[k.Value] = k.Line
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// ref parses a reference read from field name, with a default kind and
// namespace, and requires its kind to be one of kinds (any when empty).
// It returns "" after recording a problem.
func (r reader) ref(t text, name, defaultKind, namespace string, kinds ...string) org.Ref {
	if t.s == "" {
		return ""
	}
	ref, err := org.ParseRefIn(t.s, defaultKind, namespace)
	if err != nil {
		r.add(t.line, "%s: %s", name, messageOf(err))
		return ""
	}
	if len(kinds) > 0 && !slices.Contains(kinds, ref.Kind()) {
		r.add(t.line, "%s: %q must name a %s, not a %s", name, t.s, oneOf(kinds), ref.Kind())
		return ""
	}
	return ref
}

// oneOf lists choices in prose: "a", "a or b", "a, b or c".
func oneOf(choices []string) string {
	n := len(choices)
	if n == 1 {
		return choices[0]
	}
	return strings.Join(choices[:n-1], ", ") + " or " + choices[n-1]
}

// refs is ref for each item of a list, leaving out the bad ones.
func (r reader) refs(ts []text, name, defaultKind, namespace string, kinds ...string) []org.Ref {
	var out []org.Ref
	for _, t := range ts {
		if ref := r.ref(t, name, defaultKind, namespace, kinds...); ref != "" {
			out = append(out, ref)
		}
	}
	return out
}

// time reads a date ("2026-05-01", midnight UTC) or an RFC 3339 time, which
// it converts to UTC.
func (r reader) time(t text, name string) time.Time {
	if t.s == "" {
		return time.Time{}
	}
	if d, err := time.Parse(time.DateOnly, t.s); err == nil {
		return d
	}
	if d, err := time.Parse(time.RFC3339, t.s); err == nil {
		return d.UTC()
	}
	r.add(t.line, "%s: %q is not a date (2026-05-01) or an RFC 3339 time (2026-05-01T09:30:00Z)", name, t.s)
	return time.Time{}
}

// messageOf is the user-safe message of an errs error.
func messageOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return err.Error()
}

// Limits on what one file may make the parsers hold in memory. yaml.v3
// keeps every value of a file as a node of a few hundred bytes, so the
// size of a file bounds the memory its parse takes; aliases (*name) are
// kept as references, but the parsers read through them, so a document
// whose aliases repeat lists of aliases (a "billion laughs") could make
// them read far more values than the file holds.
const (
	// MaxCatalogFileBytes is the largest Backstage catalog file read;
	// catalogs are many small files.
	MaxCatalogFileBytes = 4 << 20
	// MaxOrgFileBytes is the largest org file read: one file states the
	// whole organisation.
	MaxOrgFileBytes = 16 << 20
	// maxAliasValues is how many values a document may repeat through
	// aliases: plenty for sharing a list of members, far too few for a
	// bomb.
	maxAliasValues = 10_000
)

// tooManyAliases reports a problem, and false, when reading doc through
// its aliases would visit more than maxAliasValues values beyond those the
// document holds. An alias that contains itself counts as too many.
func tooManyAliases(doc *yaml.Node) (problem, bool) {
	const ceiling = 1 << 40 // counts saturate here rather than overflow
	held := 0
	var count func(n *yaml.Node)
	count = func(n *yaml.Node) {
		held++
		for _, c := range n.Content {
			count(c)
		}
	}
	count(doc)
	read := make(map[*yaml.Node]int)
	var reach func(n *yaml.Node) int
	reach = func(n *yaml.Node) int {
		if n == nil {
			return 0
		}
		if v, ok := read[n]; ok {
			return v
		}
		read[n] = ceiling // reached again while being counted: a cycle
		total := 1
		if n.Kind == yaml.AliasNode {
			total += reach(n.Alias)
		}
		for _, c := range n.Content {
			total = min(total+reach(c), ceiling)
		}
		read[n] = total
		return total
	}
	if reach(doc)-held <= maxAliasValues {
		return problem{}, true
	}
	line := doc.Line
	if len(doc.Content) > 0 {
		line = doc.Content[0].Line
	}
	return problem{line: line, msg: fmt.Sprintf("its aliases (*name) repeat more than %d values; write the values out", maxAliasValues)}, false
}
