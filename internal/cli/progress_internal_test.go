package cli

import (
	"bytes"
	"testing"
)

func TestProgressBar(t *testing.T) {
	tests := []struct {
		done, total int
		want        string
	}{
		{0, 10, "reading [------------------------] 0/10 (0%)"},
		{5, 10, "reading [############------------] 5/10 (50%)"},
		{10, 10, "reading [########################] 10/10 (100%)"},
		{12, 10, "reading [########################] 10/10 (100%)"},
	}
	for _, tt := range tests {
		if got := progressBar("reading", tt.done, tt.total); got != tt.want {
			t.Errorf("progressBar(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
}

// TestProgressPlain: away from a terminal, a line at each tenth of the way,
// even as the total grows.
func TestProgressPlain(t *testing.T) {
	var out bytes.Buffer
	report := progress(env{stderr: &out}, "reading")
	for i := 1; i <= 20; i++ {
		report(i, 20)
	}
	report(21, 25) // found more: 84%
	report(25, 25)
	want := "reading: 2/20 (10%)\nreading: 4/20 (20%)\nreading: 6/20 (30%)\nreading: 8/20 (40%)\nreading: 10/20 (50%)\n" +
		"reading: 12/20 (60%)\nreading: 14/20 (70%)\nreading: 16/20 (80%)\nreading: 18/20 (90%)\nreading: 20/20 (100%)\n" +
		"reading: 21/25 (84%)\nreading: 25/25 (100%)\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
