package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"blameful.dev/blameful/internal/review"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages are parsed once; a template that does not parse is a programmer
// error found at start-up.
var pages = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

type homePage struct {
	Version string
	Week    string
}

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := homePage{Version: s.version, Week: review.WeekOf(s.app.Now()).String()}
	if err := pages.ExecuteTemplate(w, "home.html", data); err != nil {
		s.log.Error("render home", append(logAttrs(r), "err", err)...)
	}
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
