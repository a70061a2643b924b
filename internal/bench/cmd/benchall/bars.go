package main

import (
	"fmt"
	"slices"
	"strings"
)

// bar is one quality bar of PRODUCT.md section 9 and the benchmark that
// measures it. pattern and prefix hold {engine}: the -bench expression, and
// what the result lines' names start with.
type bar struct {
	name            string
	pattern, prefix string
	// engines limits the engines; nil is every one available.
	engines []string
	// flags and benchtime are by size.
	flags     map[string][]string
	benchtime map[string]string
	measures  []measure
}

// measure is one row: a value read from the results, the floor it is set
// beside (none when its unit is empty), and whether the pair meets the
// target (no verdict when meets is nil).
type measure struct {
	label        string
	value, floor ref
	target       string
	meets        func(value, floor float64) bool
	// judged names the only engine the target is set for (PRODUCT.md
	// says "SQLite" for ingest); on the others the figure is reported
	// beside it with no verdict. Empty judges every engine.
	judged string
	// format writes one figure for the table.
	format func(float64) string
}

// ref names a metric: the result line's name below the prefix, and the
// unit it is printed with.
type ref struct{ name, unit string }

func (m measure) show(xs []float64) string {
	f := m.format
	if f == nil {
		f = func(v float64) string { return fmt.Sprintf("%.3g", v) }
	}
	if len(xs) == 1 {
		return f(xs[0])
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	return fmt.Sprintf("%s (%s–%s)", f(median(xs)), f(lo), f(hi))
}

func (b bar) expand(s, engine string) string { return strings.ReplaceAll(s, "{engine}", engine) }

// Formats.
var (
	msFromNS = func(v float64) string { return fmt.Sprintf("%.2f ms", v/1e6) }
	ms       = func(v float64) string { return fmt.Sprintf("%.1f ms", v) }
	perSec   = func(unit string) func(float64) string {
		return func(v float64) string { return fmt.Sprintf("%s %s", thousands(v), unit) }
	}
	mb = func(v float64) string { return fmt.Sprintf("%.0f MB", v) }
)

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// sizes say what each size is. The part of each that is auditData's is
// left out of a sitting that did not run the audit bar.
var sizes = map[string]string{
	"small": "small: a smoke run (3,000 incidents over the full org for the review and API reads; an org of 1,000 people, 200 teams and 5,000 entities for attribution; 3,000 incidents for recurrence; 20,000 audit events; 5,000 alerts); figures are not the bars'",
	"large": "large: PRODUCT.md §9 (10,000 people, 2,000 teams, 50,000 entities; 1M incidents, 5M follow-ups, 20M timeline entries; audit verify over a chain of 1M events)",
}

// auditBar is the audit bar's name, and auditData the part of each size's
// description that only it reads.
const auditBar = "audit verify"

var auditData = map[string]string{"small": "; 20,000 audit events", "large": "; audit verify over a chain of 1M events"}

var smallOrg = []string{"-org.people", "1000", "-org.teams", "200", "-org.entities", "5000", "-org.incidents", "200"}

var bars = []bar{
	{
		name:    "attribution suggestion, whole call",
		pattern: "^BenchmarkAttribution$/^app$/^{engine}$", prefix: "BenchmarkAttribution/app/{engine}",
		flags:     map[string][]string{"small": smallOrg},
		benchtime: map[string]string{"small": "200x", "large": "2s"},
		measures: []measure{{
			value: ref{"attribution", "ns/op"}, floor: ref{"floor", "ns/op"}, target: "≤ 1 ms",
			meets: func(v, _ float64) bool { return v <= 1e6 }, format: msFromNS,
		}},
	},
	{
		name:    "API reads, 64 connections",
		pattern: "^BenchmarkAPIRead64$/^{engine}$", prefix: "BenchmarkAPIRead64/{engine}",
		flags:     map[string][]string{"small": {"-size", "small", "-load.requests", "500"}, "large": {"-size", "large"}},
		benchtime: map[string]string{"small": "1x", "large": "5x"},
		measures: []measure{
			{label: "throughput", value: ref{"", "app-req/s"}, floor: ref{"", "floor-req/s"}, target: "≥ 0.5 × floor",
				meets: func(v, f float64) bool { return f > 0 && v/f >= 0.5 }, format: perSec("req/s")},
			{label: "p99", value: ref{"", "app-p99-ms"}, floor: ref{"", "floor-p99-ms"}, target: "≤ 2 × floor's p99",
				meets: func(v, f float64) bool { return f > 0 && v/f <= 2 }, format: ms},
			{label: "peak RSS", value: ref{"", "app-peak-rss-MB"}, floor: ref{"", "floor-peak-rss-MB"}, target: "≤ 200 MB",
				meets: func(v, _ float64) bool { return v <= 200 }, format: mb},
		},
	},
	{
		name:    "API reads, several servers on one database",
		pattern: "^BenchmarkAPIReadInstances$/^postgres$", prefix: "BenchmarkAPIReadInstances/postgres",
		engines:   []string{"postgres"},
		flags:     map[string][]string{"small": {"-size", "small", "-load.requests", "500"}, "large": {"-size", "large"}},
		benchtime: map[string]string{"small": "1x", "large": "5x"},
		measures: []measure{
			{label: "1 server", value: ref{"1", "req/s"}, target: "(the base)", format: perSec("req/s")},
			{label: "2 servers", value: ref{"2", "req/s"}, floor: ref{"1", "req/s"}, target: "close to 2 × one (on 2 cores, the machine is the ceiling)", format: perSec("req/s")},
			{label: "3 servers", value: ref{"3", "req/s"}, floor: ref{"1", "req/s"}, target: "close to 3 × one (on 2 cores, the machine is the ceiling)", format: perSec("req/s")},
			{label: "busiest server's CPU, 3 servers", value: ref{"3", "max-cpu-%"}, target: "(one core is 100%)", format: func(v float64) string { return fmt.Sprintf("%.0f%%", v) }},
			{label: "failed background jobs, 3 servers", value: ref{"3", "job-failures"}, target: "none",
				meets: func(v, _ float64) bool { return v == 0 }, format: func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		},
	},
	{
		name:    "weekly review",
		pattern: "^BenchmarkWeeklyReview$/^{engine}$/^alternated$", prefix: "BenchmarkWeeklyReview/{engine}",
		flags:     map[string][]string{"small": {"-size", "small"}, "large": {"-size", "large"}},
		benchtime: map[string]string{"small": "5x", "large": "20x"},
		measures: []measure{{
			label: "median of the iterations",
			value: ref{"alternated", "review-median-ms"}, floor: ref{"alternated", "floor-median-ms"}, target: "≤ 200 ms and ≤ 2 × floor",
			meets: func(v, f float64) bool { return v <= 200 && f > 0 && v/f <= 2 }, format: ms,
		}},
	},
	{
		name:    "recurrence candidates",
		pattern: "^BenchmarkRecurrence$/^{engine}$/^(app|floor)$", prefix: "BenchmarkRecurrence/{engine}",
		flags: map[string][]string{
			"small": {"-recurrence.incidents", "3000", "-recurrence.lookups", "50"},
			"large": {"-recurrence.incidents", "1000000"},
		},
		benchtime: map[string]string{"small": "1x", "large": "1x"},
		measures: []measure{{
			label: "p99", value: ref{"app", "p99-ms"}, floor: ref{"floor", "p99-ms"}, target: "≤ 20 ms p99",
			meets: func(v, _ float64) bool { return v <= 20 }, format: ms,
		}},
	},
	{
		name:    auditBar,
		pattern: "^BenchmarkAuditVerify$/^{engine}$/^(verify|floor-all-par)$", prefix: "BenchmarkAuditVerify/{engine}",
		flags:     map[string][]string{"small": {"-audit.events", "20000"}, "large": {"-audit.events", "1000000"}},
		benchtime: map[string]string{"small": "2x", "large": "3x"},
		measures: []measure{{
			label: "the chain and every row it vouches for",
			value: ref{"verify", "events/s"}, floor: ref{"floor-all-par", "events/s"}, target: "≥ 1,000,000 events/s",
			meets: func(v, _ float64) bool { return v >= 1e6 }, format: perSec("events/s"),
		}},
	},
	{
		name:    "alert ingest via /hooks/alertmanager",
		pattern: "^BenchmarkAlertIngest$/^{engine}$", prefix: "BenchmarkAlertIngest/{engine}",
		flags:     map[string][]string{"small": {"-ingest.alerts", "5000"}},
		benchtime: map[string]string{"small": "1x", "large": "1x"},
		measures: []measure{{
			value: ref{"", "app-alerts/s"}, floor: ref{"", "floor-alerts/s"}, target: "≥ 20,000 alerts/s and ≥ 0.4 × floor", judged: "sqlite",
			meets: func(v, f float64) bool { return v >= 20000 && f > 0 && v/f >= 0.4 }, format: perSec("alerts/s"),
		}},
	},
}
