package importer

import (
	"errors"
	"slices"
	"testing"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// seed adds every YAML file in testdata to f's corpus.
func seed(f *testing.F) {
	for _, file := range readFiles(f, ".") {
		f.Add(file.Data)
	}
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

func FuzzParseOrg(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseOrg("org.yaml", data)
		checkBatch(t, b, err)
	})
}

func FuzzParseBackstage(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBackstage([]File{{Name: "a.yaml", Data: data}})
		checkBatch(t, b, err)
		// The same file twice: every definition is replaced once.
		b, err = ParseBackstage([]File{{Name: "a.yaml", Data: data}, {Name: "b.yaml", Data: data}})
		checkBatch(t, b, err)
	})
}
