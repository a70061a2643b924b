package report

import (
	"html/template"
	"strings"
)

// Chart is one rendered chart: the SVG picture and the same numbers as a
// table, for screen readers, for copying and for print.
type Chart struct {
	// ID prefixes the ids inside the SVG (the title's and description's),
	// so several charts can share a page; give each a different one.
	ID    string
	Title string
	// Desc summarises the data in a sentence or two; it is the SVG's
	// accessible description.
	Desc string
	// SVG is a complete <svg> element. Every text in it is escaped, so it
	// is safe to place in a page as it is.
	SVG   template.HTML
	Table Table
}

// HTML returns the chart as a <figure>: the SVG, then the data table in a
// <details> element that is closed until asked for.
func (c Chart) HTML() template.HTML {
	var b strings.Builder
	b.WriteString(`<figure class="chart-figure" id="` + esc(c.ID) + `">`)
	b.WriteString(string(c.SVG))
	b.WriteString(`<details class="chart-data"><summary>Data table: ` + esc(c.Title) + `</summary>`)
	b.WriteString(string(c.Table.HTML()))
	b.WriteString(`</details></figure>`)
	return template.HTML(b.String())
}

// Table is the data behind a chart. Every cell is already a string, in
// display form; the first column names the row.
type Table struct {
	Caption string
	Columns []string
	Rows    [][]string
}

// HTML returns the table as an HTML <table> with a caption, column headers
// and row headers, every cell escaped.
func (t Table) HTML() template.HTML {
	var b strings.Builder
	b.WriteString(`<table class="chart-table"><caption>` + esc(t.Caption) + `</caption><thead><tr>`)
	for _, c := range t.Columns {
		b.WriteString(`<th scope="col">` + esc(c) + `</th>`)
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, row := range t.Rows {
		b.WriteString(`<tr>`)
		for i, cell := range row {
			if i == 0 {
				b.WriteString(`<th scope="row">` + esc(cell) + `</th>`)
				continue
			}
			b.WriteString(`<td>` + esc(cell) + `</td>`)
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table>`)
	return template.HTML(b.String())
}

// Style is the stylesheet for the charts. The colours are CSS custom
// properties, switched for dark mode by prefers-color-scheme; a page may
// redefine them (for a theme toggle, say) after including this. The SVG
// also carries the light colours as presentation attributes, which any
// stylesheet rule overrides, so a chart shown on its own still reads.
//
// The series colours come from the Okabe–Ito palette, chosen to stay
// distinct under the common forms of colour blindness; the lines also
// differ in dash and marker, and the tables carry every number.
const Style = `:root {
  --chart-text: #1f2328; --chart-axis: #57606a; --chart-grid: #d8dee4; --chart-bg: #ffffff;
  --chart-sev1: #d55e00; --chart-sev2: #e69f00; --chart-sev3: #56b4e9; --chart-sev4: #0072b2;
  --chart-open: #0072b2; --chart-overdue: #d55e00;
  --chart-accepted: #56b4e9; --chart-overridden: #d55e00; --chart-team: #0072b2;
}
@media (prefers-color-scheme: dark) {
  :root {
    --chart-text: #e6edf3; --chart-axis: #9198a1; --chart-grid: #30363d; --chart-bg: #0d1117;
    --chart-sev1: #f0773a; --chart-sev2: #f2b540; --chart-sev3: #8fd0f5; --chart-sev4: #3d9be0;
    --chart-open: #5ab0f0; --chart-overdue: #f0773a;
    --chart-accepted: #8fd0f5; --chart-overridden: #f0773a; --chart-team: #5ab0f0;
  }
}
svg.chart { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg.chart .label, svg.chart .tick, svg.chart .legend, svg.chart .value, svg.chart .empty { fill: var(--chart-text); }
svg.chart .axis { stroke: var(--chart-axis); }
svg.chart .grid { stroke: var(--chart-grid); }
svg.chart .sev1 { fill: var(--chart-sev1); }
svg.chart .sev2 { fill: var(--chart-sev2); }
svg.chart .sev3 { fill: var(--chart-sev3); }
svg.chart .sev4 { fill: var(--chart-sev4); }
svg.chart rect.sev1, svg.chart rect.sev2, svg.chart rect.sev3, svg.chart rect.sev4 { stroke: var(--chart-bg); }
svg.chart .accepted { fill: var(--chart-accepted); }
svg.chart .overridden { fill: var(--chart-overridden); }
svg.chart .team { fill: var(--chart-team); }
svg.chart polyline.open { stroke: var(--chart-open); fill: none; }
svg.chart polyline.overdue { stroke: var(--chart-overdue); fill: none; }
svg.chart .marker.open { fill: var(--chart-open); }
svg.chart .marker.overdue { fill: var(--chart-overdue); }
.chart-table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.chart-table th, .chart-table td { padding: 0.2em 0.6em; text-align: right; }
.chart-table th[scope=row] { text-align: left; }
`

// fallback returns the light colour of a class, set as a presentation
// attribute for an SVG shown without Style. Any CSS rule overrides it.
func fallback(class string) string {
	switch class {
	case "label", "tick", "legend", "value", "empty":
		return "#1f2328"
	case "axis":
		return "#57606a"
	case "grid":
		return "#d8dee4"
	case "sev1", "overridden", "overdue":
		return "#d55e00"
	case "sev2":
		return "#e69f00"
	case "sev3", "accepted":
		return "#56b4e9"
	case "sev4", "team", "open":
		return "#0072b2"
	}
	return "#1f2328"
}

// Chart sizes, in SVG user units (pixels at 100%).
const (
	width      = 640
	fontWidth  = 7 // a rough average glyph width at 12px, for layout
	legendY    = 18
	plotTop    = 40
	marginLeft = 56
)

// begin opens the <svg> element with its accessible name and description.
func begin(s *svg, id, title, desc string, height float64) {
	s.open("svg", "xmlns", "http://www.w3.org/2000/svg", "class", "chart",
		"width", num(width), "height", num(height), "viewBox", "0 0 "+num(width)+" "+num(height),
		"role", "img", "aria-labelledby", id+"-title "+id+"-desc",
		"font-family", "system-ui, sans-serif", "font-size", "12")
	s.element("title", title, "id", id+"-title")
	s.element("desc", desc, "id", id+"-desc")
}

// finish closes the <svg> element and assembles the chart.
func finish(s *svg, id, title, desc string, t Table) Chart {
	s.close("svg")
	t.Caption = title
	return Chart{ID: id, Title: title, Desc: desc, SVG: template.HTML(s.String()), Table: t}
}

// legendItem is one entry of a legend: a swatch of a class and its name.
type legendItem struct {
	class, name string
}

// legend draws the items in a row from x along the top of the chart.
func legend(s *svg, x float64, items []legendItem) {
	s.open("g", "class", "legend-items")
	for _, it := range items {
		s.rect(x, legendY-10, 12, 12, it.class, it.name)
		s.text(x+16, legendY, "legend", "start", it.name)
		x += 16 + float64(len([]rune(it.name))*fontWidth) + 16
	}
	s.close("g")
}

// yAxis draws a vertical count axis at x = left over the plot from top to
// bottom (bottom is 0), with gridlines to right, tick labels and a rotated
// axis label.
func yAxis(s *svg, a axis, left, right, top, bottom float64, label string) {
	s.open("g", "class", "y-axis")
	for _, v := range a.ticks() {
		y := bottom - a.frac(v)*(bottom-top)
		if v > 0 {
			s.line(left, y, right, y, "grid")
		}
		s.line(left-4, y, left, y, "axis")
		s.text(left-7, y+4, "tick", "end", count(v))
	}
	s.line(left, top, left, bottom, "axis")
	cy := (top + bottom) / 2
	s.open("text", "x", num(14), "y", num(cy), "class", "label", "text-anchor", "middle",
		"transform", "rotate(-90 14 "+num(cy)+")", "fill", fallback("label"))
	s.b.WriteString(esc(label))
	s.close("text")
	s.close("g")
}

// safeID keeps the letters, digits, '-' and '_' of id, so it can be used
// in id attributes and CSS selectors; an empty result becomes def.
func safeID(id, def string) string {
	var b strings.Builder
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return def
	}
	return b.String()
}
