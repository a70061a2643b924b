package app

import (
	"context"
	"strings"
	"testing"
)

// TestAccountPasswordHash: a hash verifies its password only, carries its
// parameters, and a hash with parameters far from ours matches nothing.
func TestAccountPasswordHash(t *testing.T) {
	h := newHasher()
	ctx := context.Background()
	enc, err := h.hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("encoded hash %q", enc)
	}
	if again, _ := h.hash(ctx, "correct horse battery staple"); again == enc {
		t.Error("two hashes of one password are equal: no fresh salt")
	}
	for _, tc := range []struct {
		name, encoded, password string
		want                    bool
	}{
		{"right password", enc, "correct horse battery staple", true},
		{"wrong password", enc, "correct horse battery stapl", false},
		{"no hash (no account)", "", "correct horse battery staple", false},
		{"malformed", "$argon2id$v=19$nonsense", "x", false},
		{"a gigabyte asked", strings.Replace(enc, "m=19456", "m=1048576", 1), "correct horse battery staple", false},
		{"argon2i, not id", strings.Replace(enc, "argon2id", "argon2i", 1), "correct horse battery staple", false},
	} {
		got, err := h.verify(ctx, tc.encoded, tc.password)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	for pw, ok := range map[string]bool{"elevenchars": false, "twelve chars": true, strings.Repeat("é", 256): true, strings.Repeat("x", 257): false} {
		if err := checkPassword(pw); (err == nil) != ok {
			t.Errorf("password of %d characters: %v", len([]rune(pw)), err)
		}
	}
}
