package web

import (
	"embed"
	"io"
	"io/fs"
	"net/http"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/report"
	"blameful.dev/blameful/internal/review"
)

//go:embed templates/*.html templates/pages/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// homePage is the dashboard: this week at a glance, and what waits on the
// person looking.
type homePage struct {
	Review review.Review
	Work   app.MyWork
	// Trend is incidents per week by severity.
	Trend report.Chart
}

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	rv, err := s.app.WeeklyReview(r.Context(), actor, review.WeekOf(s.app.Now()))
	if err != nil {
		return err
	}
	work, err := s.app.Work(r.Context(), actor)
	if err != nil {
		return err
	}
	// The follow-up burn-down lives on the board: over a large history it
	// costs more than the rest of this page together (BENCHMARKS.md §6).
	return s.render(w, http.StatusOK, "home", view{Title: "This week", Actor: actor, Section: "home", Data: homePage{Review: rv, Work: work,
		Trend: report.SeverityChart("trend", severityWeeks(rv))}})
}

// static serves the embedded stylesheet and scripts, and nothing else: a
// directory is not listed, it is not found.
func static() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if st, err := fs.Stat(sub, name); err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// chartStyle serves the charts' stylesheet, which lives with the charts.
func chartStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = io.WriteString(w, report.Style)
}

// severityWeeks is the review's five weeks of counts by severity, oldest
// first, as the chart takes them.
func severityWeeks(rv review.Review) []report.WeekCounts {
	out := make([]report.WeekCounts, 5)
	for i := range 5 {
		w := report.WeekCounts{Week: rv.Week.Add(i - 4).String()}
		for j, c := range rv.Counts {
			if j < 4 {
				if i == 4 {
					w.BySeverity[j] = c.Week
				} else {
					w.BySeverity[j] = c.Previous[3-i]
				}
			}
		}
		out[i] = w
	}
	return out
}
