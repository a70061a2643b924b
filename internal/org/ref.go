package org

import (
	"fmt"
	"strings"

	"blameful.dev/blameful/internal/errs"
)

// Ref names anything in the org or the catalog the way Backstage does:
// "kind:namespace/name", lower-case, for example "user:default/ada",
// "group:default/payments" or "component:default/checkout". A Ref is always
// held in that canonical form; ParseRef produces it.
type Ref string

// DefaultNamespace is the namespace a reference gets when its text leaves it out.
const DefaultNamespace = "default"

// The kinds of Ref that the org itself holds. Catalog kinds live in catalog.
const (
	KindUser  = "user"
	KindGroup = "group"
)

// ParseRef parses "[kind:][namespace/]name" into a canonical Ref. defaultKind
// is used when the text has no kind (it may be empty, in which case a kind is
// required). Matching is case-insensitive, as in Backstage, so the result is
// lower-case.
func ParseRef(s, defaultKind string) (Ref, error) {
	return ParseRefIn(s, defaultKind, DefaultNamespace)
}

// ParseRefIn is ParseRef with the namespace to use when the text has none;
// Backstage resolves a reference inside an entity against that entity's
// namespace.
func ParseRefIn(s, defaultKind, defaultNamespace string) (Ref, error) {
	text := strings.ToLower(strings.TrimSpace(s))
	if text == "" {
		return "", errs.E(errs.Invalid, "empty reference")
	}
	kind, rest := defaultKind, text
	if i := strings.IndexByte(text, ':'); i >= 0 {
		kind, rest = text[:i], text[i+1:]
	}
	if kind == "" {
		return "", errs.E(errs.Invalid, "reference %q has no kind (write it as kind:name, for example user:%s)", s, rest)
	}
	ns, name := defaultNamespace, rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		ns, name = rest[:i], rest[i+1:]
	}
	if !isToken(kind, false) {
		return "", errs.E(errs.Invalid, "reference %q has an invalid kind %q", s, kind)
	}
	if !isToken(ns, true) {
		return "", errs.E(errs.Invalid, "reference %q has an invalid namespace %q", s, ns)
	}
	if !isToken(name, true) {
		return "", errs.E(errs.Invalid, "reference %q has an invalid name %q (letters, digits and single - _ . between them, at most 63)", s, name)
	}
	return Ref(kind + ":" + ns + "/" + name), nil
}

// MustRef is ParseRef for references written in code and tests; it panics on
// a malformed reference, which is a programmer error.
func MustRef(s string) Ref {
	r, err := ParseRef(s, "")
	if err != nil {
		panic(fmt.Sprintf("org.MustRef(%q): %v", s, err))
	}
	return r
}

// Kind returns the reference's kind ("user", "group", "component", …).
func (r Ref) Kind() string {
	k, _, _ := strings.Cut(string(r), ":")
	return k
}

// Namespace returns the reference's namespace.
func (r Ref) Namespace() string {
	_, rest, _ := strings.Cut(string(r), ":")
	ns, _, _ := strings.Cut(rest, "/")
	return ns
}

// Name returns the last part of the reference.
func (r Ref) Name() string {
	_, rest, _ := strings.Cut(string(r), ":")
	_, name, _ := strings.Cut(rest, "/")
	return name
}

// IsZero reports whether r is the empty reference.
func (r Ref) IsZero() bool { return r == "" }

// IsPerson reports whether r names a person.
func (r Ref) IsPerson() bool { return r.Kind() == KindUser }

// IsTeam reports whether r names a team.
func (r Ref) IsTeam() bool { return r.Kind() == KindGroup }

// String returns the canonical text.
func (r Ref) String() string { return string(r) }

// Short returns the reference without the default namespace, the way people
// write it: "group:payments" rather than "group:default/payments".
func (r Ref) Short() string {
	if r.Namespace() == DefaultNamespace {
		return r.Kind() + ":" + r.Name()
	}
	return string(r)
}

// isToken reports whether s is a Backstage-style name: letters and digits,
// with single separators (- _ .) between them, at most 63 characters. Kinds
// (dotted=false) are letters and digits only.
func isToken(s string, dotted bool) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	prevSep := true // no separator at the start
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			prevSep = false
		case dotted && (c == '-' || c == '_' || c == '.'):
			if prevSep {
				return false
			}
			prevSep = true
		default:
			return false
		}
	}
	return !prevSep
}
