package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/errs"
)

func TestDecodeIsStrict(t *testing.T) {
	type item struct {
		Ref string `json:"ref" text:"ref"`
	}
	type body struct {
		Title   string  `json:"title" text:"line"`
		Summary *string `json:"summary" text:"body"`
		Level   *int    `json:"level"`
		Items   []item  `json:"items"`
	}
	deep := strings.Repeat(`{"items":[`, 20) + strings.Repeat(`]}`, 20)
	tests := []struct {
		name   string
		body   string
		status int
		field  string // the field the error names, if any
	}{
		{"good", `{"title": "Checkout down", "summary": "line one\nline two\ttabbed", "items": [{"ref": "component:x"}]}`, 0, ""},
		{"escaped non-BMP character", `{"title": "\ud83d\ude80 launch"}`, 0, ""},
		{"NUL", `{"title": "a\u0000b"}`, 422, "title"},
		{"escape sequence", `{"title": "\u001b[31mred"}`, 422, "title"},
		{"C1 control", `{"title": "a\u0085b"}`, 422, "title"},
		{"newline in a one-line field", `{"title": "a\nb"}`, 422, "title"},
		{"invalid UTF-8", "{\"title\": \"a\xffb\"}", 422, "title"},
		{"lone high surrogate", `{"title": "a\ud800b"}`, 422, "title"},
		{"lone low surrogate", `{"title": "\udc00"}`, 422, "title"},
		{"high surrogate at the end", `{"title": "a\ud83d"}`, 422, "title"},
		{"too long", `{"title": "` + strings.Repeat("é", 301) + `"}`, 422, "title"},
		{"just long enough", `{"title": "` + strings.Repeat("é", 300) + `"}`, 0, ""},
		{"nested field", `{"items": [{"ref": "a"}, {"ref": "b\u0000"}]}`, 422, "items[1].ref"},
		{"differently cased key", `{"TITLE": "x"}`, 422, "TITLE"},
		{"duplicate key", `{"title": "x", "title": "y"}`, 422, "title"},
		{"unknown key", `{"colour": "red"}`, 422, "colour"},
		{"wrong type", `{"level": "two"}`, 422, "level"},
		{"number too big", `{"level": 1e400}`, 422, "level"},
		{"deep nesting", deep, 400, ""},
		{"deep nesting of an unknown key", `{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, 400, ""},
		{"not an object", `[1, 2]`, 400, ""},
		{"two values", `{} {}`, 400, ""},
		{"trailing garbage", `{}x`, 400, ""},
		{"cut short", `{"title": "x"`, 400, ""},
		{"empty", ``, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			_, err := decode[body](r, httptest.NewRecorder())
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok {
				t.Fatalf("got %v, want an errs error with status %d", err, tt.status)
			}
			if got := statusOf(e); got != tt.status {
				t.Fatalf("status %d, want %d: %v", got, tt.status, err)
			}
			if _, named := e.Fields[tt.field]; tt.field != "" && !named {
				t.Errorf("fields %v do not name %q", e.Fields, tt.field)
			}
		})
	}
}
