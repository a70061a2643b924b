package importer

import (
	"errors"
	"testing"

	"go.yaml.in/yaml/v3"

	"blameful.dev/blameful/internal/errs"
)

func TestSyntaxProblemLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{name: "bad indentation, a parser error", in: "a: 1\nb:\n  c: 1\n d: 2\n", want: 4},
		{name: "list item after a mapping", in: "- a\nb: 1\n", want: 2},
		{name: "unclosed flow list points at its start", in: "a: 1\nb: [x\nc: 2\n", want: 2},
		{name: "scanner error", in: "x: 1\na: b: c\n", want: 2},
		{name: "tab indentation", in: "x: 1\n\ty: 2\n", want: 2},
		{name: "scanner error on line 1 has no line", in: "a: b: c\n", want: 0},
		{name: "parser error on line 1 has no line either", in: "[a, b}\n", want: 1},
		{name: "unclosed at the end of the file", in: "[a\n", want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tt.in), &n)
			if err == nil {
				t.Fatal("no error")
			}
			if got := syntaxProblem("f.yaml", err); got.line != tt.want {
				t.Errorf("line = %d, want %d (%v)", got.line, tt.want, err)
			}
		})
	}
}

func TestProblemsError(t *testing.T) {
	if err := problemsError(nil); err != nil {
		t.Errorf("problemsError(nil) = %v, want nil", err)
	}
	err := problemsError([]problem{{file: "f.yaml", msg: "unknown"}})
	if got, want := err.Error(), "f.yaml: unknown"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if !errors.Is(err, errs.Invalid) {
		t.Errorf("error %v is not Invalid", err)
	}
}
