package recurrence

import (
	"slices"
	"strings"
	"unicode"
)

// stopWords carry no meaning of their own for telling incidents apart:
// English function words and the vocabulary every incident report uses.
var stopWords = wordSet(`a an the and or but if of to in on at by for with from into onto over under
	after before during while as is are was were be been being has have had do does did not no nor so than then
	too very can could should would will may might must shall this that these those it its it's we our us they
	their them he she his her you your i me my all any some each few more most other such only own same both
	there here when where which who whom what why how up down out off again further once about above below
	between through until against per via also just due because got get gets getting went go goes
	incident outage issue problem error errors failed failure failing fail fails down degraded
	customers customer users user some many service services sev1 sev2 sev3 sev4 minutes minute hours hour
	declared declare detected resolved mitigated`)

func wordSet(list string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(list) {
		out[w] = true
	}
	return out
}

// Tokens returns the significant words of a text, lower-cased, in order
// of first appearance, each once: letters and digits, at least three long
// (or two digits and more), without stop words, with a plural's s cut.
func Tokens(text string) []string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	var out []string
	seen := map[string]bool{}
	for _, w := range words {
		if len(w) < 3 || stopWords[w] || len(w) > 40 {
			continue
		}
		w = stem(w)
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Spelled maps each token of a text (as Tokens makes them) to the word it
// came from, as first written, so that reasons read as people wrote them:
// "declared", not "declar".
func Spelled(text string) map[string]string {
	out := map[string]string{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len(w) < 3 || stopWords[w] || len(w) > 40 {
			continue
		}
		if t := stem(w); out[t] == "" {
			out[t] = w
		}
	}
	return out
}

// stem cuts the commonest English endings so that "timeouts", "timed out"
// and "timeout" meet; crude, and applied the same to both sides.
func stem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) && !strings.HasSuffix(w, "ss") {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

// Overlap returns how much two token sets share, in [0, 1] (the shared
// tokens over the smaller set, damped for very short texts), and the
// shared tokens in a's order.
func Overlap(a, b []string) (float64, []string) {
	if len(a) == 0 || len(b) == 0 {
		return 0, nil
	}
	var common []string
	for _, t := range a {
		if slices.Contains(b, t) {
			common = append(common, t)
		}
	}
	smaller := min(len(a), len(b))
	// A set of two words sharing one is weaker evidence than ten sharing
	// five; count at least four.
	return float64(len(common)) / float64(max(smaller, 4)), common
}

// QueryTerms returns up to max significant words of a text for the
// database's text search: ASCII letters and digits only, so that neither
// engine's query syntax can be reached, the longest (rarest-looking)
// first.
func QueryTerms(text string, limit int) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if len(w) < 3 || len(w) > 40 || stopWords[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	slices.SortStableFunc(out, func(x, y string) int { return len(y) - len(x) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
