package freetext

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		s    string
		kind Kind
		ok   bool
	}{
		{"plain", "Checkout down", Line, true},
		{"accents and emoji", "Café ☕ 🚀", Line, true},
		{"tab", "a\tb", Line, true},
		{"newline in a body", "one\ntwo\r\nthree", Body, true},
		{"newline in a line", "one\ntwo", Line, false},
		{"NUL", "a\x00b", Body, false},
		{"escape", "\x1b[31m", Body, false},
		{"DEL", "a\x7fb", Line, false},
		{"C1", "a\u0085b", Body, false},
		{"invalid UTF-8", "a\xffb", Line, false},
		{"a real U+FFFD", "a\uFFFDb", Line, true},
		{"at the limit", strings.Repeat("é", Line.Max), Line, true},
		{"over the limit", strings.Repeat("é", Line.Max+1), Line, false},
		{"empty", "", Word, true},
	}
	for _, tt := range tests {
		if msg := Check(tt.s, tt.kind); (msg == "") != tt.ok {
			t.Errorf("%s: Check = %q, want ok %v", tt.name, msg, tt.ok)
		}
	}
}

func TestKindsAreNamedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds {
		if seen[k.Name] {
			t.Errorf("kind %s twice", k.Name)
		}
		seen[k.Name] = true
		if got, ok := ByName(k.Name); !ok || got != k {
			t.Errorf("ByName(%s) = %v %v", k.Name, got, ok)
		}
	}
}
