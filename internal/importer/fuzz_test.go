package importer

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// seed adds every YAML file in testdata (the real Backstage samples, the
// org example, the fixtures and the tree) to f's corpus, and a document
// whose aliases multiply.
func seed(f *testing.F) {
	for _, file := range readFiles(f, ".") {
		f.Add(file.Data)
	}
	f.Add([]byte(aliasBomb(6)))
}

// aliasBomb is a document whose aliases repeat 9^levels values.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("version: 1\nkind: Group\nx0: &x0 [a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i <= levels; i++ {
		prev := "*x" + string(rune('0'+i-1))
		b.WriteString("x" + string(rune('0'+i)) + ": &x" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 8) + prev + "]\n")
	}
	return b.String()
}

// checkBatch checks what must hold of any batch or error a parser returns.
func checkBatch(t *testing.T, b Batch, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, errs.Invalid) {
			t.Fatalf("error %v is not Invalid", err)
		}
		return
	}
	for i, c := range b.Claims {
		for _, r := range []org.Ref{c.Subject, c.Object} {
			if got, err := org.ParseRef(string(r), ""); err != nil || got != r {
				t.Fatalf("claim %+v holds a non-canonical ref %q", c, r)
			}
		}
		if i > 0 && compareClaims(b.Claims[i-1], c) >= 0 {
			t.Fatalf("claims out of order or repeated at %d: %+v", i, b.Claims[i-1:i+1])
		}
	}
	for _, s := range b.Scopes {
		if !slices.IsSorted(s.Subjects) || !slices.IsSorted(s.Objects) {
			t.Fatalf("scope %+v is not sorted", s)
		}
	}
}

// FuzzParseOrg: no panic; an org file that parses, written back by
// encodeOrg, parses to the same batch.
func FuzzParseOrg(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseOrg("org.yaml", data)
		checkBatch(t, b, err)
		if err != nil {
			return
		}
		again := encodeOrg(b)
		b2, err := ParseOrg("again.yaml", again)
		if err != nil {
			t.Fatalf("the encoding does not parse: %v\n%s", err, again)
		}
		if d := cmp.Diff(b, b2); d != "" {
			t.Fatalf("round trip (-parsed +re-parsed):\n%s\nencoding:\n%s", d, again)
		}
	})
}

// FuzzParseBackstage: no panic; a catalog that parses, written back by
// encodeBackstage, parses to the same people, teams, entities, scopes and
// relations (org relations' since-dates may merge, see encodeBackstage),
// and writing that back changes nothing more.
func FuzzParseBackstage(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBackstage([]File{{Name: "a.yaml", Data: data}})
		checkBatch(t, b, err)
		// The same file twice: every definition is replaced once.
		b2, err2 := ParseBackstage([]File{{Name: "a.yaml", Data: data}, {Name: "b.yaml", Data: data}})
		checkBatch(t, b2, err2)
		if err != nil {
			return
		}
		b.Warnings = nil
		once := reparseBackstage(t, b)
		withoutSince := func(b Batch) Batch {
			b.Claims = slices.Clone(b.Claims)
			for i, c := range b.Claims {
				if c.Relation == org.MemberOf || c.Relation == org.ChildOf || c.Relation == org.Leads {
					b.Claims[i].Since = time.Time{}
				}
			}
			return b
		}
		if d := cmp.Diff(withoutSince(b), withoutSince(once)); d != "" {
			t.Fatalf("round trip (-parsed +re-parsed):\n%s\nencoding:\n%s", d, encodeBackstage(b))
		}
		if d := cmp.Diff(once, reparseBackstage(t, once)); d != "" {
			t.Fatalf("second round trip (-first +second):\n%s\nencoding:\n%s", d, encodeBackstage(once))
		}
	})
}

func reparseBackstage(t *testing.T, b Batch) Batch {
	t.Helper()
	again := encodeBackstage(b)
	b2, err := ParseBackstage([]File{{Name: "again.yaml", Data: again}})
	if err != nil {
		t.Fatalf("the encoding does not parse: %v\n%s", err, again)
	}
	if b2.Warnings != nil {
		t.Fatalf("the encoding has warnings: %q\n%s", b2.Warnings, again)
	}
	return b2
}

// TestRoundTripSamples runs the fuzz tests' round trips over the real
// samples and the org example, as the fuzzers' seeds do, so a plain test
// run checks the encoders.
func TestRoundTripSamples(t *testing.T) {
	b := parseBackstage(t, readFiles(t, "backstage"))
	b.Warnings = nil
	once := reparseBackstage(t, b)
	if d := cmp.Diff(b, once); d != "" {
		t.Errorf("samples (-parsed +re-parsed):\n%s", d)
	}
	ob, err := ParseOrg("org.example.yaml", readFiles(t, "org.example.yaml")[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	ob2, err := ParseOrg("again.yaml", encodeOrg(ob))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ob, ob2); d != "" {
		t.Errorf("org example (-parsed +re-parsed):\n%s", d)
	}
}

// TestBoundedInput: a document whose aliases multiply, or a file over the
// limit, is refused with a clear error rather than read.
func TestBoundedInput(t *testing.T) {
	bomb := aliasBomb(5) // 9^5 = 59,049 values through aliases
	_, err := ParseOrg("bomb.yaml", []byte(bomb))
	checkInvalid(t, err, []string{"bomb.yaml:1: its aliases (*name) repeat more than 10000 values; write the values out"})
	_, err = ParseBackstage([]File{{Name: "bomb.yaml", Data: []byte("kind: Group\n---\n" + bomb)}})
	checkInvalid(t, err, []string{"bomb.yaml:3: document 2: its aliases (*name) repeat more than 10000 values"})

	// A few aliases are fine.
	_, err = ParseOrg("ok.yaml", []byte("version: 1\nteams:\n  - {id: a, members: &m [ada, bob]}\n  - {id: b, members: *m}\n"))
	if err != nil {
		t.Errorf("shared members: %v", err)
	}

	big := []byte("version: 1\n#" + strings.Repeat("x", MaxOrgFileBytes) + "\n")
	_, err = ParseOrg("big.yaml", big)
	checkInvalid(t, err, []string{"big.yaml: the file is 16777229 bytes, more than the 16777216 an org file may hold"})
	_, err = ParseBackstage([]File{{Name: "big.yaml", Data: big[:MaxCatalogFileBytes+1]}})
	checkInvalid(t, err, []string{"big.yaml: the file is 4194305 bytes, more than the 4194304 a catalog file may hold: split it"})
}
