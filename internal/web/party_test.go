package web

import (
	"encoding/json"
	"testing"

	"blameful.dev/blameful/internal/errs"
)

// FuzzSingleParty: whatever arrives as "party", the reader either returns
// exactly one person or team, or refuses with an Invalid error.
func FuzzSingleParty(f *testing.F) {
	for _, s := range []string{`"group:payments"`, `["a","b"]`, `"user:ada and user:bob"`, `null`, `{}`, `"x, y"`, `42`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		ref, err := singleParty(attributionRequest{Party: json.RawMessage(raw)})
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("%s: %v is not Invalid", raw, err)
			}
			return
		}
		if !ref.IsPerson() && !ref.IsTeam() {
			t.Fatalf("%s gave %q, which is neither a person nor a team", raw, ref)
		}
	})
}
