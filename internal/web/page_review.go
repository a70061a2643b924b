package web

import (
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/report"
	"blameful.dev/blameful/internal/review"
)

// reviewPage is the weekly review as a page (PRODUCT.md section 7).
type reviewPage struct {
	Review review.Review
	// Previous and Next are the neighbouring weeks; Next is "" for the
	// current week, which has no review yet after it.
	Previous, Next string
	LastDay        time.Time
	// Trend charts the counts by severity over the five weeks, Rules how
	// often each rule's suggestions were overridden, and Teams the
	// incidents per week of the teams decided accountable in the week.
	Trend, Rules, Teams report.Chart
	// OverdueMore, AwaitingMore and UnownedMore count what the review's
	// bounded lists leave out.
	OverdueMore, AwaitingMore, UnownedMore int
}

func newReviewPage(rv review.Review, now time.Time) reviewPage {
	p := reviewPage{Review: rv, Previous: rv.Week.Add(-1).String(), LastDay: rv.To.AddDate(0, 0, -1),
		Trend: report.SeverityChart("severity", severityWeeks(rv)), Rules: report.RuleChart("rules", ruleCounts(rv.Rules)),
		OverdueMore: rv.OverduePostmortemsTotal - len(rv.OverduePostmortems), AwaitingMore: rv.AwaitingTotal - len(rv.AwaitingReview),
		UnownedMore: rv.UnownedTotal - len(rv.Unowned)}
	if len(rv.Trend) > 0 {
		teams := make([]report.TeamCounts, len(rv.Trend))
		for i, t := range rv.Trend {
			teams[i] = report.TeamCounts{Team: t.Team.Name(), Counts: t.Counts}
		}
		p.Teams = report.TeamChart("team-trends", review.TrendLabels(rv.Week), teams)
	}
	if next := rv.Week.Add(1); !next.Start().After(now) {
		p.Next = next.String()
	}
	return p
}

// pageReviews sends the weekly review's index to this week's review.
func (s *Server) pageReviews(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	http.Redirect(w, r, "/reviews/"+review.WeekOf(s.app.Now()).String(), http.StatusSeeOther)
	return nil
}

func (s *Server) pageReview(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	week, err := review.ParseWeek(r.PathValue("week"))
	if err != nil {
		return errs.E(errs.NotFound, "%s is not an ISO week like 2026-W47", r.PathValue("week"))
	}
	rv, err := s.app.WeeklyReview(r.Context(), actor, week)
	if err != nil {
		return err
	}
	data := newReviewPage(rv, s.app.Now())
	return s.render(w, http.StatusOK, "review", view{Title: "Review " + week.String(), Actor: actor, Section: "review", Data: data})
}

// WriteReviewHTML writes the weekly review as a standalone page, the same
// one the server shows, for `blameful review week --format html`.
func WriteReviewHTML(out io.Writer, rv review.Review, now time.Time, version string) error {
	s := &Server{pages: parsePages(pageFuncs), version: version}
	rec := &bufferedPage{header: http.Header{}}
	css, err := inlineStyles()
	if err != nil {
		return err
	}
	if err := s.render(rec, http.StatusOK, "review", view{Title: "Review " + rv.Week.String(), Data: newReviewPage(rv, now), Inline: css}); err != nil {
		return err
	}
	_, err = out.Write(rec.body)
	return err
}

// bufferedPage is the ResponseWriter WriteReviewHTML renders into.
type bufferedPage struct {
	header http.Header
	body   []byte
}

func (b *bufferedPage) Header() http.Header { return b.header }
func (b *bufferedPage) WriteHeader(int)     {}
func (b *bufferedPage) Write(p []byte) (int, error) {
	b.body = append(b.body, p...)
	return len(p), nil
}

// inlineStyles is every stylesheet of a page, for a page kept as a file:
// the screen styles, the charts', and the print styles under @media print.
func inlineStyles() (template.CSS, error) {
	screen, err := fs.ReadFile(staticFiles, "static/blameful.css")
	if err != nil {
		return "", err
	}
	print, err := fs.ReadFile(staticFiles, "static/print.css")
	if err != nil {
		return "", err
	}
	return template.CSS(string(screen) + report.Style + "@media print {\n" + string(print) + "}\n"), nil // our own files
}

// ruleCounts is the review's rule lines as the chart takes them.
func ruleCounts(ls []review.RuleLine) []report.RuleCount {
	out := make([]report.RuleCount, len(ls))
	for i, l := range ls {
		out[i] = report.RuleCount{Rule: l.Rule, Decided: l.Decided, Overridden: l.Overridden}
	}
	return out
}
