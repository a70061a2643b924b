// Package report turns counts into the pictures of the weekly review and
// the dashboard: server-rendered SVG charts that need no script to read,
// each with the same numbers as a table.
//
// There are four charts, each a function from plain inputs to a Chart:
//
//   - SeverityChart: incidents per ISO week, stacked by severity (SEV1, the
//     worst, at the bottom and first in the legend);
//   - BurndownChart: open follow-ups over time, and how many were overdue;
//   - RuleChart: decided attributions by the rule the engine suggested, and
//     the share the reviewer overrode (A8), which shows where the catalog
//     or a rule is wrong;
//   - TeamChart: small multiples of incidents per week, one per team, on a
//     shared scale.
//
// The inputs are simple types (WeekCounts, BurnPoint, RuleCount,
// TeamCounts) that the web layer fills; CountWeeks, Burndown, CountRules
// and TeamWeeks build them from domain values when that is convenient.
// Like every domain package, report does no I/O and never reads the clock:
// the moment a chart describes arrives as an argument.
//
// Invariants: the output is the same bytes for the same input (numbers
// are formatted to two decimals at most, slices are drawn in the order
// given, nothing iterates a map); every text, including team names and
// entity refs that users typed, is escaped, so the SVG is well-formed XML
// and safe in a page; coordinates are always finite.
//
// Charts come back as template.HTML, ready for html/template: report
// escapes every text itself, and html/template is pure standard library,
// so a domain package may use it.
//
// Accessibility: each <svg> has role="img" and is labelled by its <title>
// and described by its <desc>, which summarises the data in words; the
// axes are labelled and ticked, and a legend names every colour. Colours
// come from CSS custom properties (see Style), switched for dark mode with
// prefers-color-scheme, and the SVG carries light fallbacks for use on its
// own. The palette is colour-blind safe, and lines differ in dash and
// marker too.
//
// A page handler might use it like this:
//
//	weeks := report.CountWeeks(occurrences, now, 12)
//	data.Severity = report.SeverityChart("sev-by-week", weeks)
//
// with report.Style served once as a static stylesheet (or appended to the
// site's own), and in the template:
//
//	{{.Severity.HTML}}  <!-- a <figure>: the SVG, then the table in <details> -->
//
// or, to lay the parts out itself, {{.Severity.SVG}} and
// {{.Severity.Table.HTML}} (or range over Table.Rows). Give every chart on
// a page a different id: the ids of its title and description derive
// from it.
package report
