package importer

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"blameful.dev/blameful/internal/org"
)

// A CODEOWNERS file says who owns which paths of one repository, the way
// GitHub reads it: one rule a line, "PATTERN OWNER…", where the last rule
// whose pattern matches a path decides its owners. Comments start with #
// (a pattern that starts with # is written \#), blank lines are skipped,
// and a pattern with no owners makes the paths it matches unowned.
//
// blameful keeps the rules of each repository as evidence of ownership:
// who a path belongs to (Codeowners.Match), and whether that agrees with
// the catalog (review.Drift).

// Limits on what ParseCodeowners reads, so a hostile or mistaken file
// cannot take unbounded memory.
const (
	// MaxCodeownersBytes is GitHub's own limit: it ignores a CODEOWNERS
	// file of 3 MB or more.
	MaxCodeownersBytes = 3 << 20
	// MaxCodeownersLineBytes bounds one line.
	MaxCodeownersLineBytes = 4096
	// MaxCodeownersRules bounds the rules of one file.
	MaxCodeownersRules = 10000
	// maxOwnersPerRule bounds the owners of one rule.
	maxOwnersPerRule = 100
)

// Codeowners is a parsed CODEOWNERS file: its rules in file order.
type Codeowners struct {
	Rules []OwnerRule
}

// OwnerRule is one rule of a CODEOWNERS file.
type OwnerRule struct {
	// Line is the rule's line number in the file, from 1.
	Line int
	// Text is the line as written, without surrounding blanks.
	Text string
	// Pattern is the path pattern as written, escapes included.
	Pattern string
	// Owners are the owners as written: "@user", "@org/team" or an email
	// address. None means the rule makes the paths it matches unowned.
	Owners []string
	// Refs are the people and teams of the org the owners name, in the
	// order written, set by ResolveOwners; an owner naming nobody known
	// has none.
	Refs []org.Ref
}

// IsUnowned reports whether the rule names no owners, which makes the
// paths it matches (and only those) unowned.
func (r OwnerRule) IsUnowned() bool { return len(r.Owners) == 0 }

// ParseCodeowners parses a CODEOWNERS file; name is used in messages.
//
// It returns one errs.Invalid error listing every problem, each as
// "name:line: problem": a line that is not UTF-8 text or holds a control
// character, a pattern GitHub does not accept (a negation "!", an empty
// path segment, a trailing lone backslash), an owner that is neither
// @user, @org/team nor an email address, and a file, line or rule count
// over the limits above. A file without rules is valid and has none.
func ParseCodeowners(name string, data []byte) (Codeowners, error) {
	if len(data) >= MaxCodeownersBytes {
		return Codeowners{}, problemsError([]problem{{file: name, msg: fmt.Sprintf("the file is %d bytes; a CODEOWNERS file must be under %d (GitHub ignores larger ones)", len(data), MaxCodeownersBytes)}})
	}
	var c Codeowners
	var probs []problem
	text := strings.TrimPrefix(string(data), "\ufeff") // an editor's byte order mark is not part of the first pattern
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		at := func(format string, args ...any) {
			probs = append(probs, problem{file: name, line: n + 1, msg: fmt.Sprintf(format, args...)})
		}
		if len(line) > MaxCodeownersLineBytes {
			at("the line is %d bytes long; at most %d are read", len(line), MaxCodeownersLineBytes)
			continue
		}
		r, ok, msg := parseRuleLine(line)
		if msg != "" {
			at("%s", msg)
			continue
		}
		if !ok {
			continue
		}
		if len(c.Rules) == MaxCodeownersRules {
			at("more than %d rules; split the file or simplify it", MaxCodeownersRules)
			break
		}
		r.Line = n + 1
		c.Rules = append(c.Rules, r)
	}
	if len(probs) > 0 {
		return Codeowners{}, problemsError(probs)
	}
	return c, nil
}

// parseRuleLine reads one line: a rule (ok), nothing (a blank or comment
// line), or the problem with it.
func parseRuleLine(line string) (r OwnerRule, ok bool, problem string) {
	if !utf8.ValidString(line) {
		return r, false, "the line is not UTF-8 text"
	}
	if i := strings.IndexFunc(line, func(c rune) bool { return c != '\t' && (c < ' ' || c == 0x7f) }); i >= 0 {
		return r, false, fmt.Sprintf("control character %q in the line", line[i])
	}
	if strings.ContainsRune(line, '\ufeff') {
		return r, false, "a byte order mark inside the file"
	}
	fields, end, problem := splitFields(line)
	if problem != "" || len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
		return r, false, problem
	}
	r.Pattern = fields[0]
	if _, err := compilePattern(r.Pattern); err != "" {
		return r, false, fmt.Sprintf("pattern %q: %s", r.Pattern, err)
	}
	for _, o := range fields[1:] {
		if strings.HasPrefix(o, "#") {
			break // the rest of the line is a comment
		}
		if !isOwner(o) {
			return r, false, fmt.Sprintf("owner %q is not @user, @org/team or an email address", o)
		}
		r.Owners = append(r.Owners, o)
	}
	if len(r.Owners) > maxOwnersPerRule {
		return r, false, fmt.Sprintf("%d owners; at most %d are read", len(r.Owners), maxOwnersPerRule)
	}
	r.Text = strings.TrimLeft(line[:end], " \t")
	return r, true, ""
}

// splitFields splits a line at unescaped blanks; a backslash keeps the
// character after it in its field, escape included. end is where the
// last field ends.
func splitFields(line string) (fields []string, end int, problem string) {
	var cur strings.Builder
	inField := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\':
			if i+1 == len(line) {
				return nil, 0, "the line ends with a lone backslash"
			}
			cur.WriteByte(c)
			cur.WriteByte(line[i+1])
			i++
			inField, end = true, i+1
		case c == ' ' || c == '\t':
			if inField {
				fields = append(fields, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteByte(c)
			inField, end = true, i+1
		}
	}
	if inField {
		fields = append(fields, cur.String())
	}
	return fields, end, ""
}

// isOwner reports whether s is written as a CODEOWNERS owner: @user,
// @org/team, or an email address.
func isOwner(s string) bool {
	if name, ok := strings.CutPrefix(s, "@"); ok {
		org, team, isTeam := strings.Cut(name, "/")
		if !isTeam {
			return isHandle(name)
		}
		return isHandle(org) && isSlug(team)
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.ContainsAny(domain, "@") || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return false
	}
	// The local part is RFC 5322's atext and dots: no quoting, no markup.
	return strings.IndexFunc(local, func(c rune) bool { return !isASCIIAlnum(c) && !strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", c) }) < 0 &&
		isSlug(domain)
}

// isHandle reports whether s is a GitHub login: letters, digits, - and _
// (enterprise managed users have one), at most 100.
func isHandle(s string) bool {
	if s == "" || len(s) > 100 || s[0] == '-' {
		return false
	}
	return strings.IndexFunc(s, func(c rune) bool { return !isASCIIAlnum(c) && c != '-' && c != '_' }) < 0
}

// isSlug reports whether s is a team slug or a domain: letters, digits,
// - _ and dots, at most 100.
func isSlug(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	return strings.IndexFunc(s, func(c rune) bool { return !isASCIIAlnum(c) && c != '-' && c != '_' && c != '.' }) < 0
}

func isASCIIAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Encode writes the rules back as a CODEOWNERS file, one rule a line,
// without the comments: parsing its output gives the same patterns and
// owners.
func (c Codeowners) Encode() []byte {
	var b strings.Builder
	for _, r := range c.Rules {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// String returns the rule as a CODEOWNERS line: its pattern and owners.
func (r OwnerRule) String() string {
	return strings.Join(append([]string{r.Pattern}, r.Owners...), " ")
}

// Match returns the rule that decides the owners of path in the
// repository: the last rule whose pattern matches it, and false when none
// does. The path is relative to the repository's root, with or without a
// leading slash; a trailing slash names a directory.
//
// The root itself ("/" or "") asks for the repository's default owners:
// the last rule whose pattern matches every path ("*", "**", "/**").
//
// Match compiles the patterns on each call; Matcher compiles them once for
// many lookups.
func (c Codeowners) Match(path string) (OwnerRule, bool) { return c.Matcher().Match(path) }

// Matcher is a CODEOWNERS file with its patterns compiled, for many
// lookups. It is read-only once made.
type Matcher struct {
	rules []OwnerRule
	pats  []ownerPattern
	valid []bool
}

// Matcher compiles the file's patterns.
func (c Codeowners) Matcher() Matcher {
	m := Matcher{rules: c.Rules, pats: make([]ownerPattern, len(c.Rules)), valid: make([]bool, len(c.Rules))}
	for i, r := range c.Rules {
		var problem string
		m.pats[i], problem = compilePattern(r.Pattern)
		m.valid[i] = problem == "" // parsed rules always compile
	}
	return m
}

// Match is Codeowners.Match.
func (m Matcher) Match(path string) (OwnerRule, bool) {
	clean := strings.TrimPrefix(path, "/")
	isDir := strings.HasSuffix(clean, "/")
	var segs []string
	for _, s := range strings.Split(strings.TrimSuffix(clean, "/"), "/") {
		if s != "" && s != "." {
			segs = append(segs, s)
		}
	}
	for i := len(m.rules) - 1; i >= 0; i-- {
		if !m.valid[i] {
			continue
		}
		p := m.pats[i]
		if len(segs) == 0 && p.isCatchAll() || len(segs) > 0 && p.matches(segs, isDir) {
			return m.rules[i], true
		}
	}
	return OwnerRule{}, false
}

// ResolveOwners sets each rule's Refs from its owners: "@org/team" names
// the team whose reference name or name, as a slug, is the team's slug
// (the GitHub organisation is not checked: blameful holds one org);
// "@user" the person with that handle, else the person whose reference
// name it is; an email address, the person with that email. It returns
// the owners that name nobody, each once, sorted. Letter case is ignored.
func ResolveOwners(rules []OwnerRule, people []org.Person, teams []org.Team) (unknown []string) {
	byHandle, byName, byEmail := map[string]org.Ref{}, map[string]org.Ref{}, map[string]org.Ref{}
	for _, p := range people {
		if p.Handle != "" {
			byHandle[strings.ToLower(p.Handle)] = p.Ref
		}
		byName[p.Ref.Name()] = p.Ref
		if p.Email != "" {
			byEmail[strings.ToLower(p.Email)] = p.Ref
		}
	}
	bySlug := map[string]org.Ref{}
	for _, t := range teams {
		if s := slugOf(t.Name); s != "" {
			bySlug[s] = t.Ref
		}
	}
	for _, t := range teams { // a reference name wins over a display name
		bySlug[t.Ref.Name()] = t.Ref
	}
	seen := map[string]bool{}
	for i := range rules {
		rules[i].Refs = nil
		for _, o := range rules[i].Owners {
			low := strings.ToLower(o)
			var ref org.Ref
			if name, ok := strings.CutPrefix(low, "@"); ok {
				if _, team, isTeam := strings.Cut(name, "/"); isTeam {
					ref = bySlug[team]
				} else if ref = byHandle[name]; ref.IsZero() {
					ref = byName[name]
				}
			} else {
				ref = byEmail[low]
			}
			if ref.IsZero() {
				if !seen[o] {
					seen[o] = true
					unknown = append(unknown, o)
				}
				continue
			}
			if !slices.Contains(rules[i].Refs, ref) {
				rules[i].Refs = append(rules[i].Refs, ref)
			}
		}
	}
	slices.Sort(unknown)
	return unknown
}

// slugOf makes a team name into the slug GitHub would give it: lower
// case, runs of other characters as one hyphen.
func slugOf(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if isASCIIAlnum(c) || c == '_' || c == '.' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
			continue
		}
		dash = true
	}
	return b.String()
}
