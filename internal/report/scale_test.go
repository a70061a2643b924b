package report

import (
	"math"
	"testing"
)

func TestNiceAxis(t *testing.T) {
	tests := []struct {
		name      string
		max       float64
		want      int
		top, step float64
	}{
		{"zero data", 0, 5, 1, 1},
		{"negative data", -3, 5, 1, 1},
		{"NaN", math.NaN(), 5, 1, 1},
		{"one incident", 1, 5, 1, 1},
		{"small counts keep whole steps", 3, 5, 3, 1},
		{"seven", 7, 5, 8, 2},
		{"ten on the nose", 10, 5, 10, 2},
		{"just over ten", 11, 5, 15, 5},
		{"ninety-seven in four", 97, 4, 100, 50},
		{"a hundred", 100, 5, 100, 20},
		{"a power of ten", 1000, 5, 1000, 200},
		{"one step wanted", 6, 1, 10, 10},
		{"no steps wanted is one", 6, 0, 10, 10},
		{"huge", float64(math.MaxInt64), 5, 1e19, 2e18},
		{"four times MaxInt64", 4 * float64(math.MaxInt64), 5, 4e19, 1e19},
		{"beyond float sense", math.Inf(1), 5, 1e300, 2e299},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := niceAxis(tt.max, tt.want)
			if !near(a.Top, tt.top) || !near(a.Step, tt.step) {
				t.Errorf("niceAxis(%v, %d) = top %v step %v, want top %v step %v", tt.max, tt.want, a.Top, a.Step, tt.top, tt.step)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// TestNiceAxisProperties checks, over many maxima, that the axis holds the
// data, has few steps of a nice size, and ends on a tick.
func TestNiceAxisProperties(t *testing.T) {
	for _, want := range []int{1, 2, 4, 5, 8} {
		for _, m := range []float64{0.5, 1, 2, 3, 9, 10, 12, 19, 20, 21, 49, 50, 51, 99, 101, 999, 1001, 12345, 7e6, 3.3e12, 9.2e18} {
			a := niceAxis(m, want)
			ticks := a.ticks()
			if a.Top < m {
				t.Errorf("niceAxis(%v, %d): top %v is below the data", m, want, a.Top)
			}
			if len(ticks) > want+1 || len(ticks) < 2 {
				t.Errorf("niceAxis(%v, %d): %d ticks", m, want, len(ticks))
			}
			if !near(ticks[len(ticks)-1], a.Top) || ticks[0] != 0 {
				t.Errorf("niceAxis(%v, %d): ticks %v do not run from 0 to top %v", m, want, ticks, a.Top)
			}
			mant := a.Step / math.Pow(10, math.Floor(math.Log10(a.Step)+1e-12))
			if !near(mant, 1) && !near(mant, 2) && !near(mant, 5) {
				t.Errorf("niceAxis(%v, %d): step %v is not 1, 2 or 5 times a power of ten", m, want, a.Step)
			}
			if a.Step < 1 {
				t.Errorf("niceAxis(%v, %d): step %v is below 1, but the data are counts", m, want, a.Step)
			}
		}
	}
}

func TestFrac(t *testing.T) {
	a := axis{Top: 10, Step: 2}
	for _, tt := range []struct{ v, want float64 }{{0, 0}, {5, 0.5}, {10, 1}, {11, 1}, {-1, 0}, {math.NaN(), 0}, {math.Inf(1), 1}} {
		if got := a.frac(tt.v); got != tt.want {
			t.Errorf("frac(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
	if got := (axis{}).frac(5); got != 0 {
		t.Errorf("a zero axis places 5 at %v, want 0", got)
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{0, "0"}, {1, "1"}, {9999, "9999"}, {10000, "10k"}, {12500, "12.5k"}, {2e6, "2M"}, {2.5e9, "2.5B"},
		{4e12, "4T"}, {1e19, "1e+19"}} {
		if got := count(tt.v); got != tt.want {
			t.Errorf("count(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestNum(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{{0, "0"}, {math.Copysign(0, -1), "0"}, {-0.001, "0"}, {1.5, "1.5"}, {2.0 / 3, "0.67"}, {123456, "123456"},
		{math.NaN(), "0"}, {math.Inf(1), "0"}, {math.Inf(-1), "0"}} {
		if got := num(tt.f); got != tt.want {
			t.Errorf("num(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tt := range []struct {
		part, whole int
		want        string
	}{{0, 0, "0%"}, {1, 3, "33%"}, {2, 3, "67%"}, {5, 5, "100%"}, {1, 200, "1%"}, {1, 201, "0%"}} {
		if got := percent(tt.part, tt.whole); got != tt.want {
			t.Errorf("percent(%d, %d) = %q, want %q", tt.part, tt.whole, got, tt.want)
		}
	}
}

func TestEsc(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`team:default/a&b`, `team:default/a&amp;b`},
		{`<script>alert("x")</script>`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`},
		{"it's", "it&#39;s"},
		{"tab\tnew\nline", "tab new line"},
		{"nul\x00bell\x07", "nul\uFFFDbell\uFFFD"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"\uFFFE", "\uFFFD"},
		{"ok ünïcödé 😀", "ok ünïcödé 😀"},
	} {
		if got := esc(tt.in); got != tt.want {
			t.Errorf("esc(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSpread(t *testing.T) {
	for _, tt := range []struct {
		n, k int
		want []int
	}{{0, 6, nil}, {1, 6, []int{0}}, {3, 6, []int{0, 1, 2}}, {12, 6, []int{0, 2, 4, 7, 9, 11}}, {90, 3, []int{0, 45, 89}}} {
		got := spread(tt.n, tt.k)
		if len(got) != len(tt.want) {
			t.Errorf("spread(%d, %d) = %v, want %v", tt.n, tt.k, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("spread(%d, %d) = %v, want %v", tt.n, tt.k, got, tt.want)
				break
			}
		}
	}
}

func TestClipAndID(t *testing.T) {
	if got := clip("team:default/platform-infrastructure", 20); got != "team:default/platfo…" {
		t.Errorf("clip = %q", got)
	}
	if got := clip("short", 20); got != "short" {
		t.Errorf("clip = %q", got)
	}
	if got := safeID(`sev"><script>`, "x"); got != "sevscript" {
		t.Errorf("safeID = %q", got)
	}
	if got := safeID("", "severity"); got != "severity" {
		t.Errorf("safeID of nothing = %q", got)
	}
}
