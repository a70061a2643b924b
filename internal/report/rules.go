package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/rule"
)

// RuleCount is how the suggestions of one attribution rule fared with the
// reviewers: how many were decided, and how many of those the reviewer
// overrode with a justification (A8). Many overrides of one rule point at
// the catalog or the rule being wrong, not at the reviewers.
type RuleCount struct {
	// Rule is the suggested rule ("A2"), or "none" when the engine could
	// suggest no party.
	Rule       string
	Decided    int
	Overridden int
}

// CountRules groups decisions by the rule of their suggestion, sorted by
// rule. Pass the decisions in force (not the superseded ones) for the
// period the chart covers.
func CountRules(decisions []blame.Decision) []RuleCount {
	var counts []RuleCount
	for _, d := range decisions {
		r := string(d.Suggested.Rule)
		if r == "" {
			r = "none"
		}
		i := slices.IndexFunc(counts, func(c RuleCount) bool { return c.Rule == r })
		if i < 0 {
			counts = append(counts, RuleCount{Rule: r})
			i = len(counts) - 1
		}
		counts[i].Decided++
		if d.IsOverride() {
			counts[i].Overridden++
		}
	}
	slices.SortFunc(counts, func(a, b RuleCount) int { return cmp.Compare(a.Rule, b.Rule) })
	return counts
}

// RuleChart draws one horizontal bar per rule, in the order given: its
// decided suggestions, split into those accepted and those overridden,
// labelled with the share overridden. id must be unique on the page.
func RuleChart(id string, rules []RuleCount) Chart {
	id = safeID(id, "rules")
	const title = "Attributions by rule, and how often reviewers overrode them"
	const rowHeight = 28
	left, right, top := 140.0, float64(width-190), float64(plotTop)
	bottom := top + float64(max(len(rules), 1)*rowHeight)
	height := bottom + 48

	peak := 0.0
	for _, r := range rules {
		peak = max(peak, float64(max(r.Decided, 0)))
	}
	a := niceAxis(peak, maxTicks)
	desc := rulesDesc(rules)

	s := &svg{}
	begin(s, id, title, desc, height)
	legend(s, left, []legendItem{{"accepted", "Accepted"}, {"overridden", "Overridden (" + rule.A8 + ")"}})
	s.open("g", "class", "x-axis")
	for _, v := range a.ticks() {
		x := left + a.frac(v)*(right-left)
		if v > 0 {
			s.line(x, top, x, bottom, "grid")
		}
		s.line(x, bottom, x, bottom+4, "axis")
		s.text(x, bottom+16, "tick", "middle", count(v))
	}
	s.line(left, bottom, right, bottom, "axis")
	s.close("g")
	s.text((left+right)/2, bottom+36, "label", "middle", "Suggestions decided")

	s.open("g", "class", "bars")
	for i, r := range rules {
		decided, over := ruleParts(r)
		y := top + float64(i*rowHeight)
		s.text(left-8, y+rowHeight/2+4, "tick", "end", clip(r.Rule, 18))
		wAcc := a.frac(float64(decided-over)) * (right - left)
		wOver := a.frac(float64(over)) * (right - left)
		if wAcc > 0 {
			s.rect(left, y+5, wAcc, rowHeight-10, "accepted", fmt.Sprintf("%s accepted: %d", r.Rule, decided-over))
		}
		if wOver > 0 {
			s.rect(left+wAcc, y+5, wOver, rowHeight-10, "overridden", fmt.Sprintf("%s overridden: %d", r.Rule, over))
		}
		s.text(left+wAcc+wOver+6, y+rowHeight/2+4, "value", "start",
			fmt.Sprintf("%s overridden (%d of %d)", percent(over, decided), over, decided))
	}
	s.close("g")
	s.line(left, top, left, bottom, "axis")
	if len(rules) == 0 {
		s.text((left+right)/2, top+rowHeight/2+4, "empty", "middle", "No decisions to show")
	}

	t := Table{Columns: []string{"Rule", "Decided", "Accepted", "Overridden", "Share overridden"}}
	for _, r := range rules {
		decided, over := ruleParts(r)
		t.Rows = append(t.Rows, []string{r.Rule, strconv.Itoa(decided), strconv.Itoa(decided - over),
			strconv.Itoa(over), percent(over, decided)})
	}
	return finish(s, id, title, desc, t)
}

// ruleParts returns the decided and overridden counts made consistent:
// neither negative, and no more overridden than decided.
func ruleParts(r RuleCount) (decided, overridden int) {
	decided = max(r.Decided, 0)
	return decided, min(max(r.Overridden, 0), decided)
}

func rulesDesc(rules []RuleCount) string {
	if len(rules) == 0 {
		return "No decisions to show."
	}
	total, over, worst := 0, 0, -1
	worstShare, worstOver := 0.0, 0
	for i, r := range rules {
		d, o := ruleParts(r)
		total += d
		over += o
		// The most overridden rule by share; a tie goes to the one with more.
		if o > 0 && (share(o, d) > worstShare || share(o, d) == worstShare && o > worstOver) {
			worst, worstShare, worstOver = i, share(o, d), o
		}
	}
	desc := fmt.Sprintf("Decided attributions by the rule the engine suggested: %d in all across %d rules, %d of them overridden by the reviewer (%s, %s).",
		total, len(rules), over, rule.A8, percent(over, total))
	if worst >= 0 {
		d, o := ruleParts(rules[worst])
		desc += fmt.Sprintf(" Most often overridden: %s, %d of %d (%s).", rules[worst].Rule, o, d, percent(o, d))
	}
	return desc
}

func share(part, whole int) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}
