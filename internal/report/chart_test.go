package report

import (
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// twelveWeeks is a quarter of incidents, with a quiet week and a busy one.
func twelveWeeks() []WeekCounts {
	counts := [][4]int{{0, 1, 3, 2}, {1, 0, 2, 4}, {0, 0, 0, 0}, {0, 2, 4, 1}, {2, 3, 5, 3}, {0, 1, 1, 2},
		{0, 0, 3, 5}, {1, 1, 2, 0}, {0, 2, 2, 2}, {0, 0, 1, 1}, {0, 1, 4, 3}, {1, 0, 2, 2}}
	weeks := make([]WeekCounts, len(counts))
	for i, c := range counts {
		weeks[i] = WeekCounts{Week: fmt.Sprintf("2026-W%02d", 37+i), BySeverity: c}
	}
	return weeks
}

func burnPoints() []BurnPoint {
	start := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)
	open := []int{18, 21, 24, 22, 25, 23, 19, 17, 16, 14, 12, 11, 9}
	late := []int{1, 1, 2, 3, 5, 6, 6, 4, 4, 3, 3, 2, 2}
	points := make([]BurnPoint, len(open))
	for i := range open {
		points[i] = BurnPoint{At: start.AddDate(0, 0, 7*i), Open: open[i], Overdue: late[i]}
	}
	return points
}

func ruleCounts() []RuleCount {
	return []RuleCount{{"A2", 31, 3}, {"A3", 6, 0}, {"A4", 9, 5}, {"A5", 4, 1}, {"A6", 3, 0}, {"A7", 2, 1}, {"none", 1, 1}}
}

func teamCounts() ([]string, []TeamCounts) {
	weeks := make([]string, 8)
	for i := range weeks {
		weeks[i] = fmt.Sprintf("2026-W%02d", 41+i)
	}
	return weeks, []TeamCounts{
		{"team:default/payments", []int{2, 3, 1, 4, 0, 2, 1, 3}},
		{"team:default/platform-infrastructure", []int{1, 0, 0, 2, 5, 1, 0, 0}},
		{"team:default/search", []int{0, 0, 1, 0, 0, 0, 1, 0}},
		{"team:default/identity", []int{0, 1, 0, 0, 1, 0, 0, 1}},
	}
}

func TestGolden(t *testing.T) {
	weeks, teams := teamCounts()
	hostile := `team:default/<script>alert("x")</script> & 'co'`
	tests := []struct {
		name  string
		chart Chart
	}{
		{"severity", SeverityChart("sev", twelveWeeks())},
		{"severity_empty", SeverityChart("sev", nil)},
		{"severity_one_week", SeverityChart("sev", []WeekCounts{{Week: "2026-W47", BySeverity: [4]int{1, 0, 0, 0}}})},
		{"severity_quiet", SeverityChart("sev", []WeekCounts{{Week: "2026-W46"}, {Week: "2026-W47"}})},
		{"burndown", BurndownChart("burn", burnPoints())},
		{"burndown_one_point", BurndownChart("burn", []BurnPoint{{At: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), Open: 4, Overdue: 1}})},
		{"rules", RuleChart("rules", ruleCounts())},
		{"rules_empty", RuleChart("rules", nil)},
		{"teams", TeamChart("teams", weeks, teams)},
		{"teams_hostile_names", TeamChart(`teams"><b>`, []string{"2026-W47"}, []TeamCounts{{Team: hostile, Counts: []int{3}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.chart.HTML())
			checkChart(t, tt.chart)
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s differs from %s (run with -update and review the diff):\n%s", tt.name, golden, diff)
			}
		})
	}
}

// TestDeterministic renders each chart twice: the same input gives the
// same bytes.
func TestDeterministic(t *testing.T) {
	weeks, teams := teamCounts()
	render := func() string {
		return string(SeverityChart("a", twelveWeeks()).HTML()) + string(BurndownChart("b", burnPoints()).HTML()) +
			string(RuleChart("c", ruleCounts()).HTML()) + string(TeamChart("d", weeks, teams).HTML())
	}
	if a, b := render(), render(); a != b {
		t.Error("two renderings of the same input differ")
	}
}

// TestHostileText: text from users never leaves its element.
func TestHostileText(t *testing.T) {
	evil := `</text><script>alert(1)</script><text x="`
	c := TeamChart("t", []string{evil}, []TeamCounts{{Team: evil, Counts: []int{1}}})
	r := RuleChart("r", []RuleCount{{Rule: evil, Decided: 2, Overridden: 1}})
	for _, out := range []string{string(c.HTML()), string(r.HTML())} {
		if strings.Contains(out, "<script") {
			t.Errorf("a user's <script> came through unescaped:\n%s", out)
		}
	}
	checkChart(t, c)
	checkChart(t, r)
}

// checkChart checks what every chart promises: the SVG and the figure are
// well-formed XML, the svg is an img labelled by its own title and desc,
// and every number in a geometry attribute is finite.
func checkChart(t *testing.T, c Chart) {
	t.Helper()
	if err := wellFormed(string(c.HTML())); err != nil {
		t.Fatalf("the figure is not well-formed: %v\n%s", err, c.HTML())
	}
	ids := map[string]bool{}
	var root *xml.StartElement
	d := xml.NewDecoder(strings.NewReader(string(c.SVG)))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed: %v\n%s", err, c.SVG)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == nil {
			root = &el
		}
		for _, a := range el.Attr {
			if a.Name.Local == "id" {
				ids[a.Value] = true
			}
			if err := finite(a.Name.Local, a.Value); err != nil {
				t.Errorf("<%s %s=%q>: %v", el.Name.Local, a.Name.Local, a.Value, err)
			}
		}
	}
	if root == nil || root.Name.Local != "svg" {
		t.Fatalf("the SVG has no <svg> root")
	}
	if attr(root, "role") != "img" {
		t.Errorf("<svg> has role %q, want img", attr(root, "role"))
	}
	for _, id := range strings.Fields(attr(root, "aria-labelledby")) {
		if !ids[id] {
			t.Errorf("aria-labelledby names %q, which is not in the SVG", id)
		}
	}
	if len(strings.Fields(attr(root, "aria-labelledby"))) != 2 {
		t.Errorf("aria-labelledby = %q, want the title and the desc", attr(root, "aria-labelledby"))
	}
}

func attr(el *xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// geometry are the attributes that hold numbers.
var geometry = map[string]bool{"x": true, "y": true, "width": true, "height": true, "x1": true, "y1": true,
	"x2": true, "y2": true, "cx": true, "cy": true, "r": true, "points": true, "viewBox": true, "transform": true}

func finite(name, value string) error {
	if !geometry[name] {
		return nil
	}
	if name == "transform" {
		value = strings.TrimSuffix(strings.TrimPrefix(value, "rotate("), ")")
	}
	for _, f := range strings.FieldsFunc(value, func(r rune) bool { return r == ' ' || r == ',' }) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return err
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("not finite")
		}
	}
	return nil
}

func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
