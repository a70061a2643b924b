package importer

import (
	"strings"
	"unicode/utf8"
)

// CODEOWNERS patterns follow gitignore's, as GitHub reads them:
//
//   - a leading "/" anchors the pattern to the repository's root, and so
//     does a "/" inside it; a pattern without one (a trailing "/" aside)
//     matches at any depth;
//   - a trailing "/" matches a directory, and so everything under it;
//   - "*" matches within one path segment, "?" one character of it, and
//     "\" makes the next character literal ("\*", "\#", "\ ");
//   - "**" as a whole segment matches any number of segments: leading
//     "**/", middle "/**/", and trailing "/**" (everything under, not the
//     directory itself);
//   - a pattern that matches a directory matches every path under it,
//     except that a pattern with a slash ending in a lone "*" segment
//     ("docs/*") matches only the entries right there, not deeper ones.
//
// Negation ("!") and character classes are not CODEOWNERS syntax: "!"
// first is refused and "[" is an ordinary character.

// globstar is the segment "**".
const globstar = "**"

// ownerPattern is a compiled pattern.
type ownerPattern struct {
	// segs are the segments to match from a path's first one; an
	// unanchored pattern starts with "**".
	segs []string
	// dirOnly: the pattern matches only what is under a directory it
	// names (a trailing "/" or "/**").
	dirOnly bool
	// exactDepth: the pattern names the entries of one directory ("/*",
	// "docs/*") and not the paths deeper down.
	exactDepth bool
}

// compilePattern compiles a pattern as written, or says what is wrong.
func compilePattern(p string) (ownerPattern, string) {
	var c ownerPattern
	if strings.HasPrefix(p, "!") {
		return c, "negation (!) is not supported in CODEOWNERS"
	}
	rest, rooted := strings.CutPrefix(p, "/")
	rest, c.dirOnly = strings.CutSuffix(rest, "/")
	if rest == "" {
		return c, "the pattern names no path"
	}
	c.segs = strings.Split(rest, "/")
	for _, s := range c.segs {
		if s == "" {
			return c, "empty path segment (//)"
		}
		if strings.HasSuffix(s, `\`) && !strings.HasSuffix(s, `\\`) {
			return c, `a backslash before "/" escapes nothing`
		}
	}
	anchored := rooted || len(c.segs) > 1
	if n := len(c.segs); n > 1 && c.segs[n-1] == globstar {
		// "foo/**" and "foo/**/": everything under foo, not foo itself.
		c.segs, c.dirOnly = c.segs[:n-1], true
	}
	c.exactDepth = anchored && !c.dirOnly && c.segs[len(c.segs)-1] == "*"
	if !anchored && c.segs[0] != globstar {
		c.segs = append([]string{globstar}, c.segs...)
	}
	return c, ""
}

// isCatchAll reports whether the pattern matches every path: the
// repository's default rule ("*", "**", "/**", "**/*").
func (c ownerPattern) isCatchAll() bool {
	if c.dirOnly {
		return false
	}
	for i, s := range c.segs {
		if s != globstar && !(s == "*" && i == len(c.segs)-1) {
			return false
		}
	}
	return true
}

// matches reports whether the pattern matches the path of segments path
// (at least one); isDir says the path names a directory.
func (c ownerPattern) matches(path []string, isDir bool) bool {
	// at[j]: the segments so far can consume exactly path[:j].
	at := make([]bool, len(path)+1)
	next := make([]bool, len(path)+1)
	at[0] = true
	for _, seg := range c.segs {
		clear(next)
		if seg == globstar {
			for j, ok := range at {
				if ok {
					for k := j; k <= len(path); k++ {
						next[k] = true
					}
					break
				}
			}
		} else {
			for j, ok := range at[:len(path)] {
				if ok && matchSegment(seg, path[j]) {
					next[j+1] = true
				}
			}
		}
		at, next = next, at
	}
	n := len(path)
	for k := 1; k <= n; k++ {
		if !at[k] {
			continue
		}
		switch {
		case c.exactDepth:
			if k == n {
				return true
			}
		case c.dirOnly:
			if k < n || isDir {
				return true
			}
		default:
			return true // the path, or something under it
		}
	}
	return false
}

// matchSegment matches one path segment against one pattern segment with
// "*", "?" and backslash escapes. It backtracks only to the latest "*",
// so it takes time linear in the product of the lengths at worst.
func matchSegment(pat, name string) bool {
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		if p < len(pat) {
			switch pat[p] {
			case '*':
				starP, starN = p, n
				p++
				continue
			case '?':
				_, size := utf8.DecodeRuneInString(name[n:])
				p++
				n += size
				continue
			}
			lit, size := pat[p], 1
			if lit == '\\' && p+1 < len(pat) {
				lit, size = pat[p+1], 2
			}
			if lit == name[n] {
				p += size
				n++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the latest star take one more character.
		_, size := utf8.DecodeRuneInString(name[starN:])
		starN += size
		p, n = starP+1, starN
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
