package importer

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/errs"
)

// FuzzParseCodeowners: no input panics; an error is Invalid; a file that
// parses re-encodes to one that parses to the same patterns and owners;
// the limits hold.
func FuzzParseCodeowners(f *testing.F) {
	for _, name := range []string{"backstage.CODEOWNERS", "github-docs-example.CODEOWNERS"} {
		f.Add(readCodeowners(f, name))
	}
	f.Add([]byte("\\#x @a # c\nmy\\ f @o/t a@b.io\n/apps/github\n**/x/** @u\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCodeowners("CODEOWNERS", data)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error %v is not Invalid", err)
			}
			return
		}
		if len(c.Rules) > MaxCodeownersRules {
			t.Fatalf("%d rules", len(c.Rules))
		}
		again, err := ParseCodeowners("CODEOWNERS", c.Encode())
		if err != nil {
			t.Fatalf("the encoding does not parse: %v\n%s", err, c.Encode())
		}
		if diff := cmp.Diff(strip(c.Rules), strip(again.Rules)); diff != "" {
			t.Fatalf("re-parsed rules differ (-first +again):\n%s", diff)
		}
	})
}

// FuzzMatchCodeowners matches fuzzed paths against fuzzed rules: no
// panics, and the rule found is one of the file's with no later rule
// matching the path.
func FuzzMatchCodeowners(f *testing.F) {
	f.Add("**/x/*.go", "a/x/b.go")
	f.Add("/docs/", "docs/a/b")
	f.Add("f\\*o", "f*o")
	f.Add("*", "/")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		c, err := ParseCodeowners("CODEOWNERS", []byte(pattern+" @a\n"))
		if err != nil {
			return
		}
		r, ok := c.Match(path)
		if !ok {
			return
		}
		i := slices.IndexFunc(c.Rules, func(x OwnerRule) bool { return x.Line == r.Line })
		if i < 0 {
			t.Fatalf("matched a rule that is not there: %+v", r)
		}
		for _, later := range c.Rules[i+1:] {
			if _, ok := (Codeowners{Rules: []OwnerRule{later}}).Match(path); ok {
				t.Fatalf("%q matched line %d, but line %d matches it too and comes later", path, r.Line, later.Line)
			}
		}
	})
}

// strip keeps what an encoding carries: patterns and owners.
func strip(rules []OwnerRule) [][]string {
	out := make([][]string, len(rules))
	for i, r := range rules {
		out[i] = append([]string{r.Pattern}, r.Owners...)
	}
	return out
}
